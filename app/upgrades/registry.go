//go:build !loopin_v1

package upgrades

import v2 "github.com/loopin-project/loopin/app/upgrades/v2"

// All returns the chain's upgrades, oldest first: a new release appends its
// own. The list is built here rather than by each upgrade's package
// (which would import this one for the Upgrade type, a cycle).
//
// This file and registry_v1.go are a pair: the `loopin_v1` build tag
// builds "the previous release" (make build-v1), whose registry is empty,
// so that binary halts at the "v2" plan's height.
func All() []Upgrade {
	return []Upgrade{
		{Name: v2.UpgradeName, CreateUpgradeHandler: v2.CreateUpgradeHandler, StoreUpgrades: v2.StoreUpgrades()},
	}
}
