//go:build !loopin_v1

package keeper

// indexLastPasses says whether recordPass writes the LastPasses index:
// true in the release build.
//
// This file and release_v1.go are a pair: the `loopin_v1` build tag
// builds "the previous release" (the release before the index, x/pocps
// ConsensusVersion 1) from this source, for the upgrade test (make
// build-v1). LastPass reads the device record when a device has no entry,
// so both builds answer the same; only the store (and the gas of a read)
// differs, and Migrator.Migrate1to2 fills the index in at the upgrade.
const indexLastPasses = true
