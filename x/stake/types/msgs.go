package types

import (
	"time"

	chaintypes "github.com/loopin-project/loopin/types"

	"cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Stateless checks of every x/stake Msg (sdk.HasValidateBasic), run by
// BaseApp at CheckTx, in simulation and at DeliverTx. Ownership, the device's
// and the pool's state, the duration and day bounds of the params and the
// balances stay in the keeper.
var (
	_ sdk.HasValidateBasic = (*MsgUpdateParams)(nil)
	_ sdk.HasValidateBasic = (*MsgStakeLP)(nil)
	_ sdk.HasValidateBasic = (*MsgSellCompute)(nil)
	_ sdk.HasValidateBasic = (*MsgRenewStake)(nil)
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

// ValidateBasic checks the authority's address and the parameters (the
// balance condition against x/rewards needs state: the keeper checks it).
func (m *MsgUpdateParams) ValidateBasic() error {
	if err := validateAddress("authority", m.Authority); err != nil {
		return err
	}
	return m.Params.Validate()
}

// ValidateBasic checks the owner's address, the device id, that the
// duration is a positive whole number of seconds and the bound.
func (m *MsgStakeLP) ValidateBasic() error {
	if err := validateAddress("owner", m.Owner); err != nil {
		return err
	}
	if m.DeviceId == 0 {
		return errors.Wrap(ErrInvalidID, "device_id must be set (device ids start at 1)")
	}
	if m.Duration < time.Second || m.Duration%time.Second != 0 {
		return errors.Wrapf(ErrInvalidDuration, "duration %s must be a positive whole number of seconds", m.Duration)
	}
	return validateAmount("max_uloop_in", m.MaxUloopIn)
}

// ValidateBasic checks the owner's address, the device id, that at least
// one day is sold and the bound.
func (m *MsgSellCompute) ValidateBasic() error {
	if err := validateAddress("owner", m.Owner); err != nil {
		return err
	}
	if m.DeviceId == 0 {
		return errors.Wrap(ErrInvalidID, "device_id must be set (device ids start at 1)")
	}
	if m.Days == 0 {
		return errors.Wrap(ErrInvalidDuration, "days must be at least 1")
	}
	return validateAmount("min_uloop_out", m.MinUloopOut)
}

// ValidateBasic checks the owner's address, the stake id, that at least one
// epoch is added and the bound.
func (m *MsgRenewStake) ValidateBasic() error {
	if err := validateAddress("owner", m.Owner); err != nil {
		return err
	}
	if m.StakeId == 0 {
		return errors.Wrap(ErrInvalidID, "stake_id must be set (stake ids start at 1)")
	}
	if m.Epochs == 0 {
		return errors.Wrap(ErrInvalidDuration, "epochs must be at least 1")
	}
	return validateAmount("max_uloop_in", m.MaxUloopIn)
}
