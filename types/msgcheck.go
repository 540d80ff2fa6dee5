package types

import (
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// CheckAddress is the stateless check of a Msg's address field: a bech32
// account address with the chain's prefix. Errors wrap kind, the module's
// registered error for the Msg, naming the field and the value.
func CheckAddress(kind *errorsmod.Error, field, addr string) error {
	if _, err := sdk.AccAddressFromBech32(addr); err != nil {
		return errorsmod.Wrapf(kind, "%s %q: %v", field, addr, err)
	}
	return nil
}

// CheckAmount is the stateless check of a Msg's uloop amount: set and
// non-negative. Errors wrap kind, the module's registered error.
func CheckAmount(kind *errorsmod.Error, field string, v math.Int) error {
	if v.IsNil() {
		return errorsmod.Wrapf(kind, "%s must be set (an amount of uloop)", field)
	}
	if v.IsNegative() {
		return errorsmod.Wrapf(kind, "%s must be a non-negative amount of uloop, got %s", field, v)
	}
	return nil
}
