package app_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/loopin-project/loopin/app"
	chaintypes "github.com/loopin-project/loopin/types"
	rewardskeeper "github.com/loopin-project/loopin/x/rewards/keeper"
	rewardstypes "github.com/loopin-project/loopin/x/rewards/types"
)

// Each epoch end mints the emission — the only mint — and splits it: the
// validators' share to the fee collector, the rest to the sink until its
// recipients exist. Supply grows by exactly what the records say.
func TestEpochEmission(t *testing.T) {
	c := app.Setup(t, shortEpochs(2))
	supply0 := c.BankKeeper.GetSupply(c.Ctx(), chaintypes.BondDenom).Amount
	for range 35 { // three and a half 10 s epochs
		c.NextBlock(t, time.Second)
	}
	q := rewardskeeper.NewQuerier(c.RewardsKeeper)
	minted, sink := math.ZeroInt(), math.ZeroInt()
	params, err := c.RewardsKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	epochs := 0
	for n := int64(1); n <= 10; n++ {
		res, err := q.Epoch(c.Ctx(), &rewardstypes.QueryEpochRequest{Epoch: n})
		if err != nil {
			continue
		}
		epochs++
		e := res.Emission
		require.Equal(t, rewardskeeper.Emission(params, n), e.Minted)
		require.Equal(t, params.ValidatorShare.MulInt(e.Minted).TruncateInt(), e.Validators)
		require.Equal(t, e.Minted, e.Validators.Add(e.Sink), "every minted uloop is accounted for")
		minted, sink = minted.Add(e.Minted), sink.Add(e.Sink)
	}
	require.GreaterOrEqual(t, epochs, 3)
	require.Equal(t, supply0.Add(minted), c.BankKeeper.GetSupply(c.Ctx(), chaintypes.BondDenom).Amount, "supply grows by the emission only")
	module := authtypes.NewModuleAddress(rewardstypes.ModuleName)
	require.Equal(t, sink, c.BankKeeper.GetBalance(c.Ctx(), module, chaintypes.BondDenom).Amount, "the module holds the sink")

	next := c.ExportAndRestart(t)
	_, err = rewardskeeper.NewQuerier(next.RewardsKeeper).Epoch(next.Ctx(), &rewardstypes.QueryEpochRequest{Epoch: 1})
	require.NoError(t, err, "records survive export")
}
