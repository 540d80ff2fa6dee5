package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the name of the x/pocps module, its store key and its
	// module account.
	ModuleName = "pocps"

	// StoreKey is the KV store key of x/pocps.
	StoreKey = ModuleName
)

// Store prefixes of x/pocps. A number is never reused.
var (
	// ParamsKey holds the module Params.
	ParamsKey = collections.NewPrefix(0)
)
