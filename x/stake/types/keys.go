package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the name of the x/stake module, its store key and its
	// module account (which holds sale collateral and maintenance deposits).
	ModuleName = "stake"

	// StoreKey is the KV store key of x/stake.
	StoreKey = ModuleName
)

// Store prefixes of x/stake. A number is never reused.
var (
	// ParamsKey holds the module Params.
	ParamsKey = collections.NewPrefix(0)
)

// Stake certificates.
var (
	// StakeSeqKey is the last certificate id.
	StakeSeqKey = collections.NewPrefix(1)
	// StakesKey maps certificate id → Stake.
	StakesKey = collections.NewPrefix(2)
	// StakesByOwnerKey indexes certificates by owner.
	StakesByOwnerKey = collections.NewPrefix(3)
	// StakesByDeviceKey indexes certificates by device.
	StakesByDeviceKey = collections.NewPrefix(4)
	// ExpiryKey is the queue of active certificates by (end unix, id).
	ExpiryKey = collections.NewPrefix(5)
	// ReleaseKey is the queue of sales in their grace by (release unix, id).
	ReleaseKey = collections.NewPrefix(6)
	// PruneKey is the queue of ended certificates by (prune unix, id).
	PruneKey = collections.NewPrefix(7)
)

// Per-block bounds of the BeginBlocker's queues: at most this many entries
// of each queue are processed in one block, the rest in the next blocks
// (oldest first), so a block's work never grows with the number of stakes.
const (
	// MaxExpiriesPerBlock bounds the certificates reaching their end.
	MaxExpiriesPerBlock = 100
	// MaxReleasesPerBlock bounds the sales whose grace ends.
	MaxReleasesPerBlock = 100
	// MaxPrunesPerBlock bounds the ended certificates removed from state.
	MaxPrunesPerBlock = 100
)
