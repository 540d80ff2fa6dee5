//go:build loopin_v1

package keeper

// indexLastPasses is false in the `loopin_v1` build, "the previous
// release" (make build-v1): recordPass writes nothing, as before the
// LastPasses index existed, so that chain's state has devices without
// entries, the state Migrator.Migrate1to2 upgrades. LastPass falls back to
// the device record, so what it answers is the same as in the release
// build (release.go).
const indexLastPasses = false
