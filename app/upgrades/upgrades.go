// Package upgrades is the registry of the chain's software upgrades: each
// names the x/upgrade plan it handles, builds its upgrade handler from the
// module manager and configurator, and lists the stores it adds, renames
// or deletes. app.New registers every upgrade of All (app/upgrades.go);
// an upgrade's own package (app/upgrades/v2, …) holds its handler.
//
// A binary whose registry lacks a plan's name halts at the plan's height
// ("UPGRADE … NEEDED", x/upgrade's PreBlocker), which is how the previous
// release stops for the new one (docs/operations.md "Upgrades").
package upgrades

import (
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"
)

// Upgrade is one software upgrade of the chain.
type Upgrade struct {
	// Name is the plan name that a MsgSoftwareUpgrade proposal schedules
	// and cosmovisor's upgrades/<Name>/ directory carries.
	Name string
	// CreateUpgradeHandler builds the handler x/upgrade runs in the
	// PreBlock of the plan's height, with the app's module manager and
	// configurator (the one the modules registered their migrations on).
	CreateUpgradeHandler func(*module.Manager, module.Configurator) upgradetypes.UpgradeHandler
	// StoreUpgrades are the KV stores the upgrade adds, renames or
	// deletes, loaded by upgradetypes.UpgradeStoreLoader at the plan's
	// height; empty when it changes none.
	StoreUpgrades storetypes.StoreUpgrades
}

// Find returns the registered upgrade named name, and false when All has
// none of that name (name "" included).
func Find(name string) (Upgrade, bool) {
	for _, u := range All() {
		if u.Name == name {
			return u, true
		}
	}
	return Upgrade{}, false
}
