package types_test

import (
	"testing"
	"time"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/loopin-project/loopin/x/stake/types"
)

func TestMsgValidateBasic(t *testing.T) {
	owner := sdk.AccAddress(make([]byte, 20)).String()
	lp := func(edit func(*types.MsgStakeLP)) *types.MsgStakeLP {
		m := &types.MsgStakeLP{Owner: owner, DeviceId: 1, Duration: 168 * time.Hour, MaxUloopIn: math.NewInt(1000)}
		edit(m)
		return m
	}
	sell := func(edit func(*types.MsgSellCompute)) *types.MsgSellCompute {
		m := &types.MsgSellCompute{Owner: owner, DeviceId: 1, Days: 2, MinUloopOut: math.ZeroInt()}
		edit(m)
		return m
	}
	renew := func(edit func(*types.MsgRenewStake)) *types.MsgRenewStake {
		m := &types.MsgRenewStake{Owner: owner, StakeId: 1, Epochs: 24, MaxUloopIn: math.NewInt(1000)}
		edit(m)
		return m
	}
	for _, tc := range []struct {
		name string
		msg  sdk.HasValidateBasic
		want *errorsmod.Error
		in   []string
	}{
		{name: "lp valid", msg: lp(func(*types.MsgStakeLP) {})},
		{name: "lp bad owner", msg: lp(func(m *types.MsgStakeLP) { m.Owner = "miner" }), want: types.ErrInvalidAddress, in: []string{"owner", `"miner"`}},
		{name: "lp device 0", msg: lp(func(m *types.MsgStakeLP) { m.DeviceId = 0 }), want: types.ErrInvalidID, in: []string{"device_id"}},
		{name: "lp zero duration", msg: lp(func(m *types.MsgStakeLP) { m.Duration = 0 }), want: types.ErrInvalidDuration, in: []string{"duration", "0s"}},
		{name: "lp fractional duration", msg: lp(func(m *types.MsgStakeLP) { m.Duration = time.Hour + time.Millisecond }), want: types.ErrInvalidDuration, in: []string{"1h0m0.001s"}},
		{name: "lp nil bound", msg: lp(func(m *types.MsgStakeLP) { m.MaxUloopIn = math.Int{} }), want: types.ErrInvalidAmount, in: []string{"max_uloop_in"}},
		{name: "lp negative bound", msg: lp(func(m *types.MsgStakeLP) { m.MaxUloopIn = math.NewInt(-3) }), want: types.ErrInvalidAmount, in: []string{"max_uloop_in", "-3"}},

		{name: "sell valid", msg: sell(func(*types.MsgSellCompute) {})},
		{name: "sell bad owner", msg: sell(func(m *types.MsgSellCompute) { m.Owner = "" }), want: types.ErrInvalidAddress, in: []string{"owner"}},
		{name: "sell device 0", msg: sell(func(m *types.MsgSellCompute) { m.DeviceId = 0 }), want: types.ErrInvalidID, in: []string{"device_id"}},
		{name: "sell 0 days", msg: sell(func(m *types.MsgSellCompute) { m.Days = 0 }), want: types.ErrInvalidDuration, in: []string{"days"}},
		{name: "sell negative bound", msg: sell(func(m *types.MsgSellCompute) { m.MinUloopOut = math.NewInt(-1) }), want: types.ErrInvalidAmount, in: []string{"min_uloop_out", "-1"}},

		{name: "renew valid", msg: renew(func(*types.MsgRenewStake) {})},
		{name: "renew bad owner", msg: renew(func(m *types.MsgRenewStake) { m.Owner = "x" }), want: types.ErrInvalidAddress, in: []string{"owner"}},
		{name: "renew stake 0", msg: renew(func(m *types.MsgRenewStake) { m.StakeId = 0 }), want: types.ErrInvalidID, in: []string{"stake_id"}},
		{name: "renew 0 epochs", msg: renew(func(m *types.MsgRenewStake) { m.Epochs = 0 }), want: types.ErrInvalidDuration, in: []string{"epochs"}},
		{name: "renew nil bound", msg: renew(func(m *types.MsgRenewStake) { m.MaxUloopIn = math.Int{} }), want: types.ErrInvalidAmount, in: []string{"max_uloop_in"}},

		{name: "update params valid", msg: &types.MsgUpdateParams{Authority: owner, Params: types.DefaultParams()}},
		{name: "update params bad authority", msg: &types.MsgUpdateParams{Authority: "", Params: types.DefaultParams()}, want: types.ErrInvalidAddress, in: []string{"authority"}},
		{name: "update params invalid", msg: &types.MsgUpdateParams{Authority: owner}, want: types.ErrInvalidParams, in: []string{"staking_fee"}},
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
