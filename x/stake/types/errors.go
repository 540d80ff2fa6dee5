package types

import "cosmossdk.io/errors"

// Registered errors of x/stake (codes ≥ 2; 1 is reserved by the SDK).
var (
	// ErrInvalidSigner is returned when MsgUpdateParams is not signed by the
	// module authority.
	ErrInvalidSigner = errors.Register(ModuleName, 2, "invalid authority")
	// ErrInvalidParams is returned when parameters fail Params.Validate.
	ErrInvalidParams = errors.Register(ModuleName, 3, "invalid params")
)

// Stake errors.
var (
	// ErrDeviceNotOwned is returned when the signer does not own the device
	// or the certificate.
	ErrDeviceNotOwned = errors.Register(ModuleName, 4, "not the owner")
	// ErrDeviceNotSealed is returned for a device whose setup proof has not
	// passed (or that failed).
	ErrDeviceNotSealed = errors.Register(ModuleName, 5, "device is not sealed")
	// ErrDeviceCommitted is returned for a device already committed.
	ErrDeviceCommitted = errors.Register(ModuleName, 6, "device already committed")
	// ErrWrongClass is returned when the device's class has no pool taking
	// stakes.
	ErrWrongClass = errors.Register(ModuleName, 7, "no active pool for the device's class")
	// ErrInvalidDuration is returned for a malformed duration or one
	// outside the bounds.
	ErrInvalidDuration = errors.Register(ModuleName, 8, "invalid duration")
	// ErrStakeNotFound is returned for an unknown certificate.
	ErrStakeNotFound = errors.Register(ModuleName, 9, "stake not found")
	// ErrStakeEnded is returned when an ended or failed certificate is
	// renewed.
	ErrStakeEnded = errors.Register(ModuleName, 10, "stake already ended")
	// ErrInvalidAmount is returned for a missing or negative uloop bound.
	ErrInvalidAmount = errors.Register(ModuleName, 11, "invalid amount")
)

// Stateless message errors (Msg.ValidateBasic, run at CheckTx).
var (
	// ErrInvalidAddress is returned for a missing or malformed bech32
	// address.
	ErrInvalidAddress = errors.Register(ModuleName, 12, "invalid address")
	// ErrInvalidID is returned for an id of zero: ids start at 1.
	ErrInvalidID = errors.Register(ModuleName, 13, "invalid id")
)
