package types

import "cosmossdk.io/errors"

// Registered errors of x/rewards (codes ≥ 2; 1 is reserved by the SDK).
var (
	// ErrInvalidSigner is returned when MsgUpdateParams is not signed by the
	// module authority.
	ErrInvalidSigner = errors.Register(ModuleName, 2, "invalid authority")
	// ErrInvalidParams is returned when parameters fail Params.Validate.
	ErrInvalidParams = errors.Register(ModuleName, 3, "invalid params")
)

// Claim errors.
var (
	// ErrNothingToClaim is returned when an address has no pending rewards.
	ErrNothingToClaim = errors.Register(ModuleName, 4, "nothing to claim")
	// ErrInvalidAddress is returned for a malformed address.
	ErrInvalidAddress = errors.Register(ModuleName, 5, "invalid address")
)

// ErrBalance is returned when params would make the maintenance rate β
// reach the reward rate γ: no stake could pay back its staking fee
// (whitepaper §5, T_min = α/(γ−β)).
var ErrBalance = errors.Register(ModuleName, 6, "balance condition β < γ violated")
