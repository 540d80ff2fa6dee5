package app

import (
	"fmt"

	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"

	"github.com/loopin-project/loopin/app/upgrades"
)

// setUpgrades registers the handler of every upgrade in upgrades.All with
// x/upgrade and, when this start follows an upgrade halt, the store loader
// of that upgrade. New calls it after the module manager and configurator
// exist and before the store is loaded.
//
// The halted binary wrote the plan to <home>/data/upgrade-info.json (x/upgrade's
// PreBlocker); when that plan is a registered upgrade and its height is
// not skipped (--unsafe-skip-upgrades), the store is loaded with the
// upgrade's StoreUpgrades at that height (upgradetypes.UpgradeStoreLoader,
// which loads as usual at any other height). An app without a home
// directory (home "", the CLI's throw-away app in cmd/loopind) reads no
// file: x/upgrade would create ./data to look for it. It panics on a
// duplicate upgrade name (a bug in app/upgrades) and on an
// upgrade-info.json that cannot be read or parsed: the node must not start
// on a guess.
func (app *App) setUpgrades(home string) {
	for _, u := range upgrades.All() {
		if app.UpgradeKeeper.HasHandler(u.Name) {
			panic(fmt.Errorf("upgrade %q is registered twice (app/upgrades)", u.Name))
		}
		app.UpgradeKeeper.SetUpgradeHandler(u.Name, u.CreateUpgradeHandler(app.ModuleManager, app.configurator))
	}
	if home == "" {
		return
	}

	plan, err := app.UpgradeKeeper.ReadUpgradeInfoFromDisk()
	if err != nil {
		panic(fmt.Errorf("reading %s: %w", upgradetypes.UpgradeInfoFilename, err))
	}
	u, ok := upgrades.Find(plan.Name)
	if !ok || app.UpgradeKeeper.IsSkipHeight(plan.Height) {
		return
	}
	storeUpgrades := u.StoreUpgrades
	app.SetStoreLoader(upgradetypes.UpgradeStoreLoader(plan.Height, &storeUpgrades))
}
