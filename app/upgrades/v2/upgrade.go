// Package v2 is the "v2" software upgrade: x/pocps moves from
// ConsensusVersion 1 to 2, whose store migration backfills the LastPasses
// index from the device records (x/pocps/keeper Migrator.Migrate1to2). It
// adds, renames and deletes no store. app/upgrades registers it.
package v2

import (
	"context"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"
)

// UpgradeName is the plan name of the upgrade, the `name` of its
// MsgSoftwareUpgrade proposal and cosmovisor's upgrades/v2/ directory.
const UpgradeName = "v2"

// CreateUpgradeHandler returns the "v2" handler: it runs every module's
// registered migrations from the version map stored on chain (fromVM) to
// the binary's ConsensusVersions, x/pocps 1→2 here, and returns the new
// map, which x/upgrade stores. Errors: a migration's, or a module whose
// version rose without a registered migration.
func CreateUpgradeHandler(mm *module.Manager, cfg module.Configurator) upgradetypes.UpgradeHandler {
	return func(ctx context.Context, _ upgradetypes.Plan, fromVM module.VersionMap) (module.VersionMap, error) {
		return mm.RunMigrations(ctx, cfg, fromVM)
	}
}

// StoreUpgrades returns the stores "v2" changes: none.
func StoreUpgrades() storetypes.StoreUpgrades {
	return storetypes.StoreUpgrades{}
}
