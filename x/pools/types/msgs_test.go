package types_test

import (
	"testing"
	"time"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/bech32"

	"github.com/loopin-project/loopin/x/pools/types"
)

type vbCase struct {
	name string
	msg  sdk.HasValidateBasic
	// want is the registered error, nil for a valid message; the error's
	// text must contain every string of in (the field, the bad value).
	want *errorsmod.Error
	in   []string
}

func runValidateBasic(t *testing.T, cases []vbCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.msg.ValidateBasic()
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
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

func addr(b byte) string {
	bz := make([]byte, 20)
	bz[0] = b
	return sdk.AccAddress(bz).String()
}

func otherPrefix(t *testing.T) string {
	s, err := bech32.ConvertAndEncode("other", make([]byte, 20))
	require.NoError(t, err)
	return s
}

func TestMsgValidateBasic(t *testing.T) {
	client, gov := addr(1), addr(2)
	wrong := otherPrefix(t)
	buy := func(edit func(*types.MsgBuyLease)) *types.MsgBuyLease {
		m := &types.MsgBuyLease{Client: client, GpuClass: "rtx-4090", Duration: 2 * time.Hour, MaxUloopIn: math.NewInt(1000)}
		edit(m)
		return m
	}
	extend := func(edit func(*types.MsgExtendLease)) *types.MsgExtendLease {
		m := &types.MsgExtendLease{Client: client, LeaseId: 1, Duration: time.Hour, MaxUloopIn: math.NewInt(1000)}
		edit(m)
		return m
	}
	terminate := func(edit func(*types.MsgTerminateLease)) *types.MsgTerminateLease {
		m := &types.MsgTerminateLease{Client: client, LeaseId: 1, MinRefund: math.ZeroInt()}
		edit(m)
		return m
	}
	_, classes := types.DefaultPools()
	runValidateBasic(t, []vbCase{
		{name: "buy valid", msg: buy(func(*types.MsgBuyLease) {})},
		{name: "buy zero bound valid", msg: buy(func(m *types.MsgBuyLease) { m.MaxUloopIn = math.ZeroInt() })},
		{name: "buy empty client", msg: buy(func(m *types.MsgBuyLease) { m.Client = "" }), want: types.ErrInvalidAddress, in: []string{"client"}},
		{name: "buy garbage client", msg: buy(func(m *types.MsgBuyLease) { m.Client = "nope" }), want: types.ErrInvalidAddress, in: []string{"client", `"nope"`}},
		{name: "buy other prefix", msg: buy(func(m *types.MsgBuyLease) { m.Client = wrong }), want: types.ErrInvalidAddress, in: []string{wrong}},
		{name: "buy upper-case class", msg: buy(func(m *types.MsgBuyLease) { m.GpuClass = "RTX-4090" }), want: types.ErrPoolNotFound, in: []string{"gpu_class", `"RTX-4090"`}},
		{name: "buy empty class", msg: buy(func(m *types.MsgBuyLease) { m.GpuClass = "" }), want: types.ErrPoolNotFound, in: []string{"gpu_class"}},
		{name: "buy class with space", msg: buy(func(m *types.MsgBuyLease) { m.GpuClass = "rtx 4090" }), want: types.ErrPoolNotFound, in: []string{`"rtx 4090"`}},
		{name: "buy zero duration", msg: buy(func(m *types.MsgBuyLease) { m.Duration = 0 }), want: types.ErrInvalidDuration, in: []string{"duration", "0s"}},
		{name: "buy negative duration", msg: buy(func(m *types.MsgBuyLease) { m.Duration = -time.Hour }), want: types.ErrInvalidDuration, in: []string{"-1h0m0s"}},
		{name: "buy fractional duration", msg: buy(func(m *types.MsgBuyLease) { m.Duration = 1500 * time.Millisecond }), want: types.ErrInvalidDuration, in: []string{"1.5s"}},
		{name: "buy nil bound", msg: buy(func(m *types.MsgBuyLease) { m.MaxUloopIn = math.Int{} }), want: types.ErrInvalidAmount, in: []string{"max_uloop_in"}},
		{name: "buy negative bound", msg: buy(func(m *types.MsgBuyLease) { m.MaxUloopIn = math.NewInt(-1) }), want: types.ErrInvalidAmount, in: []string{"max_uloop_in", "-1"}},
		{name: "buy on a named device valid", msg: buy(func(m *types.MsgBuyLease) { m.DeviceId = 7 })},
		{name: "buy with min commitment end valid", msg: buy(func(m *types.MsgBuyLease) { e := time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC); m.MinCommitmentEnd = &e })},
		{name: "buy min commitment end at the epoch", msg: buy(func(m *types.MsgBuyLease) { e := time.Unix(0, 0); m.MinCommitmentEnd = &e }), want: types.ErrInvalidTime, in: []string{"min_commitment_end", "1970-01-01T00:00:00Z"}},
		{name: "buy zero min commitment end", msg: buy(func(m *types.MsgBuyLease) { m.MinCommitmentEnd = &time.Time{} }), want: types.ErrInvalidTime, in: []string{"min_commitment_end"}},

		{name: "extend valid", msg: extend(func(*types.MsgExtendLease) {})},
		{name: "extend bad client", msg: extend(func(m *types.MsgExtendLease) { m.Client = wrong }), want: types.ErrInvalidAddress, in: []string{"client"}},
		{name: "extend lease 0", msg: extend(func(m *types.MsgExtendLease) { m.LeaseId = 0 }), want: types.ErrInvalidID, in: []string{"lease_id"}},
		{name: "extend zero duration", msg: extend(func(m *types.MsgExtendLease) { m.Duration = 0 }), want: types.ErrInvalidDuration, in: []string{"duration"}},
		{name: "extend negative bound", msg: extend(func(m *types.MsgExtendLease) { m.MaxUloopIn = math.NewInt(-5) }), want: types.ErrInvalidAmount, in: []string{"max_uloop_in", "-5"}},

		{name: "terminate valid", msg: terminate(func(*types.MsgTerminateLease) {})},
		{name: "terminate bad client", msg: terminate(func(m *types.MsgTerminateLease) { m.Client = "" }), want: types.ErrInvalidAddress, in: []string{"client"}},
		{name: "terminate lease 0", msg: terminate(func(m *types.MsgTerminateLease) { m.LeaseId = 0 }), want: types.ErrInvalidID, in: []string{"lease_id"}},
		{name: "terminate nil refund", msg: terminate(func(m *types.MsgTerminateLease) { m.MinRefund = math.Int{} }), want: types.ErrInvalidAmount, in: []string{"min_refund"}},
		{name: "terminate negative refund", msg: terminate(func(m *types.MsgTerminateLease) { m.MinRefund = math.NewInt(-1) }), want: types.ErrInvalidAmount, in: []string{"min_refund", "-1"}},

		{name: "update params valid", msg: &types.MsgUpdateParams{Authority: gov, Params: types.DefaultParams()}},
		{name: "update params bad authority", msg: &types.MsgUpdateParams{Authority: "gov", Params: types.DefaultParams()}, want: types.ErrInvalidAddress, in: []string{"authority", `"gov"`}},
		{name: "update params invalid", msg: &types.MsgUpdateParams{Authority: gov}, want: types.ErrInvalidParams, in: []string{"exchange_fee"}},

		{name: "create pool valid", msg: &types.MsgCreatePool{Authority: gov, Class: classes[0]}},
		{name: "create pool bad authority", msg: &types.MsgCreatePool{Authority: "", Class: classes[0]}, want: types.ErrInvalidAddress, in: []string{"authority"}},
		{name: "create pool bad class", msg: &types.MsgCreatePool{Authority: gov, Class: types.GpuClass{Name: "X"}}, want: types.ErrInvalidPool, in: []string{`"X"`}},

		{name: "set status valid", msg: &types.MsgSetPoolStatus{Authority: gov, PoolId: 3, Status: types.POOL_STATUS_RETIRED}},
		{name: "set status bad authority", msg: &types.MsgSetPoolStatus{Authority: wrong, PoolId: 3, Status: types.POOL_STATUS_RETIRED}, want: types.ErrInvalidAddress, in: []string{"authority"}},
		{name: "set status pool 0", msg: &types.MsgSetPoolStatus{Authority: gov, Status: types.POOL_STATUS_RETIRED}, want: types.ErrInvalidID, in: []string{"pool_id"}},
		{name: "set status unspecified", msg: &types.MsgSetPoolStatus{Authority: gov, PoolId: 3}, want: types.ErrInvalidPool, in: []string{"POOL_STATUS_UNSPECIFIED"}},
		{name: "set status out of range", msg: &types.MsgSetPoolStatus{Authority: gov, PoolId: 3, Status: 42}, want: types.ErrInvalidPool, in: []string{"42"}},
	})
}
