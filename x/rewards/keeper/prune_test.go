package keeper_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/loopin-project/loopin/app/apptesting"
	rewardskeeper "github.com/loopin-project/loopin/x/rewards/keeper"
	rewardstypes "github.com/loopin-project/loopin/x/rewards/types"
)

func countPeriods(t *testing.T, c *apptesting.TestChain, ctx sdk.Context, stream uint32) int {
	t.Helper()
	n := 0
	require.NoError(t, c.RewardsKeeper.Periods.Walk(ctx, collections.NewPrefixedPairRange[uint32, uint64](stream), func(collections.Pair[uint32, uint64], rewardstypes.Period) (bool, error) {
		n++
		return false, nil
	}))
	return n
}

func pendingAt(ctx sdk.Context, c *apptesting.TestChain, addr sdk.AccAddress) math.Int {
	v, err := c.RewardsKeeper.Pending.Get(ctx, addr)
	if err != nil {
		return math.ZeroInt()
	}
	return v
}

// Epoch records older than epoch_retention and the periods nothing can
// read again are deleted at epoch ends, and what they would have paid is
// unchanged: a device not settled since its stake began (its period kept,
// the ones after it, which nobody refers to, deleted) and a lease that
// started after the periods the lease cursor let go are settled the same
// in the pruned state as in the state with every record restored. The
// period the device still refers to is needed: without it, settling fails.
// A pruned epoch's query says so; the bookkeeping survives an export.
func TestPrunedRecordsAreNotNeeded(t *testing.T) {
	c := apptesting.Setup(t, epochsOf(10*time.Second), minLease(10*time.Second), rewardsParams(func(p *rewardstypes.Params) {
		p.EpochRetention = 3
		p.EpochEmission = math.NewInt(100) // small pots: the long lease stays below its cap
	}))
	a, b := apptesting.Account(t, c, "miner a", 100_000_000_000), apptesting.Account(t, c, "miner b", 100_000_000_000)
	x, y := apptesting.Account(t, c, "client x", 100_000_000_000), apptesting.Account(t, c, "client y", 100_000_000_000)
	apptesting.PutSealedDevice(t, c, 1, a)
	apptesting.PutSealedDevice(t, c, 2, b)
	for _, d := range []struct {
		id    uint64
		owner sdk.AccAddress
	}{{1, a}, {2, b}} {
		_, err := apptesting.StakeLP(c, d.owner, d.id, 7*24*time.Hour)
		require.NoError(t, err)
	}
	pr := periodRecords{}
	minersPeriod := func() uint64 {
		st, err := c.RewardsKeeper.Streams.Get(c.Ctx(), rewardstypes.StreamMiners)
		if err != nil {
			return 0
		}
		return st.Period
	}
	// Device 2 passes a challenge every epoch (its account moves on);
	// device 1 is never settled.
	run := func(blocks int) {
		for range blocks {
			p := minersPeriod()
			c.NextBlock(t, 5*time.Second)
			pr.snapshot(t, c)
			if minersPeriod() != p {
				require.NoError(t, c.RewardsKeeper.PocpsHooks().AfterDeviceScored(c.Ctx(), 2))
			}
		}
	}
	run(12)
	// Both leases start in the same period: the short one's end moves the
	// watermark to that period, which the long one still needs.
	short := buyLease(t, c, x, 10*time.Second)
	long := buyLease(t, c, y, 5*time.Hour)
	run(25) // the short lease ends; a dozen epochs pass, ending mid-period
	lease, err := c.PoolsKeeper.Leases.Get(c.Ctx(), long)
	require.NoError(t, err)
	require.True(t, leasePaid(t, c, short))

	ctx := c.Ctx()
	k := c.RewardsKeeper
	// Epoch records: only the last epoch_retention are kept; a pruned one
	// is NotFound and says so.
	q := rewardskeeper.NewQuerier(k)
	var kept []int64
	require.NoError(t, k.Epochs.Walk(ctx, nil, func(e int64, _ rewardstypes.EpochEmission) (bool, error) {
		kept = append(kept, e)
		return false, nil
	}))
	require.Len(t, kept, 3)
	_, err = q.Epoch(ctx, &rewardstypes.QueryEpochRequest{Epoch: kept[2]})
	require.NoError(t, err)
	_, err = q.Epoch(ctx, &rewardstypes.QueryEpochRequest{Epoch: 1})
	require.Equal(t, codes.NotFound, status.Code(err))
	require.ErrorContains(t, err, "epoch 1 was pruned")
	_, err = q.Epoch(ctx, &rewardstypes.QueryEpochRequest{Epoch: kept[2] + 1})
	require.Equal(t, codes.NotFound, status.Code(err))
	require.ErrorContains(t, err, "no emission recorded")

	// Periods were pruned in both streams: the miners' that nobody refers
	// to, the clients' before the lease watermark.
	acct1, err := k.RewardAccounts.Get(ctx, collections.Join(rewardstypes.StreamMiners, uint64(1)))
	require.NoError(t, err)
	has, err := k.Periods.Has(ctx, collections.Join(rewardstypes.StreamMiners, acct1.SincePeriod))
	require.NoError(t, err)
	require.True(t, has, "device 1's period is kept")
	seen := func(stream uint32) int {
		n := 0
		for key := range pr {
			if key.stream == stream {
				n++
			}
		}
		return n
	}
	require.Less(t, countPeriods(t, c, ctx, rewardstypes.StreamMiners), seen(rewardstypes.StreamMiners)-5)
	require.Less(t, countPeriods(t, c, ctx, rewardstypes.StreamClients), seen(rewardstypes.StreamClients)-5)
	cs, err := k.Streams.Get(ctx, rewardstypes.StreamClients)
	require.NoError(t, err)
	require.Equal(t, short+1, cs.LeaseCursor, "the cursor passed the short lease, not the long one")

	// Settling after pruning pays what it pays with every record restored.
	restored, _ := ctx.CacheContext()
	for key, p := range pr {
		require.NoError(t, k.Periods.Set(restored, collections.Join(key.stream, key.period), p))
	}
	pruned, _ := ctx.CacheContext()
	settle := func(ctx sdk.Context) (miner, client math.Int, open rewardstypes.RewardAccount) {
		require.NoError(t, k.PocpsHooks().AfterDeviceScored(ctx, 1))
		_, err := c.PoolsKeeper.TerminateLease(ctx, y, long, math.ZeroInt())
		require.NoError(t, err)
		open, err = k.RewardAccounts.Get(ctx, collections.Join(rewardstypes.StreamClients, long))
		if err != nil { // terminated right at a period's start: nothing open
			require.ErrorIs(t, err, collections.ErrNotFound)
		}
		return pendingAt(ctx, c, a), pendingAt(ctx, c, y), open
	}
	require.True(t, pendingAt(ctx, c, a).IsZero() && pendingAt(ctx, c, y).IsZero())
	m1, c1, o1 := settle(pruned)
	m2, c2, o2 := settle(restored)
	require.True(t, m1.IsPositive() && c1.IsPositive(), "device 1 earned %s, the long lease %s", m1, c1)
	require.Equal(t, m2, m1, "device 1 is paid the same")
	require.Equal(t, c2, c1, "the long lease is paid the same for its closed periods")
	require.Equal(t, o2, o1, "and holds the same for its open one")
	require.True(t, o1.Capped && o1.Pending.IsPositive(), "the lease ended mid-period")
	params, err := k.Params.Get(ctx)
	require.NoError(t, err)
	lease, err = c.PoolsKeeper.Leases.Get(pruned, long)
	require.NoError(t, err)
	require.True(t, c1.LT(params.ClientRebateCap.MulInt(lease.Fees).TruncateInt()), "below its cap, so the amount tells")
	require.True(t, lease.Start.Unix() >= cs.LeaseWatermark)

	// The period device 1 still refers to is needed.
	broken, _ := ctx.CacheContext()
	require.NoError(t, k.Periods.Remove(broken, collections.Join(rewardstypes.StreamMiners, acct1.SincePeriod)))
	require.Error(t, k.PocpsHooks().AfterDeviceScored(broken, 1))

	// The reference counts (derived) and the lease cursor survive an export.
	refs := func(c *apptesting.TestChain) map[periodKey]uint64 {
		m := map[periodKey]uint64{}
		require.NoError(t, c.RewardsKeeper.PeriodRefs.Walk(c.Ctx(), nil, func(k collections.Pair[uint32, uint64], n uint64) (bool, error) {
			m[periodKey{k.K1(), k.K2()}] = n
			return false, nil
		}))
		return m
	}
	before := refs(c)
	require.NotEmpty(t, before)
	next := c.ExportAndRestart(t)
	require.Equal(t, before, refs(next))
	ns, err := next.RewardsKeeper.Streams.Get(next.Ctx(), rewardstypes.StreamClients)
	require.NoError(t, err)
	require.Equal(t, cs.LeaseCursor, ns.LeaseCursor)
	require.Equal(t, cs.LeaseWatermark, ns.LeaseWatermark)
	require.NoError(t, next.RewardsKeeper.PocpsHooks().AfterDeviceScored(next.Ctx(), 1), "device 1 settles after the import")
	require.True(t, pendingAt(next.Ctx(), next, a).GTE(m1))
}
