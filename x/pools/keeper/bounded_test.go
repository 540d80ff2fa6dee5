package keeper_test

import (
	"testing"
	"time"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	abci "github.com/cometbft/cometbft/abci/types"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/loopin-project/loopin/app/apptesting"
	poolskeeper "github.com/loopin-project/loopin/x/pools/keeper"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
)

// setPoolsParams changes the x/pools parameters through MsgUpdateParams.
func setPoolsParams(t *testing.T, c *apptesting.TestChain, edit func(*poolstypes.Params)) {
	t.Helper()
	p, err := c.PoolsKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	edit(&p)
	_, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgUpdateParams{Authority: apptesting.GovAuthority, Params: p})
	require.NoError(t, err)
}

// buyLease buys d of class for client at any price and returns the response.
func buyLease(t *testing.T, c *apptesting.TestChain, client sdk.AccAddress, class string, d time.Duration) poolstypes.MsgBuyLeaseResponse {
	t.Helper()
	res, err := apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: class, Duration: d, MaxUloopIn: math.NewInt(1 << 50)})
	require.NoError(t, err)
	var bought poolstypes.MsgBuyLeaseResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &bought))
	return bought
}

// setLastPass makes x/pocps' device id (written there if missing) last pass
// a challenge at at.
func setLastPass(t *testing.T, c *apptesting.TestChain, id uint64, owner sdk.AccAddress, at time.Time) {
	t.Helper()
	if has, err := c.PocpsKeeper.Devices.Has(c.Ctx(), id); err != nil || !has {
		apptesting.PutSealedDevice(t, c, id, owner)
	}
	d, err := c.PocpsKeeper.Devices.Get(c.Ctx(), id)
	require.NoError(t, err)
	d.SealedAt, d.LastVerified = at, at
	require.NoError(t, c.PocpsKeeper.Devices.Set(c.Ctx(), id, d))
	require.NoError(t, c.PocpsKeeper.LastPasses.Set(c.Ctx(), id, at.UnixNano()), "as a pass records it")
}

// A retired pool that still serves leases is accounted at every epoch end
// like any other: its leased seconds (the clients' reward stream) keep
// accruing and its price is still snapshotted. An empty retired pool is
// skipped.
func TestRetiredPoolKeepsAccountingItsLeases(t *testing.T) {
	c := apptesting.Setup(t)
	miner, client := apptesting.Account(t, c, "miner", 10_000_000_000), apptesting.Account(t, c, "client", 10_000_000_000)
	apptesting.OpenLP(t, c, "l40", 1, miner, 10*24*time.Hour)
	apptesting.OpenLP(t, c, "l40", 2, miner, 10*24*time.Hour)
	buyLease(t, c, client, "l40", 5*24*time.Hour)
	for _, class := range []string{"l40", "a100"} { // a100 holds nothing
		_, err := apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgSetPoolStatus{Authority: apptesting.GovAuthority,
			PoolId: apptesting.PoolOf(t, c, class).Id, Status: poolstypes.POOL_STATUS_RETIRED})
		require.NoError(t, err)
	}
	c.NextBlock(t, time.Second)
	_, err := poolskeeper.NewQuerier(c.PoolsKeeper).EstimateBuy(c.Ctx(), &poolstypes.QueryEstimateBuyRequest{GpuClass: "l40", Duration: time.Hour})
	require.ErrorContains(t, err, poolstypes.ErrPoolNotActive.Error(), "the estimate refuses as the purchase does")
	before, emptyBefore := apptesting.PoolOf(t, c, "l40"), apptesting.PoolOf(t, c, "a100")
	total, err := c.PoolsKeeper.LeasedSeconds(c.Ctx())
	require.NoError(t, err)

	for epoch := 0; epoch < 2; epoch++ {
		c.NextBlock(t, time.Hour) // the `loopin` epoch is 1 h
		now := c.Ctx().BlockTime()
		after := apptesting.PoolOf(t, c, "l40")
		require.Equal(t, now, after.AccountedAt, "the retired pool is accounted to the epoch end")
		elapsed := now.Unix() - before.AccountedAt.Unix()
		require.Equal(t, before.LeasedSeconds.AddRaw(elapsed), after.LeasedSeconds, "one leased device: its seconds keep accruing")
		has, err := c.PoolsKeeper.Snapshots.Has(c.Ctx(), collections.Join(after.Id, now.Unix()))
		require.NoError(t, err)
		require.True(t, has, "the retired pool's price is snapshotted")
		require.True(t, after.UnsoldSeconds.LT(before.UnsoldSeconds), "its idle device's time dissipates")
		before = after
		apptesting.CheckPools(t, c)
	}
	totalAfter, err := c.PoolsKeeper.LeasedSeconds(c.Ctx())
	require.NoError(t, err)
	require.True(t, totalAfter.GT(total), "x/rewards reads the retired pool's leased seconds")
	twap, err := poolskeeper.NewQuerier(c.PoolsKeeper).Twap(c.Ctx(), &poolstypes.QueryTwapRequest{GpuClass: "l40", Window: time.Hour})
	require.NoError(t, err, "the TWAP of a retired pool that serves leases is still known")
	require.True(t, twap.Twap.IsPositive())

	emptyAfter := apptesting.PoolOf(t, c, "a100")
	require.Equal(t, emptyBefore.AccountedAt, emptyAfter.AccountedAt, "an empty retired pool is skipped")
	has, err := c.PoolsKeeper.Snapshots.Has(c.Ctx(), collections.Join(emptyAfter.Id, c.Ctx().BlockTime().Unix()))
	require.NoError(t, err)
	require.False(t, has)
}

// The attack: an LP device goes offline 6 h into a 48 h lease, keeps
// collecting the escrow released to it, and is failed only at 20 h. The
// lease revenue released after its last passed challenge goes back to the
// client on top of the unreleased escrow; the miner keeps only what was
// released while it was proven online.
func TestOfflineDeviceForfeitsRevenueReleasedAfterItsLastPass(t *testing.T) {
	type outcome struct {
		payout, refund, clawback, price, released math.Int
		clientGot                                 math.Int
	}
	run := func(t *testing.T, lastPass time.Duration) outcome {
		c := apptesting.Setup(t)
		miner, client := apptesting.Account(t, c, "miner", 100_000_000_000), apptesting.Account(t, c, "client", 10_000_000_000)
		apptesting.PutSealedDevice(t, c, 1, miner)
		res, err := apptesting.StakeLP(c, miner, 1, 7*24*time.Hour)
		require.NoError(t, err)
		require.NotNil(t, res)
		bought := buyLease(t, c, client, "rtx-4090", 48*time.Hour)
		require.Equal(t, uint64(1), bought.DeviceId)
		start := c.Ctx().BlockTime()
		c.NextBlock(t, lastPass)
		setLastPass(t, c, 1, miner, start.Add(lastPass)) // its last passed challenge
		c.NextBlock(t, 20*time.Hour-lastPass)
		clientBefore := apptesting.Balance(c, client)
		require.NoError(t, c.StakeKeeper.FailDevice(c.Ctx(), 1))
		l, err := c.PoolsKeeper.Leases.Get(c.Ctx(), bought.LeaseId)
		require.NoError(t, err)
		require.Equal(t, poolstypes.LEASE_STATUS_BROKEN, l.Status)
		stakes, err := c.StakeKeeper.Stakes.Iterate(c.Ctx(), nil)
		require.NoError(t, err)
		all, err := stakes.Values()
		require.NoError(t, err)
		require.Len(t, all, 1)
		apptesting.CheckPools(t, c)
		got := apptesting.Balance(c, client).Sub(clientBefore)
		require.Equal(t, l.Refund, got, "the client is paid the lease's refund")
		clawback := l.Refund.Sub(l.Price.Sub(l.Released))
		return outcome{payout: all[0].Payout, refund: l.Refund, clawback: clawback, price: l.Price, released: l.Released, clientGot: got}
	}
	honest := run(t, 20*time.Hour) // passed a challenge just before it failed
	offline := run(t, 6*time.Hour)
	require.True(t, honest.clawback.IsZero(), "an honest device keeps what it served")
	require.Equal(t, honest.released, offline.released)

	// Released linearly: 20 h of 48 h by the failure; 14 of those 20 h came
	// after the last pass.
	require.Equal(t, offline.released.MulRaw(14).QuoRaw(20), offline.clawback)
	require.Equal(t, honest.refund.Add(offline.clawback), offline.refund, "the client gets the clawback on top of the unreleased escrow")
	require.Equal(t, honest.payout.Sub(offline.clawback), offline.payout, "the miner loses exactly the clawback")
	kept := offline.released.Sub(offline.clawback)
	servedValue := offline.price.MulRaw(6).QuoRaw(48) // the escrow of the 6 h it was proven online
	require.True(t, kept.Sub(servedValue).Abs().LTE(math.NewInt(2)), "the miner keeps only the revenue of its proven 6 h: %s vs %s", kept, servedValue)
}

// Matching prefers a device that passed a challenge recently: a stale
// device with the longest commitment is passed over for a fresh one; with
// only stale devices that cover the lease, the longest commitment wins; and
// at most MatchScan devices are looked at.
func TestMatchingPrefersALiveDevice(t *testing.T) {
	c := apptesting.Setup(t)
	q := poolskeeper.NewQuerier(c.PoolsKeeper)
	miner, client := apptesting.Account(t, c, "miner", 100_000_000_000), apptesting.Account(t, c, "client", 100_000_000_000)
	now := c.Ctx().BlockTime()
	for id, days := range map[uint64]int{1: 10, 2: 9, 3: 8} {
		apptesting.OpenLP(t, c, "rtx-4090", id, miner, time.Duration(days)*24*time.Hour)
	}
	setLastPass(t, c, 1, miner, now.Add(-20*time.Hour)) // stale: past the 13 h window
	setLastPass(t, c, 2, miner, now.Add(-14*time.Hour))
	setLastPass(t, c, 3, miner, now.Add(-time.Hour)) // fresh, shortest commitment

	est, err := q.EstimateBuy(c.Ctx(), &poolstypes.QueryEstimateBuyRequest{GpuClass: "rtx-4090", Duration: 2 * time.Hour})
	require.NoError(t, err)
	require.Equal(t, uint64(3), est.DeviceId, "the estimate matches as the purchase does")
	require.Equal(t, uint64(3), buyLease(t, c, client, "rtx-4090", 2*time.Hour).DeviceId, "the fresh device is preferred over longer stale commitments")
	// Only devices 1 and 2 cover 8.5 days; both are stale: the longest wins.
	require.Equal(t, uint64(1), buyLease(t, c, client, "rtx-4090", 204*time.Hour).DeviceId, "with only stale devices, today's rule")
	apptesting.CheckPools(t, c)

	// The scan is bounded: nine stale devices with longer commitments hide
	// a fresh tenth; a fresh eighth is found.
	for i := uint64(0); i < 10; i++ {
		id := 20 + i
		apptesting.OpenLP(t, c, "h100-sxm", id, miner, time.Duration(240-i)*time.Hour)
		if i < 9 {
			setLastPass(t, c, id, miner, now.Add(-48*time.Hour))
		} else {
			setLastPass(t, c, id, miner, now)
		}
	}
	require.Equal(t, uint64(20), buyLease(t, c, client, "h100-sxm", 2*time.Hour).DeviceId, "the fresh device is beyond the scan")
	setLastPass(t, c, 28, miner, now) // now the 8th longest of the idle ones (21…29)
	require.Equal(t, uint64(28), buyLease(t, c, client, "h100-sxm", 2*time.Hour).DeviceId, "a fresh device within the scan is found")
	apptesting.CheckPools(t, c)
}

// Closed leases (ended, terminated, broken) stay queryable for
// lease_retention, then BeginBlock prunes them with their index entries;
// active leases are never pruned, and an export carries the schedule.
func TestClosedLeasesArePrunedAfterRetention(t *testing.T) {
	c := apptesting.Setup(t)
	q := poolskeeper.NewQuerier(c.PoolsKeeper)
	setPoolsParams(t, c, func(p *poolstypes.Params) { p.LeaseRetention = 2 * time.Hour })
	miner, client := apptesting.Account(t, c, "miner", 100_000_000_000), apptesting.Account(t, c, "client", 100_000_000_000)
	for id := uint64(1); id <= 4; id++ {
		apptesting.OpenLP(t, c, "rtx-4090", id, miner, 7*24*time.Hour)
	}
	ended := buyLease(t, c, client, "rtx-4090", time.Hour)
	terminated := buyLease(t, c, client, "rtx-4090", 2*time.Hour)
	broken := buyLease(t, c, client, "rtx-4090", 3*time.Hour)
	active := buyLease(t, c, client, "rtx-4090", 24*time.Hour)
	c.NextBlock(t, time.Second)
	_, err := apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgTerminateLease{Client: client.String(), LeaseId: terminated.LeaseId, MinRefund: math.ZeroInt()})
	require.NoError(t, err)
	_, err = c.PoolsKeeper.FailPosition(c.Ctx(), broken.DeviceId, c.Ctx().BlockTime(), time.Time{})
	require.NoError(t, err)
	c.NextBlock(t, time.Hour) // the first lease ends

	closed := []uint64{ended.LeaseId, terminated.LeaseId, broken.LeaseId}
	for _, id := range append(closed, active.LeaseId) {
		_, err := q.Lease(c.Ctx(), &poolstypes.QueryLeaseRequest{LeaseId: id})
		require.NoError(t, err, "lease %d within its retention", id)
	}
	byClient, err := q.LeasesByClient(c.Ctx(), &poolstypes.QueryLeasesByClientRequest{Client: client.String()})
	require.NoError(t, err)
	require.Len(t, byClient.Leases, 4)

	// An export carries the schedule: the imported chain rebuilds it from
	// the closed leases.
	next, _ := c.ExportAndImport(t)
	l, err := next.PoolsKeeper.Leases.Get(next.GenesisCtx(), ended.LeaseId)
	require.NoError(t, err)
	has, err := next.PoolsKeeper.PruneQueue.Has(next.GenesisCtx(), collections.Join(l.End.Add(2*time.Hour).Unix(), ended.LeaseId))
	require.NoError(t, err)
	require.True(t, has, "InitGenesis queues a closed lease's pruning")

	res := c.FinalizeTxs(t, 2*time.Hour, nil)
	pruned := 0
	for _, ev := range res.Events {
		if ev.Type == "loopin.pools.v1.EventLeasePruned" {
			pruned++
		}
	}
	require.Equal(t, 3, pruned)
	for _, id := range closed {
		_, err := q.Lease(c.Ctx(), &poolstypes.QueryLeaseRequest{LeaseId: id})
		require.Equal(t, codes.NotFound, status.Code(err), "lease %d pruned", id)
		require.ErrorContains(t, err, poolstypes.ErrLeaseNotFound.Error())
	}
	_, err = q.Lease(c.Ctx(), &poolstypes.QueryLeaseRequest{LeaseId: active.LeaseId})
	require.NoError(t, err, "an active lease is kept")
	byClient, err = q.LeasesByClient(c.Ctx(), &poolstypes.QueryLeasesByClientRequest{Client: client.String()})
	require.NoError(t, err)
	require.Len(t, byClient.Leases, 1)
	require.Equal(t, active.LeaseId, byClient.Leases[0].Id)
	for _, d := range []uint64{ended.DeviceId, terminated.DeviceId, broken.DeviceId} {
		byDevice, err := q.LeasesByDevice(c.Ctx(), &poolstypes.QueryLeasesByDeviceRequest{DeviceId: d})
		require.NoError(t, err)
		require.Empty(t, byDevice.Leases, "device %d's index entries are pruned", d)
	}
	empty, err := c.PoolsKeeper.PruneQueue.Iterate(c.Ctx(), nil)
	require.NoError(t, err)
	keys, err := empty.Keys()
	require.NoError(t, err)
	require.Empty(t, keys)
	apptesting.CheckPools(t, c)
}

// More lease ends fall due at one second than one block applies: BeginBlock
// applies MaxQueueBatch of the pool's entries per block and carries the
// rest. Until they are applied the pool is accounted only up to its oldest
// unapplied end: trades on it are refused, a failure and an epoch end are
// accounted as of that time, other pools trade on, and the invariants hold
// at every step; the ledger never has to go back in time. Pruning is
// bounded the same way.
func TestQueueBacklogIsBoundedAndKeepsTheLedger(t *testing.T) {
	c := apptesting.Setup(t)
	q := poolskeeper.NewQuerier(c.PoolsKeeper)
	setPoolsParams(t, c, func(p *poolstypes.Params) { p.MinLeaseDuration, p.LeaseRetention = time.Minute, time.Hour })
	miner, client := apptesting.Account(t, c, "miner", 100_000_000_000), apptesting.Account(t, c, "client", 100_000_000_000)
	const n = 2*poolstypes.MaxQueueBatch + 50
	for id := uint64(1); id <= n; id++ {
		apptesting.OpenLP(t, c, "l40", id, miner, 7*24*time.Hour)
	}
	apptesting.OpenLP(t, c, "a100", n+1, miner, 7*24*time.Hour)
	apptesting.OpenLP(t, c, "a100", n+2, miner, 7*24*time.Hour)
	c.NextBlock(t, time.Second)
	leases := map[uint64]uint64{} // lease → device
	for range n {
		b := buyLease(t, c, client, "l40", 2*time.Minute)
		leases[b.LeaseId] = b.DeviceId
	}
	due := c.Ctx().BlockTime().Add(2 * time.Minute)
	c.NextBlock(t, time.Second)
	apptesting.CheckPools(t, c)
	countActive := func() int {
		active := 0
		for id := range leases {
			l, err := c.PoolsKeeper.Leases.Get(c.Ctx(), id)
			require.NoError(t, err)
			if l.Status == poolstypes.LEASE_STATUS_ACTIVE {
				active++
			}
		}
		return active
	}

	res := c.FinalizeTxs(t, 3*time.Minute, nil) // every lease is due: one batch is applied
	require.Contains(t, blockEventTypes(res), "loopin.pools.v1.EventQueueBacklog")
	require.Equal(t, n-poolstypes.MaxQueueBatch, countActive())
	pool := apptesting.PoolOf(t, c, "l40")
	require.True(t, pool.QueueBacklog)
	require.Equal(t, due, pool.AccountedAt, "accounted up to the oldest unapplied end, not past it")
	require.True(t, c.Ctx().BlockTime().After(due))
	apptesting.CheckPools(t, c)

	// Trades on the pool wait; other pools trade on.
	_, err := apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "l40", Duration: time.Hour, MaxUloopIn: math.NewInt(1 << 50)})
	require.ErrorIs(t, err, poolstypes.ErrPoolBusy)
	var anyLease uint64
	for id := range leases {
		if l, _ := c.PoolsKeeper.Leases.Get(c.Ctx(), id); l.Status == poolstypes.LEASE_STATUS_ACTIVE {
			anyLease = id
			break
		}
	}
	_, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgTerminateLease{Client: client.String(), LeaseId: anyLease, MinRefund: math.ZeroInt()})
	require.ErrorIs(t, err, poolstypes.ErrPoolBusy)
	other := buyLease(t, c, client, "a100", time.Hour)
	require.NotZero(t, other.LeaseId)
	_, err = q.EstimateBuy(c.Ctx(), &poolstypes.QueryEstimateBuyRequest{GpuClass: "l40", Duration: time.Hour})
	require.Equal(t, codes.FailedPrecondition, status.Code(err), "the estimate says the purchase would wait")
	_, err = q.EstimateBuyMaxImpact(c.Ctx(), &poolstypes.QueryEstimateBuyMaxImpactRequest{GpuClass: "l40", MaxPriceImpact: "0.01"})
	require.ErrorContains(t, err, poolstypes.ErrPoolBusy.Error())
	_, err = q.EstimateSell(c.Ctx(), &poolstypes.QueryEstimateSellRequest{GpuClass: "l40", Duration: 24 * time.Hour})
	require.ErrorContains(t, err, poolstypes.ErrPoolBusy.Error(), "so would a sale")
	spot, err := q.SpotPrice(c.Ctx(), &poolstypes.QuerySpotPriceRequest{GpuClass: "l40"})
	require.NoError(t, err, "queries answer as of the accounted time")
	require.True(t, spot.SpotPrice.IsPositive())

	// A failure during the backlog is accounted as of the oldest unapplied
	// end: the unapplied lease it breaks had run to its end.
	failed := leases[anyLease]
	res2, err := c.PoolsKeeper.FailPosition(c.Ctx(), failed, c.Ctx().BlockTime(), time.Time{})
	require.NoError(t, err)
	require.True(t, res2.Refund.IsZero(), "the broken lease had been fully served by the accounted time")
	l, err := c.PoolsKeeper.Leases.Get(c.Ctx(), anyLease)
	require.NoError(t, err)
	require.Equal(t, poolstypes.LEASE_STATUS_BROKEN, l.Status)
	require.Equal(t, due, apptesting.PoolOf(t, c, "l40").AccountedAt)
	apptesting.CheckPools(t, c)

	// An epoch end during the backlog applies one more batch and snapshots
	// the pool at the time it is accounted to.
	require.NoError(t, c.PoolsKeeper.EpochEnd(c.Ctx()))
	require.Equal(t, n-2*poolstypes.MaxQueueBatch-1, countActive())
	has, err := c.PoolsKeeper.Snapshots.Has(c.Ctx(), collections.Join(pool.Id, due.Unix()))
	require.NoError(t, err)
	require.True(t, has)
	has, err = c.PoolsKeeper.Snapshots.Has(c.Ctx(), collections.Join(pool.Id, c.Ctx().BlockTime().Unix()))
	require.NoError(t, err)
	require.False(t, has, "no snapshot past an unapplied end")
	apptesting.CheckPools(t, c)

	res = c.FinalizeTxs(t, time.Second, nil) // the rest
	require.Contains(t, blockEventTypes(res), "loopin.pools.v1.EventQueueBacklog")
	require.Zero(t, countActive())
	pool = apptesting.PoolOf(t, c, "l40")
	require.False(t, pool.QueueBacklog)
	require.NotZero(t, buyLease(t, c, client, "l40", time.Hour).LeaseId, "the pool trades again")
	require.Equal(t, c.Ctx().BlockTime(), apptesting.PoolOf(t, c, "l40").AccountedAt, "a trade accounts it to the block time")
	apptesting.CheckPools(t, c)

	// n closed leases fall due for pruning at once: MaxPruneBatch per block.
	c.NextBlock(t, time.Hour)
	remaining := func() int {
		left := 0
		for id := range leases {
			if has, err := c.PoolsKeeper.Leases.Has(c.Ctx(), id); err == nil && has {
				left++
			}
		}
		return left
	}
	require.Equal(t, n-poolstypes.MaxPruneBatch, remaining())
	c.NextBlock(t, time.Second)
	require.Equal(t, n-2*poolstypes.MaxPruneBatch, remaining())
	c.NextBlock(t, time.Second)
	require.Zero(t, remaining())
	apptesting.CheckPools(t, c)
}

// x/pocps' BeginBlock runs before x/pools' and may fail a device (a missed
// deadline) in a block where another lease of its pool falls due: the
// failure is accounted as of that due end, which is then applied without
// the pool's time ever going back.
func TestFailureBeforeBeginBlockWaitsForDueEnds(t *testing.T) {
	c := apptesting.Setup(t)
	setPoolsParams(t, c, func(p *poolstypes.Params) { p.MinLeaseDuration = time.Minute })
	miner, client := apptesting.Account(t, c, "miner", 100_000_000_000), apptesting.Account(t, c, "client", 100_000_000_000)
	apptesting.OpenLP(t, c, "rtx-4090", 1, miner, 7*24*time.Hour)
	apptesting.OpenLP(t, c, "rtx-4090", 2, miner, 6*24*time.Hour)
	bought := buyLease(t, c, client, "rtx-4090", 2*time.Minute)
	require.Equal(t, uint64(1), bought.DeviceId)
	c.NextBlock(t, time.Second)

	// The next block, 5 minutes later, before x/pools' BeginBlock.
	late := c.Ctx().WithBlockTime(c.Ctx().BlockTime().Add(5 * time.Minute))
	_, err := c.PoolsKeeper.FailPosition(late, 2, late.BlockTime(), time.Time{})
	require.NoError(t, err)
	require.Equal(t, bought.End, apptesting.PoolOf(t, c, "rtx-4090").AccountedAt, "accounted only up to the due lease end")
	require.NoError(t, c.PoolsKeeper.ProcessQueue(late, late.BlockTime().Unix()), "the due end still applies")
	l, err := c.PoolsKeeper.Leases.Get(c.Ctx(), bought.LeaseId)
	require.NoError(t, err)
	require.Equal(t, poolstypes.LEASE_STATUS_ENDED, l.Status)
	c.NextBlock(t, 5*time.Minute)
	apptesting.CheckPools(t, c)
}

// blockEventTypes lists the types of a block's own events (BeginBlock's).
func blockEventTypes(res *abci.ResponseFinalizeBlock) []string {
	var out []string
	for _, ev := range res.GetEvents() {
		out = append(out, ev.Type)
	}
	return out
}
