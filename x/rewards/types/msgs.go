package types

import (
	chaintypes "github.com/loopin-project/loopin/types"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Stateless checks of every x/rewards Msg (sdk.HasValidateBasic), run by
// BaseApp at CheckTx, in simulation and at DeliverTx. Whether anything is
// owed, and the authority itself, stay in the keeper.
var (
	_ sdk.HasValidateBasic = (*MsgUpdateParams)(nil)
	_ sdk.HasValidateBasic = (*MsgClaimRewards)(nil)
)

// validateAddress checks that field holds a bech32 account address with the
// chain's prefix. Errors: ErrInvalidAddress.
func validateAddress(field, addr string) error {
	return chaintypes.CheckAddress(ErrInvalidAddress, field, addr)
}

// ValidateBasic checks the authority's address and the parameters (the
// balance condition against x/stake needs state: the keeper checks it).
func (m *MsgUpdateParams) ValidateBasic() error {
	if err := validateAddress("authority", m.Authority); err != nil {
		return err
	}
	return m.Params.Validate()
}

// ValidateBasic checks the claimant's address.
func (m *MsgClaimRewards) ValidateBasic() error {
	return validateAddress("claimant", m.Claimant)
}
