package app_test

import (
	"testing"
	"time"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/loopin-project/loopin/app/apptesting"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
	rewardstypes "github.com/loopin-project/loopin/x/rewards/types"
)

func pending(c *apptesting.TestChain, addr sdk.AccAddress) math.Int {
	v, err := c.RewardsKeeper.Pending.Get(c.Ctx(), addr)
	if err != nil {
		return math.ZeroInt()
	}
	return v
}

// The miners' share goes to committed devices by weight × seconds and the
// clients' share to leases by leased seconds (x/rewards/README.md): two equal
// devices committed 10 s and 5 s of a period split the miners' pot 2 : 1;
// a lone lease takes the clients' pot of its periods, up to
// client_rebate_cap × the fees it burned (x/rewards' wash-leasing tests). Nothing is
// created: what the streams allot never exceeds the pots.
func TestMinersAndClientsShares(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(1)) // 10 s epochs
	minerA, minerB := apptesting.Account(t, c, "miner-a", 100_000_000_000), apptesting.Account(t, c, "miner-b", 100_000_000_000)
	client := apptesting.Account(t, c, "client", 100_000_000_000)
	apptesting.PutSealedDevice(t, c, 1, minerA)
	apptesting.PutSealedDevice(t, c, 2, minerB)
	// Start right after an epoch end, so a whole period lies ahead.
	// (A miners' period no account refers to is deleted at once, so the
	// stream's open period tells, not the Periods record.)
	periodClosed := func(stream uint32, p uint64) bool {
		st, err := c.RewardsKeeper.Streams.Get(c.Ctx(), stream)
		if err != nil {
			return false
		}
		return st.Period > p
	}
	for !periodClosed(rewardstypes.StreamMiners, 0) {
		c.NextBlock(t, time.Second)
	}
	st, err := c.RewardsKeeper.Streams.Get(c.Ctx(), rewardstypes.StreamMiners)
	require.NoError(t, err)
	open := st.Period

	tA := c.Ctx().BlockTime().Unix()
	_, err = apptesting.StakeLP(c, minerA, 1, 7*24*time.Hour)
	require.NoError(t, err)
	c.NextBlock(t, 4*time.Second)
	tB := c.Ctx().BlockTime().Unix()
	_, err = apptesting.StakeLP(c, minerB, 2, 7*24*time.Hour)
	require.NoError(t, err)
	res, err := apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "rtx-4090", Duration: 2 * time.Hour, MaxUloopIn: math.NewInt(1 << 50)})
	require.NoError(t, err)
	var bought poolstypes.MsgBuyLeaseResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &bought))
	for !periodClosed(rewardstypes.StreamMiners, open) {
		c.NextBlock(t, time.Second)
	}
	st, err = c.RewardsKeeper.Streams.Get(c.Ctx(), rewardstypes.StreamMiners)
	require.NoError(t, err)
	end := st.PeriodStart // the close of period `open`
	rec := latestEmission(t, c)

	// Passed challenges re-weigh (and so settle) the devices; here the hook
	// is called directly.
	hooks := c.RewardsKeeper.PocpsHooks()
	require.NoError(t, hooks.AfterDeviceScored(c.Ctx(), 1))
	require.NoError(t, hooks.AfterDeviceScored(c.Ctx(), 2))
	a, b := pending(c, minerA), pending(c, minerB)
	require.True(t, a.IsPositive() && b.IsPositive())
	wsA, wsB := end-tA, end-tB // equal weights: weight-seconds ∝ seconds
	require.True(t, a.Add(b).LTE(rec.Miners), "never more than the miners' pot: %s + %s > %s", a, b, rec.Miners)
	require.True(t, rec.Miners.Sub(a.Add(b)).LTE(math.NewInt(2)), "the pot less rounding: %s + %s of %s", a, b, rec.Miners)
	// a/b = wsA/wsB within a uloop of rounding each.
	lhs, rhs := a.MulRaw(wsB), b.MulRaw(wsA)
	require.True(t, lhs.Sub(rhs).Abs().LTE(math.NewInt(wsA+wsB)), "A %s for %d s, B %s for %d s", a, wsA, b, wsB)
	mintedA, err := c.RewardsKeeper.Minted.Get(c.Ctx(), minerA)
	require.NoError(t, err)
	require.Equal(t, a, mintedA, "C_minted counts the miners' rewards")

	// The client: its lease is the only one, so it takes the clients' pots
	// of the periods it ran in, up to its cap, credited when the lease ends.
	require.True(t, pending(c, client).IsZero())
	_, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgTerminateLease{Client: client.String(), LeaseId: bought.LeaseId, MinRefund: math.ZeroInt()})
	require.NoError(t, err)
	clientsPeriod := func() uint64 {
		cs, err := c.RewardsKeeper.Streams.Get(c.Ctx(), rewardstypes.StreamClients)
		require.NoError(t, err)
		return cs.Period
	}
	p := clientsPeriod()
	for clientsPeriod() == p {
		c.NextBlock(t, time.Second)
	}
	got := pending(c, client)
	require.True(t, got.IsPositive(), "the client was paid when its last period closed")
	has, err := c.RewardsKeeper.RewardAccounts.Has(c.Ctx(), collections.Join(rewardstypes.StreamClients, bought.LeaseId))
	require.NoError(t, err)
	require.False(t, has, "the ended lease's account is gone once paid")

	// The streams survive an export.
	st, err = c.RewardsKeeper.Streams.Get(c.Ctx(), rewardstypes.StreamMiners)
	require.NoError(t, err)
	c = c.ExportAndRestart(t)
	st2, err := c.RewardsKeeper.Streams.Get(c.Ctx(), rewardstypes.StreamMiners)
	require.NoError(t, err)
	require.Equal(t, st.Weight, st2.Weight, "both devices still earn, with their weights")
	require.True(t, st2.Period >= st.Period && st2.Cumulative.GTE(st.Cumulative), "R carried over")
}

func latestEmission(t *testing.T, c *apptesting.TestChain) rewardstypes.EpochEmission {
	t.Helper()
	var rec rewardstypes.EpochEmission
	require.NoError(t, c.RewardsKeeper.Epochs.Walk(c.Ctx(), nil, func(_ int64, e rewardstypes.EpochEmission) (bool, error) {
		rec = e
		return false, nil
	}))
	return rec
}
