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
