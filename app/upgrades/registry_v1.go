//go:build loopin_v1

package upgrades

// All returns no upgrade in the `loopin_v1` build, "the previous release"
// (make build-v1): it knows no plan, so it halts at the height of the "v2"
// plan ("UPGRADE \"v2\" NEEDED") and cosmovisor starts the release build,
// whose registry (registry.go) handles it.
func All() []Upgrade { return nil }
