package types_test

import (
	"testing"

	errorsmod "cosmossdk.io/errors"
	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/bech32"

	"github.com/loopin-project/loopin/x/rewards/types"
)

func TestMsgValidateBasic(t *testing.T) {
	who := sdk.AccAddress(make([]byte, 20)).String()
	wrong, err := bech32.ConvertAndEncode("other", make([]byte, 20))
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		msg  sdk.HasValidateBasic
		want *errorsmod.Error
		in   []string
	}{
		{name: "claim valid", msg: &types.MsgClaimRewards{Claimant: who}},
		{name: "claim empty", msg: &types.MsgClaimRewards{}, want: types.ErrInvalidAddress, in: []string{"claimant"}},
		{name: "claim other prefix", msg: &types.MsgClaimRewards{Claimant: wrong}, want: types.ErrInvalidAddress, in: []string{"claimant", wrong}},
		{name: "update params valid", msg: &types.MsgUpdateParams{Authority: who, Params: types.DefaultParams()}},
		{name: "update params bad authority", msg: &types.MsgUpdateParams{Authority: "gov", Params: types.DefaultParams()}, want: types.ErrInvalidAddress, in: []string{"authority", `"gov"`}},
		{name: "update params invalid", msg: &types.MsgUpdateParams{Authority: who}, want: types.ErrInvalidParams, in: []string{"epoch_emission"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.msg.ValidateBasic()
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.Truef(t, errorsmod.IsOf(err, tc.want), "got %v, want %v", err, tc.want)
			codespace, code, _ := errorsmod.ABCIInfo(err, false)
			require.Equal(t, types.ModuleName, codespace)
			require.Equal(t, tc.want.ABCICode(), code)
			for _, s := range tc.in {
				require.Contains(t, err.Error(), s)
			}
		})
	}
}
