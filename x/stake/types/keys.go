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
)
