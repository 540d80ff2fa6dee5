package app_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/loopin-project/loopin/app/apptesting"
	chaintypes "github.com/loopin-project/loopin/types"
	rewardstypes "github.com/loopin-project/loopin/x/rewards/types"
)

// A LooPIN epoch hook that fails loses only its own writes: x/pools'
// dissipation is made to fail (its params are gone from the store), and at
// the epoch end the pool is left as it was while x/pocps still records the
// epoch and x/rewards still mints the emission. Once the params are back,
// the next epoch end dissipates again.
func TestFailingEpochHookDoesNotStopTheMint(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(2)) // 10 s epochs
	miner := apptesting.Account(t, c, "miner", 10_000_000_000)
	apptesting.OpenLP(t, c, "rtx-4090", 1, miner, 10*24*time.Hour)
	for len(emissions(t, c)) == 0 {
		c.NextBlock(t, time.Second)
	}

	before := apptesting.PoolOf(t, c, "rtx-4090")
	params, err := c.PoolsKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	require.NoError(t, c.PoolsKeeper.Params.Remove(c.Ctx())) // x/pools' EpochEnd now fails
	pocpsEpoch, err := c.PocpsKeeper.CurrentEpoch.Get(c.Ctx())
	require.NoError(t, err)
	minted := len(emissions(t, c))
	supply := c.BankKeeper.GetSupply(c.Ctx(), chaintypes.BondDenom).Amount
	for range 11 { // one whole epoch
		c.NextBlock(t, time.Second)
	}

	after := apptesting.PoolOf(t, c, "rtx-4090")
	require.Equal(t, before.AccountedAt, after.AccountedAt, "the failed dissipation wrote nothing")
	require.Equal(t, before.ReserveUloop, after.ReserveUloop)
	got, err := c.PocpsKeeper.CurrentEpoch.Get(c.Ctx())
	require.NoError(t, err)
	require.Greater(t, got, pocpsEpoch, "x/pocps' epoch end ran after the failure")
	all := emissions(t, c)
	require.Len(t, all, minted+1, "x/rewards minted the epoch after the failure")
	last := all[len(all)-1]
	require.True(t, last.Minted.IsPositive())
	require.Equal(t, supply.Add(last.Minted), c.BankKeeper.GetSupply(c.Ctx(), chaintypes.BondDenom).Amount)

	require.NoError(t, c.PoolsKeeper.Params.Set(c.Ctx(), params))
	for range 11 {
		c.NextBlock(t, time.Second)
	}
	healed := apptesting.PoolOf(t, c, "rtx-4090")
	require.True(t, healed.AccountedAt.After(after.AccountedAt), "the next epoch end dissipates again")
	require.True(t, healed.ReserveUloop.LT(after.ReserveUloop))
	apptesting.CheckPools(t, c)
}

// emissions lists the EpochEmission records in epoch order.
func emissions(t *testing.T, c *apptesting.TestChain) []rewardstypes.EpochEmission {
	t.Helper()
	var out []rewardstypes.EpochEmission
	require.NoError(t, c.RewardsKeeper.Epochs.Walk(c.Ctx(), nil, func(_ int64, e rewardstypes.EpochEmission) (bool, error) {
		out = append(out, e)
		return false, nil
	}))
	return out
}
