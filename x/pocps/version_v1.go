//go:build loopin_v1

package pocps

// ConsensusVersion is 1 in the `loopin_v1` build, "the previous release"
// that the "v2" upgrade moves from (make build-v1): the state version
// before the LastPasses index. The release build (version.go) says 2.
//
// It is one of three tagged pairs, each kept to a constant: this one,
// x/pocps/keeper's indexLastPasses and app/upgrades' registry.
const ConsensusVersion = 1
