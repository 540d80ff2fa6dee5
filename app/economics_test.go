package app_test

import (
	"testing"
	"time"

	"cosmossdk.io/math"
	"github.com/stretchr/testify/require"

	"github.com/loopin-project/loopin/app/apptesting"
	rewardskeeper "github.com/loopin-project/loopin/x/rewards/keeper"
	rewardstypes "github.com/loopin-project/loopin/x/rewards/types"
	staketypes "github.com/loopin-project/loopin/x/stake/types"
)

// The balance condition of whitepaper §5, T_min = α/(γ−β), with the default
// params: α = 10⁶ uloop, β = 0.001 uloop/GPU-s, an epoch of 1 h minting
// 10⁹ uloop of which 70 % to miners.
func TestEconomicsQueryAndBalanceCondition(t *testing.T) {
	c := apptesting.Setup(t)
	q := rewardskeeper.NewQuerier(c.RewardsKeeper)
	eco, err := q.Economics(c.Ctx(), &rewardstypes.QueryEconomicsRequest{})
	require.NoError(t, err)
	// No device committed: γ is one device's rate, 7·10⁸ / 3600.
	require.Equal(t, math.LegacyNewDec(700_000_000).QuoInt64(3600), eco.Gamma)
	require.Equal(t, math.NewInt(1_000_000), eco.StakingFee)
	require.Equal(t, math.LegacyNewDecWithPrec(1, 3), eco.MaintenanceRate)
	// T_min = 10⁶ / (194 444.44 − 0.001) = 5.14 s, rounded up.
	require.Equal(t, uint64(6), eco.TMinSeconds)
	require.Equal(t, "6s", eco.TMin)
	require.False(t, eco.Warning)

	// Two committed devices share the miners' pot: γ halves, T_min doubles.
	apptesting.OpenLP(t, c, "rtx-4090", 1, c.Funded, 8*24*time.Hour)
	apptesting.OpenLP(t, c, "a100", 2, c.Funded, 8*24*time.Hour)
	eco, err = q.Economics(c.Ctx(), &rewardstypes.QueryEconomicsRequest{})
	require.NoError(t, err)
	require.Equal(t, uint64(2), eco.CommittedDevices)
	require.Equal(t, math.LegacyNewDec(700_000_000).QuoInt64(7200), eco.Gamma)
	require.Equal(t, uint64(11), eco.TMinSeconds, "10⁶ / 97 222.2 = 10.29 s")

	// β ≥ γ is refused in either module's MsgUpdateParams, naming both.
	sp, err := c.StakeKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	bad := sp
	bad.MaintenanceRate = math.LegacyNewDec(200_000)
	_, err = apptesting.Deliver(c, c.Ctx(), &staketypes.MsgUpdateParams{Authority: apptesting.GovAuthority, Params: bad})
	require.ErrorIs(t, err, rewardstypes.ErrBalance)
	require.ErrorContains(t, err, "β = 200000.000000000000000000")
	require.ErrorContains(t, err, "γ = 194444.444444444444444444")
	rp, err := c.RewardsKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	starve := rp
	starve.EpochEmission = math.NewInt(1) // 0 uloop to miners: γ = 0 ≤ β
	_, err = apptesting.Deliver(c, c.Ctx(), &rewardstypes.MsgUpdateParams{Authority: apptesting.GovAuthority, Params: starve})
	require.ErrorIs(t, err, rewardstypes.ErrBalance)
	after, err := c.StakeKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	require.Equal(t, sp, after, "nothing changed")

	// At genesis too.
	ctx := c.Ctx()
	require.NoError(t, c.StakeKeeper.Params.Set(ctx, bad))
	require.ErrorIs(t, c.RewardsKeeper.InitGenesis(ctx, *rewardstypes.DefaultGenesis()), rewardstypes.ErrBalance)

	// A chain that got there anyway shows the warning.
	eco, err = q.Economics(ctx, &rewardstypes.QueryEconomicsRequest{})
	require.NoError(t, err)
	require.True(t, eco.Warning)
	require.Zero(t, eco.TMinSeconds)
}
