//go:build !loopin_v1

package pocps

// ConsensusVersion is the x/pocps state version; bump it with a migration
// (keeper.Migrator). Version 2 has the LastPasses index in the store;
// Migrate1to2 backfills it on a chain that was started at version 1.
//
// This file and version_v1.go are a pair: the `loopin_v1` build tag builds
// "the previous release" (the release before the index) from this source,
// for the upgrade test (make build-v1), and that build says 1.
const ConsensusVersion = 2
