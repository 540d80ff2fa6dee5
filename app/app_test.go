package app_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"

	"github.com/loopin-project/loopin/app"
	"github.com/loopin-project/loopin/app/apptesting"
	chaintypes "github.com/loopin-project/loopin/types"
	pocpskeeper "github.com/loopin-project/loopin/x/pocps/keeper"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	poolskeeper "github.com/loopin-project/loopin/x/pools/keeper"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
	rewardskeeper "github.com/loopin-project/loopin/x/rewards/keeper"
	rewardstypes "github.com/loopin-project/loopin/x/rewards/types"
	stakekeeper "github.com/loopin-project/loopin/x/stake/keeper"
	staketypes "github.com/loopin-project/loopin/x/stake/types"
)

// paramsCase drives one LooPIN module's MsgUpdateParams and Query/Params
// through the real app: valid builds a message that changes a parameter,
// invalid one that Validate must refuse, get reads the params back over the
// module's Query service.
type paramsCase struct {
	module  string
	event   string
	valid   func(authority string) (msg sdk.Msg, want any)
	invalid func(authority string) sdk.Msg
	get     func(t *testing.T, c *apptesting.TestChain) any
	// decode fuzzes: it reads a MsgUpdateParams from protobuf bytes and
	// reports whether its params pass Validate.
	decode func(bz []byte, authority string) (msg sdk.Msg, want any, valid bool, err error)
	// nilQuery calls Query/Params with a nil request.
	nilQuery func(c *apptesting.TestChain) error
	// initInvalid runs the keeper's InitGenesis with invalid params.
	initInvalid func(c *apptesting.TestChain, invalid sdk.Msg) error
}

func paramsCases() []paramsCase {
	return []paramsCase{
		{
			module: poolstypes.ModuleName,
			event:  "loopin.pools.v1.EventParamsUpdated",
			valid: func(a string) (sdk.Msg, any) {
				p := poolstypes.DefaultParams()
				p.ExchangeFee = math.LegacyNewDecWithPrec(5, 3)
				return &poolstypes.MsgUpdateParams{Authority: a, Params: p}, p
			},
			invalid: func(a string) sdk.Msg {
				p := poolstypes.DefaultParams()
				p.MaxLeaseDuration = p.MinLeaseDuration - time.Second
				return &poolstypes.MsgUpdateParams{Authority: a, Params: p}
			},
			get: func(t *testing.T, c *apptesting.TestChain) any {
				res, err := poolskeeper.NewQuerier(c.PoolsKeeper).Params(c.Ctx(), &poolstypes.QueryParamsRequest{})
				require.NoError(t, err)
				return res.Params
			},
			decode: func(bz []byte, a string) (sdk.Msg, any, bool, error) {
				var p poolstypes.Params
				if err := p.Unmarshal(bz); err != nil {
					return nil, nil, false, err
				}
				return &poolstypes.MsgUpdateParams{Authority: a, Params: p}, p, p.Validate() == nil, nil
			},
			nilQuery: func(c *apptesting.TestChain) error {
				_, err := poolskeeper.NewQuerier(c.PoolsKeeper).Params(c.Ctx(), nil)
				return err
			},
			initInvalid: func(c *apptesting.TestChain, invalid sdk.Msg) error {
				gs := poolstypes.DefaultGenesis()
				gs.Params = invalid.(*poolstypes.MsgUpdateParams).Params
				return c.PoolsKeeper.InitGenesis(c.Ctx(), *gs)
			},
		},
		{
			module: staketypes.ModuleName,
			event:  "loopin.stake.v1.EventParamsUpdated",
			valid: func(a string) (sdk.Msg, any) {
				p := staketypes.DefaultParams()
				p.MinLpDuration = time.Hour
				return &staketypes.MsgUpdateParams{Authority: a, Params: p}, p
			},
			invalid: func(a string) sdk.Msg {
				p := staketypes.DefaultParams()
				p.SellMinDays = 8
				return &staketypes.MsgUpdateParams{Authority: a, Params: p}
			},
			get: func(t *testing.T, c *apptesting.TestChain) any {
				res, err := stakekeeper.NewQuerier(c.StakeKeeper).Params(c.Ctx(), &staketypes.QueryParamsRequest{})
				require.NoError(t, err)
				return res.Params
			},
			decode: func(bz []byte, a string) (sdk.Msg, any, bool, error) {
				var p staketypes.Params
				if err := p.Unmarshal(bz); err != nil {
					return nil, nil, false, err
				}
				return &staketypes.MsgUpdateParams{Authority: a, Params: p}, p, p.Validate() == nil, nil
			},
			nilQuery: func(c *apptesting.TestChain) error {
				_, err := stakekeeper.NewQuerier(c.StakeKeeper).Params(c.Ctx(), nil)
				return err
			},
			initInvalid: func(c *apptesting.TestChain, invalid sdk.Msg) error {
				gs := staketypes.DefaultGenesis()
				gs.Params = invalid.(*staketypes.MsgUpdateParams).Params
				return c.StakeKeeper.InitGenesis(c.Ctx(), *gs)
			},
		},
		{
			module: pocpstypes.ModuleName,
			event:  "loopin.pocps.v1.EventParamsUpdated",
			valid: func(a string) (sdk.Msg, any) {
				p := pocpstypes.DefaultParams()
				p.Confirmations = 1
				return &pocpstypes.MsgUpdateParams{Authority: a, Params: p}, p
			},
			invalid: func(a string) sdk.Msg {
				p := pocpstypes.DefaultParams()
				p.PLimit = 101
				return &pocpstypes.MsgUpdateParams{Authority: a, Params: p}
			},
			get: func(t *testing.T, c *apptesting.TestChain) any {
				res, err := pocpskeeper.NewQuerier(c.PocpsKeeper).Params(c.Ctx(), &pocpstypes.QueryParamsRequest{})
				require.NoError(t, err)
				return res.Params
			},
			decode: func(bz []byte, a string) (sdk.Msg, any, bool, error) {
				var p pocpstypes.Params
				if err := p.Unmarshal(bz); err != nil {
					return nil, nil, false, err
				}
				return &pocpstypes.MsgUpdateParams{Authority: a, Params: p}, p, p.Validate() == nil, nil
			},
			nilQuery: func(c *apptesting.TestChain) error {
				_, err := pocpskeeper.NewQuerier(c.PocpsKeeper).Params(c.Ctx(), nil)
				return err
			},
			initInvalid: func(c *apptesting.TestChain, invalid sdk.Msg) error {
				gs := pocpstypes.DefaultGenesis()
				gs.Params = invalid.(*pocpstypes.MsgUpdateParams).Params
				return c.PocpsKeeper.InitGenesis(c.Ctx(), *gs)
			},
		},
		{
			module: rewardstypes.ModuleName,
			event:  "loopin.rewards.v1.EventParamsUpdated",
			valid: func(a string) (sdk.Msg, any) {
				p := rewardstypes.DefaultParams()
				p.MinerShare, p.ClientShare = math.LegacyNewDecWithPrec(60, 2), math.LegacyNewDecWithPrec(20, 2)
				return &rewardstypes.MsgUpdateParams{Authority: a, Params: p}, p
			},
			invalid: func(a string) sdk.Msg {
				p := rewardstypes.DefaultParams()
				p.MinerShare = math.LegacyNewDecWithPrec(80, 2) // shares sum to 1.1
				return &rewardstypes.MsgUpdateParams{Authority: a, Params: p}
			},
			get: func(t *testing.T, c *apptesting.TestChain) any {
				res, err := rewardskeeper.NewQuerier(c.RewardsKeeper).Params(c.Ctx(), &rewardstypes.QueryParamsRequest{})
				require.NoError(t, err)
				return res.Params
			},
			decode: func(bz []byte, a string) (sdk.Msg, any, bool, error) {
				var p rewardstypes.Params
				if err := p.Unmarshal(bz); err != nil {
					return nil, nil, false, err
				}
				return &rewardstypes.MsgUpdateParams{Authority: a, Params: p}, p, p.Validate() == nil, nil
			},
			nilQuery: func(c *apptesting.TestChain) error {
				_, err := rewardskeeper.NewQuerier(c.RewardsKeeper).Params(c.Ctx(), nil)
				return err
			},
			initInvalid: func(c *apptesting.TestChain, invalid sdk.Msg) error {
				gs := rewardstypes.DefaultGenesis()
				gs.Params = invalid.(*rewardstypes.MsgUpdateParams).Params
				return c.RewardsKeeper.InitGenesis(c.Ctx(), *gs)
			},
		},
	}
}

func TestUpdateParamsThroughTheApp(t *testing.T) {
	for _, tc := range paramsCases() {
		t.Run(tc.module, func(t *testing.T) {
			c := apptesting.Setup(t)
			before := tc.get(t, c)

			// A stranger cannot change the params.
			stranger := c.Funded.String()
			msg, _ := tc.valid(stranger)
			_, err := apptesting.Deliver(c, c.Ctx(), msg)
			require.ErrorContains(t, err, "invalid authority")
			require.Equal(t, before, tc.get(t, c))

			// Governance cannot set invalid params.
			_, err = apptesting.Deliver(c, c.Ctx(), tc.invalid(apptesting.GovAuthority))
			require.ErrorContains(t, err, "invalid params")
			require.Equal(t, before, tc.get(t, c))

			// Governance sets valid params; the change is visible and announced.
			msg, want := tc.valid(apptesting.GovAuthority)
			res, err := apptesting.Deliver(c, c.Ctx(), msg)
			require.NoError(t, err)
			require.Equal(t, want, tc.get(t, c))
			require.NotEqual(t, before, want)
			var types []string
			for _, ev := range res.GetEvents() {
				types = append(types, ev.Type)
			}
			require.Contains(t, types, tc.event)
		})
	}
}

func TestDefaultGenesis(t *testing.T) {
	c := apptesting.Setup(t)
	gs := c.DefaultGenesis()
	require.NoError(t, c.BasicModuleManager.ValidateGenesis(c.AppCodec(), c.TxConfig(), gs))
	for _, m := range []string{poolstypes.ModuleName, staketypes.ModuleName, pocpstypes.ModuleName, rewardstypes.ModuleName, epochstypes.ModuleName} {
		require.Contains(t, gs, m)
	}
	require.NotContains(t, gs, "mint", "x/rewards is the only mint; x/mint must not be wired")

	// One epoch clock, `loopin`, one hour long.
	var epochs epochstypes.GenesisState
	c.AppCodec().MustUnmarshalJSON(gs[epochstypes.ModuleName], &epochs)
	require.Len(t, epochs.Epochs, 1)
	require.Equal(t, chaintypes.EpochIdentifier, epochs.Epochs[0].Identifier)
	require.Equal(t, time.Hour, epochs.Epochs[0].Duration)

	// uloop is the bond denom.
	bondDenom, err := c.StakingKeeper.BondDenom(c.Ctx())
	require.NoError(t, err)
	require.Equal(t, chaintypes.BondDenom, bondDenom)
}

func TestOnlyRewardsMayMint(t *testing.T) {
	for name, perms := range app.ModuleAccountPermissions() {
		if name == rewardstypes.ModuleName {
			require.Contains(t, perms, authtypes.Minter)
			continue
		}
		require.NotContains(t, perms, authtypes.Minter, "module account %s may mint", name)
	}
}

func TestEpochClockTicks(t *testing.T) {
	c := apptesting.Setup(t, func(gs app.GenesisState) {
		var epochs epochstypes.GenesisState
		epochs.Epochs = []epochstypes.EpochInfo{epochstypes.NewGenesisEpochInfo(chaintypes.EpochIdentifier, 10*time.Second)}
		gs[epochstypes.ModuleName] = app.MakeEncodingConfig().Codec.MustMarshalJSON(&epochs)
	})
	start, err := c.EpochsKeeper.GetEpochInfo(c.Ctx(), chaintypes.EpochIdentifier)
	require.NoError(t, err)
	for range 25 {
		c.NextBlock(t, time.Second)
	}
	end, err := c.EpochsKeeper.GetEpochInfo(c.Ctx(), chaintypes.EpochIdentifier)
	require.NoError(t, err)
	require.Equal(t, start.CurrentEpoch+2, end.CurrentEpoch, "25 one-second blocks cross two 10 s epoch boundaries")
}

func TestExportImport(t *testing.T) {
	c := apptesting.Setup(t)

	// Change a parameter of every LooPIN module and move some funds, so that
	// the export carries non-default state.
	ctx := c.Ctx()
	var wants []any
	for _, tc := range paramsCases() {
		msg, want := tc.valid(apptesting.GovAuthority)
		_, err := apptesting.Deliver(c, ctx, msg)
		require.NoError(t, err)
		wants = append(wants, want)
	}
	receiver := sdk.AccAddress([]byte("receiver____________"))
	_, err := apptesting.Deliver(c, ctx, &banktypes.MsgSend{
		FromAddress: c.Funded.String(),
		ToAddress:   receiver.String(),
		Amount:      sdk.NewCoins(sdk.NewInt64Coin(chaintypes.BondDenom, 12345)),
	})
	require.NoError(t, err)
	for range 3 {
		c.NextBlock(t, time.Second)
	}

	next := c.ExportAndRestart(t)
	next.NextBlock(t, time.Second)
	for i, tc := range paramsCases() {
		require.Equal(t, wants[i], tc.get(t, next), tc.module)
	}
	require.Equal(t, int64(12345), next.BankKeeper.GetBalance(next.Ctx(), receiver, chaintypes.BondDenom).Amount.Int64())
	supplyBefore := c.BankKeeper.GetSupply(c.Ctx(), chaintypes.BondDenom)
	require.Equal(t, supplyBefore, next.BankKeeper.GetSupply(next.Ctx(), chaintypes.BondDenom))
}

func TestQueriesAndGenesisRejectBadInput(t *testing.T) {
	c := apptesting.Setup(t)
	for _, tc := range paramsCases() {
		t.Run(tc.module, func(t *testing.T) {
			before := tc.get(t, c)
			err := tc.nilQuery(c)
			require.Equal(t, codes.InvalidArgument, status.Code(err), "nil request: %v", err)
			require.ErrorContains(t, tc.initInvalid(c, tc.invalid(apptesting.GovAuthority)), "invalid params")
			require.Equal(t, before, tc.get(t, c), "a rejected genesis changes nothing")
		})
	}
}

// FuzzUpdateParams sends MsgUpdateParams with arbitrary params, decoded from
// fuzzed protobuf bytes, to each LooPIN module through the app's Msg router.
// Whatever the bytes, the handler must either refuse the message and leave
// the params as they were, or accept it exactly when the params are valid and
// then store them unchanged.
func FuzzUpdateParams(f *testing.F) {
	cases := paramsCases()
	for i, tc := range cases {
		msg, _ := tc.valid(apptesting.GovAuthority)
		bz, err := paramsBytes(msg)
		require.NoError(f, err)
		f.Add(uint8(i), bz)
		bz, err = paramsBytes(tc.invalid(apptesting.GovAuthority))
		require.NoError(f, err)
		f.Add(uint8(i), bz)
	}
	f.Add(uint8(0), []byte{0x0a, 0x03, 'a', 'b', 'c'})
	c := apptesting.Setup(f)
	f.Fuzz(func(t *testing.T, which uint8, bz []byte) {
		tc := cases[int(which)%len(cases)]
		msg, want, valid, err := tc.decode(bz, apptesting.GovAuthority)
		if err != nil {
			return // not a Params message at all
		}
		before := tc.get(t, c)
		ctx, write := c.Ctx().CacheContext()
		_, err = apptesting.Deliver(c, ctx, msg)
		if !valid {
			require.Error(t, err)
			require.Equal(t, before, tc.get(t, c))
			return
		}
		require.NoError(t, err)
		write()
		require.Equal(t, want, tc.get(t, c))
	})
}

func paramsBytes(msg sdk.Msg) ([]byte, error) {
	switch m := msg.(type) {
	case *poolstypes.MsgUpdateParams:
		return m.Params.Marshal()
	case *staketypes.MsgUpdateParams:
		return m.Params.Marshal()
	case *pocpstypes.MsgUpdateParams:
		return m.Params.Marshal()
	case *rewardstypes.MsgUpdateParams:
		return m.Params.Marshal()
	}
	return nil, fmt.Errorf("not a LooPIN MsgUpdateParams: %T", msg)
}
