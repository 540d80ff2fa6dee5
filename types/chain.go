// Package types holds the chain-wide constants of LooPIN that more than one
// module and the binary share: the token denom, the address prefixes and the
// identifier of the single x/epochs clock.
package types

const (
	// BondDenom is the base denom of LOOP (1 LOOP = 10^6 uloop), used for
	// validator bonding, fees, pool reserves and rewards.
	BondDenom = "uloop"

	// DisplayDenom is the whole-token denom shown to people.
	DisplayDenom = "loop"

	// Bech32Prefix is the human-readable part of account addresses
	// (loopin1…); validator and consensus prefixes derive from it the SDK way
	// (loopinvaloper1…, loopinvalcons1…).
	Bech32Prefix = "loopin"

	// EpochIdentifier names the one x/epochs clock that drives dissipation,
	// challenge scheduling and reward emission. Its duration is a genesis value
	// of x/epochs (1 h by default).
	EpochIdentifier = "loopin"
)
