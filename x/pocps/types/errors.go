package types

import "cosmossdk.io/errors"

// Registered errors of x/pocps (codes ≥ 2; 1 is reserved by the SDK).
var (
	// ErrInvalidSigner is returned when MsgUpdateParams is not signed by the
	// module authority.
	ErrInvalidSigner = errors.Register(ModuleName, 2, "invalid authority")
	// ErrInvalidParams is returned when parameters fail Params.Validate.
	ErrInvalidParams = errors.Register(ModuleName, 3, "invalid params")
)

// Device errors.
var (
	// ErrInvalidDevice is returned for a malformed registration or update.
	ErrInvalidDevice = errors.Register(ModuleName, 4, "invalid device")
	// ErrFingerprintTaken is returned when a fingerprint is already registered.
	ErrFingerprintTaken = errors.Register(ModuleName, 5, "fingerprint already registered")
	// ErrKeyHeight is returned when key_height is not a recent block.
	ErrKeyHeight = errors.Register(ModuleName, 6, "key_height is not a recent block")
	// ErrDeviceNotFound is returned for an unknown device id.
	ErrDeviceNotFound = errors.Register(ModuleName, 7, "device not found")
	// ErrNotOwner is returned when the signer does not own the device.
	ErrNotOwner = errors.Register(ModuleName, 8, "not the device owner")
	// ErrDeviceCommitted is returned when a committed device would be removed.
	ErrDeviceCommitted = errors.Register(ModuleName, 9, "device is committed to a stake")
)

// Verifier errors.
var (
	// ErrNotBondedValidator is returned when the operator's validator is not
	// bonded or is jailed.
	ErrNotBondedValidator = errors.Register(ModuleName, 10, "not a bonded validator")
	// ErrHotKeyTaken is returned when another verifier uses the hot key.
	ErrHotKeyTaken = errors.Register(ModuleName, 11, "hot key used by another verifier")
	// ErrInvalidVerifier is returned for a malformed verifier registration.
	ErrInvalidVerifier = errors.Register(ModuleName, 12, "invalid verifier")
)

// Challenge errors.
var (
	// ErrNoVerifier is returned when no eligible verifier can be assigned.
	ErrNoVerifier = errors.Register(ModuleName, 13, "no eligible verifier")
	// ErrChallengeNotFound is returned for an unknown challenge id.
	ErrChallengeNotFound = errors.Register(ModuleName, 14, "challenge not found")
	// ErrNotAssigned is returned when the signer is not the assigned verifier.
	ErrNotAssigned = errors.Register(ModuleName, 15, "not the assigned verifier")
	// ErrChallengeClosed is returned for a challenge that is no longer pending.
	ErrChallengeClosed = errors.Register(ModuleName, 16, "challenge is not pending")
	// ErrTooEarly is returned before the challenge's seed block exists.
	ErrTooEarly = errors.Register(ModuleName, 17, "challenge seed block not reached")
	// ErrDeadlinePassed is returned for a result after the deadline.
	ErrDeadlinePassed = errors.Register(ModuleName, 18, "challenge deadline passed")
	// ErrWrongKind is returned when a result does not match the challenge kind.
	ErrWrongKind = errors.Register(ModuleName, 19, "wrong challenge kind")
)

// Result errors.
var (
	// ErrBadSample is returned when a "passed" report's samples fail the re-check.
	ErrBadSample = errors.Register(ModuleName, 20, "proof sample fails the on-chain re-check")
	// ErrNoEvidence is returned when a "bad proof" report's samples verify.
	ErrNoEvidence = errors.Register(ModuleName, 21, "failure report without evidence")
	// ErrInvalidResult is returned for a malformed result.
	ErrInvalidResult = errors.Register(ModuleName, 22, "invalid challenge result")
)

// Stateless message errors (Msg.ValidateBasic, run at CheckTx). A
// malformed address is refused with the message's own error
// (ErrInvalidDevice, ErrInvalidVerifier, ErrInvalidResult).
var (
	// ErrInvalidID is returned for an id of zero: ids start at 1.
	ErrInvalidID = errors.Register(ModuleName, 23, "invalid id")
	// ErrBadSignature: an answer in a report is not signed by the device
	// for this challenge (docs/pocps.md §14).
	ErrBadSignature = errors.Register(ModuleName, 24, "answer not signed by the device for this challenge")
	// ErrBadVRF: the report's vrf_proof is not the assigned verifier's
	// unique signature of the challenge.
	ErrBadVRF = errors.Register(ModuleName, 25, "VRF proof does not verify")
	// ErrNotLessee is returned when a lease is reported by someone other
	// than its client.
	ErrNotLessee = errors.Register(ModuleName, 26, "not the lease's client")
	// ErrLeaseNotActive is returned when a reported lease has ended.
	ErrLeaseNotActive = errors.Register(ModuleName, 27, "lease is not active")
	// ErrReportTooSoon is returned when a reported device passed a
	// challenge less than challenge_deadline ago.
	ErrReportTooSoon = errors.Register(ModuleName, 28, "device passed a challenge moments ago")
)
