package types

import "cosmossdk.io/errors"

// Registered errors of x/pools (codes ≥ 2; 1 is reserved by the SDK).
var (
	// ErrInvalidSigner is returned when MsgUpdateParams is not signed by the
	// module authority.
	ErrInvalidSigner = errors.Register(ModuleName, 2, "invalid authority")
	// ErrInvalidParams is returned when parameters fail Params.Validate.
	ErrInvalidParams = errors.Register(ModuleName, 3, "invalid params")
)

// Pool errors.
var (
	// ErrPoolNotFound is returned for an unknown pool id or class.
	ErrPoolNotFound = errors.Register(ModuleName, 4, "pool not found")
	// ErrPoolExists is returned when a class already has a pool.
	ErrPoolExists = errors.Register(ModuleName, 5, "a pool for this class exists")
	// ErrInvalidPool is returned for malformed pool parameters.
	ErrInvalidPool = errors.Register(ModuleName, 6, "invalid pool")
)
