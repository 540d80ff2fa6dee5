package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the name of the x/pools module, its store key and its
	// module account (which holds the pools' uloop reserves and escrows).
	ModuleName = "pools"

	// StoreKey is the KV store key of x/pools.
	StoreKey = ModuleName
)

// Store prefixes of x/pools. A number is never reused.
var (
	// ParamsKey holds the module Params.
	ParamsKey = collections.NewPrefix(0)
	// PoolSeqKey is the next pool id − 1.
	PoolSeqKey = collections.NewPrefix(1)
	// PoolsKey maps pool id → Pool.
	PoolsKey = collections.NewPrefix(2)
	// PoolsByClassKey indexes pools by GPU class (unique).
	PoolsByClassKey = collections.NewPrefix(3)
)
