package types

import (
	"time"

	"cosmossdk.io/errors"
	"cosmossdk.io/math"
	chaintypes "github.com/loopin-project/loopin/types"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Stateless checks of every x/pools Msg (sdk.HasValidateBasic). BaseApp runs
// them before the ante handler at CheckTx, in simulation and at DeliverTx,
// and x/gov runs them on a proposal's messages at submission, so a
// malformed message is refused when it is sent. What needs state (the pool
// exists, the lease is the signer's, the balance covers the price, the
// deadline against the block time, the duration against the params) stays
// in the keeper.
var (
	_ sdk.HasValidateBasic = (*MsgUpdateParams)(nil)
	_ sdk.HasValidateBasic = (*MsgCreatePool)(nil)
	_ sdk.HasValidateBasic = (*MsgSetPoolStatus)(nil)
	_ sdk.HasValidateBasic = (*MsgBuyLease)(nil)
	_ sdk.HasValidateBasic = (*MsgExtendLease)(nil)
	_ sdk.HasValidateBasic = (*MsgTerminateLease)(nil)
)

// validateAddress checks that field holds a bech32 account address with the
// chain's prefix. Errors: ErrInvalidAddress.
func validateAddress(field, addr string) error {
	return chaintypes.CheckAddress(ErrInvalidAddress, field, addr)
}

// validateAmount checks that field is a set, non-negative uloop amount.
// Errors: ErrInvalidAmount.
func validateAmount(field string, v math.Int) error {
	return chaintypes.CheckAmount(ErrInvalidAmount, field, v)
}

// ValidateClassName checks the form of a GPU class name: 2–32 lower-case
// letters, digits and dashes, starting and ending with a letter or digit.
// Whether a pool exists for it is the keeper's to say. Errors:
// ErrPoolNotFound (no pool can have such a name).
func ValidateClassName(field, class string) error {
	if !classRe.MatchString(class) {
		return errors.Wrapf(ErrPoolNotFound, "%s %q is not a GPU class name: 2–32 lower-case letters, digits and dashes, e.g. rtx-4090 (list them with `loopind q pools pools`)", field, class)
	}
	return nil
}

// ValidateBasic checks the authority's address and the parameters.
func (m *MsgUpdateParams) ValidateBasic() error {
	if err := validateAddress("authority", m.Authority); err != nil {
		return err
	}
	return m.Params.Validate()
}

// ValidateBasic checks the authority's address and the class record.
func (m *MsgCreatePool) ValidateBasic() error {
	if err := validateAddress("authority", m.Authority); err != nil {
		return err
	}
	return m.Class.Validate()
}

// ValidateBasic checks the authority's address, the pool id and the status.
func (m *MsgSetPoolStatus) ValidateBasic() error {
	if err := validateAddress("authority", m.Authority); err != nil {
		return err
	}
	if m.PoolId == 0 {
		return errors.Wrap(ErrInvalidID, "pool_id must be set (pool ids start at 1)")
	}
	if _, ok := PoolStatus_name[int32(m.Status)]; !ok || m.Status == POOL_STATUS_UNSPECIFIED {
		return errors.Wrapf(ErrInvalidPool, "status %s is not POOL_STATUS_ACTIVE, POOL_STATUS_RETIRING or POOL_STATUS_RETIRED", m.Status)
	}
	return nil
}

// ValidateBasic checks the client's address, the class name, that the
// duration is a positive whole number of seconds, the slippage bound and,
// when set, min_commitment_end (ValidateMinCommitmentEnd). device_id needs
// no check: 0 is "any device", any other id is the keeper's to look up.
func (m *MsgBuyLease) ValidateBasic() error {
	if err := validateAddress("client", m.Client); err != nil {
		return err
	}
	if err := ValidateClassName("gpu_class", m.GpuClass); err != nil {
		return err
	}
	if err := ValidateDuration("duration", m.Duration); err != nil {
		return err
	}
	if err := ValidateMinCommitmentEnd(m.MinCommitmentEnd); err != nil {
		return err
	}
	return validateAmount("max_uloop_in", m.MaxUloopIn)
}

// ValidateMinCommitmentEnd checks an optional min_commitment_end: unset,
// or a time after the Unix epoch (commitment ends are unix seconds after
// it). Whether a device's commitment reaches it is the keeper's to say.
// Errors: ErrInvalidTime.
func ValidateMinCommitmentEnd(t *time.Time) error {
	if t != nil && t.Unix() <= 0 {
		return errors.Wrapf(ErrInvalidTime, "min_commitment_end %s is not after 1970: give an RFC 3339 time such as 2027-01-31T00:00:00Z", t.UTC().Format(time.RFC3339))
	}
	return nil
}

// DeviceChoice is what a purchase asks of the device it is on
// (MsgBuyLease's device_id and min_commitment_end, EstimateBuy's same
// fields). The zero value asks nothing: the usual matching.
type DeviceChoice struct {
	// DeviceID, when not 0, is the device the lease must be on.
	DeviceID uint64
	// MinCommitmentEnd, when not nil, is the earliest commitment end the
	// device may have.
	MinCommitmentEnd *time.Time
}

// ValidateBasic checks the client's address, the lease id, that the
// duration is a positive whole number of seconds and the slippage bound.
func (m *MsgExtendLease) ValidateBasic() error {
	if err := validateAddress("client", m.Client); err != nil {
		return err
	}
	if m.LeaseId == 0 {
		return errors.Wrap(ErrInvalidID, "lease_id must be set (lease ids start at 1)")
	}
	if err := ValidateDuration("duration", m.Duration); err != nil {
		return err
	}
	return validateAmount("max_uloop_in", m.MaxUloopIn)
}

// ValidateBasic checks the client's address, the lease id and the slippage
// bound.
func (m *MsgTerminateLease) ValidateBasic() error {
	if err := validateAddress("client", m.Client); err != nil {
		return err
	}
	if m.LeaseId == 0 {
		return errors.Wrap(ErrInvalidID, "lease_id must be set (lease ids start at 1)")
	}
	return validateAmount("min_refund", m.MinRefund)
}
