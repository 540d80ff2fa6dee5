package keeper_test

import (
	"fmt"
	"math/big"
	"testing"
	"time"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	"github.com/stretchr/testify/require"

	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/loopin-project/loopin/app/apptesting"
	chaintypes "github.com/loopin-project/loopin/types"
	poolskeeper "github.com/loopin-project/loopin/x/pools/keeper"
	"github.com/loopin-project/loopin/x/pools/ledger"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
)

func TestLeaseBuyTerminateAndEnd(t *testing.T) {
	c := apptesting.Setup(t)
	q := poolskeeper.NewQuerier(c.PoolsKeeper)
	minerA, minerB := apptesting.Account(t, c, "miner-a", 10_000_000_000), apptesting.Account(t, c, "miner-b", 10_000_000_000)
	client := apptesting.Account(t, c, "client", 10_000_000_000)
	inA := apptesting.OpenLP(t, c, "rtx-4090", 1, minerA, 10*24*time.Hour)
	apptesting.OpenLP(t, c, "rtx-4090", 2, minerB, 5*24*time.Hour)
	pool := apptesting.PoolOf(t, c, "rtx-4090")
	require.Equal(t, int64(15*24*3600), pool.UnsoldSeconds.Int64())
	// The first stake is priced at the reference price (uloop/GPU-s), rounded up.
	class, err := c.PoolsKeeper.GPUClass(c.Ctx(), pool.Id)
	require.NoError(t, err)
	require.Equal(t, class.ReferencePrice.MulInt64(10*24*3600).Ceil().TruncateInt(), inA)
	require.Equal(t, apptesting.Balance(c, minerA), math.NewInt(10_000_000_000).Sub(inA))
	apptesting.CheckPools(t, c)
	c.NextBlock(t, time.Minute)

	est, err := q.EstimateBuy(c.Ctx(), &poolstypes.QueryEstimateBuyRequest{GpuClass: "rtx-4090", Duration: 36 * time.Hour})
	require.NoError(t, err)
	require.Equal(t, uint64(1), est.DeviceId, "matched to the longest remaining commitment")
	spotBefore, err := q.SpotPrice(c.Ctx(), &poolstypes.QuerySpotPriceRequest{GpuClass: "rtx-4090"})
	require.NoError(t, err)

	// The slippage bound one uloop short refuses and changes nothing.
	_, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "rtx-4090", Duration: 36 * time.Hour, MaxUloopIn: est.Total.SubRaw(1)})
	require.ErrorIs(t, err, poolstypes.ErrSlippage)
	require.Equal(t, math.NewInt(10_000_000_000), apptesting.Balance(c, client))

	supply := c.BankKeeper.GetSupply(c.Ctx(), chaintypes.BondDenom).Amount
	res, err := apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "rtx-4090", Duration: 36 * time.Hour, MaxUloopIn: est.Total})
	require.NoError(t, err)
	var bought poolstypes.MsgBuyLeaseResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &bought))
	require.Equal(t, uint64(1), bought.DeviceId)
	require.Equal(t, est.Price, bought.Price, "buys at the quoted price")
	require.Equal(t, math.NewInt(10_000_000_000).Sub(est.Total), apptesting.Balance(c, client))
	require.Equal(t, supply, c.BankKeeper.GetSupply(c.Ctx(), chaintypes.BondDenom).Amount, "the fee waits for the epoch end")
	require.Equal(t, est.Fee, apptesting.PoolOf(t, c, "rtx-4090").PendingBurnUloop)
	require.Contains(t, apptesting.EventTypes(res), "loopin.pools.v1.EventFeeCharged")
	moduleBefore := apptesting.Balance(c, authtypes.NewModuleAddress(poolstypes.ModuleName))
	spotAfter, err := q.SpotPrice(c.Ctx(), &poolstypes.QuerySpotPriceRequest{GpuClass: "rtx-4090"})
	require.NoError(t, err)
	require.True(t, spotAfter.SpotPrice.GT(spotBefore.SpotPrice), "scarcity raises the price")
	require.Equal(t, spotBefore.ReserveUloop, spotAfter.ReserveUloop, "a lease takes time, not uloop")
	require.Equal(t, spotBefore.UnsoldSeconds.SubRaw(36*3600), spotAfter.UnsoldSeconds)
	apptesting.CheckPools(t, c)

	byClient, err := q.LeasesByClient(c.Ctx(), &poolstypes.QueryLeasesByClientRequest{Client: client.String()})
	require.NoError(t, err)
	require.Len(t, byClient.Leases, 1)
	byDevice, err := q.LeasesByDevice(c.Ctx(), &poolstypes.QueryLeasesByDeviceRequest{DeviceId: 1})
	require.NoError(t, err)
	require.Equal(t, bought.LeaseId, byDevice.Leases[0].Id)

	// Device 1 is leased: the next purchase goes to device 2 or fails
	// when device 2's commitment is too short.
	est2, err := q.EstimateBuy(c.Ctx(), &poolstypes.QueryEstimateBuyRequest{GpuClass: "rtx-4090", Duration: 2 * time.Hour})
	require.NoError(t, err)
	require.Equal(t, uint64(2), est2.DeviceId)
	_, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "rtx-4090", Duration: 6 * 24 * time.Hour, MaxUloopIn: math.NewInt(1 << 50)})
	require.ErrorIs(t, err, poolstypes.ErrNoIdleDevice)

	c.NextBlock(t, 10*time.Hour) // an epoch end: the pending fee is burned
	require.Equal(t, moduleBefore.Sub(est.Fee), apptesting.Balance(c, authtypes.NewModuleAddress(poolstypes.ModuleName)), "the fee left the module, burned")
	require.True(t, apptesting.PoolOf(t, c, "rtx-4090").PendingBurnUloop.IsZero())
	c.NextBlock(t, time.Second)
	et, err := q.EstimateTerminate(c.Ctx(), &poolstypes.QueryEstimateTerminateRequest{LeaseId: bought.LeaseId})
	require.NoError(t, err)
	stranger := apptesting.Account(t, c, "stranger", 1000)
	_, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgTerminateLease{Client: stranger.String(), LeaseId: bought.LeaseId, MinRefund: math.ZeroInt()})
	require.ErrorIs(t, err, poolstypes.ErrNotLeaseClient)
	_, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgTerminateLease{Client: client.String(), LeaseId: bought.LeaseId, MinRefund: et.Refund.AddRaw(1)})
	require.ErrorIs(t, err, poolstypes.ErrSlippage)
	before := apptesting.Balance(c, client)
	res, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgTerminateLease{Client: client.String(), LeaseId: bought.LeaseId, MinRefund: et.Refund})
	require.NoError(t, err)
	require.Equal(t, before.Add(et.Refund), apptesting.Balance(c, client), "termination refunds as estimated")
	require.True(t, et.Refund.IsPositive())
	lease, err := q.Lease(c.Ctx(), &poolstypes.QueryLeaseRequest{LeaseId: bought.LeaseId})
	require.NoError(t, err)
	require.Equal(t, poolstypes.LEASE_STATUS_TERMINATED, lease.Lease.Status)
	_, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgTerminateLease{Client: client.String(), LeaseId: bought.LeaseId, MinRefund: math.ZeroInt()})
	require.ErrorIs(t, err, poolstypes.ErrLeaseEnded)
	apptesting.CheckPools(t, c)

	// A lease that runs to its end frees its device from the queue.
	res, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "rtx-4090", Duration: time.Hour, MaxUloopIn: math.NewInt(1 << 50)})
	require.NoError(t, err)
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &bought))
	capBefore, err := q.Capacity(c.Ctx(), &poolstypes.QueryCapacityRequest{GpuClass: "rtx-4090"})
	require.NoError(t, err)
	require.Equal(t, uint64(1), capBefore.LeasedDevices)
	c.NextBlock(t, time.Second)
	c.NextBlock(t, time.Hour)
	lease, err = q.Lease(c.Ctx(), &poolstypes.QueryLeaseRequest{LeaseId: bought.LeaseId})
	require.NoError(t, err)
	require.Equal(t, poolstypes.LEASE_STATUS_ENDED, lease.Lease.Status)
	require.Equal(t, lease.Lease.Price, lease.Lease.Released, "the whole escrow reached the device")
	capAfter, err := q.Capacity(c.Ctx(), &poolstypes.QueryCapacityRequest{GpuClass: "rtx-4090"})
	require.NoError(t, err)
	require.Equal(t, uint64(0), capAfter.LeasedDevices)
	require.Equal(t, uint64(2), capAfter.IdleDevices)
	apptesting.CheckPools(t, c)
}

func TestLeaseErrorsChangeNothing(t *testing.T) {
	c := apptesting.Setup(t)
	client := apptesting.Account(t, c, "client", 1_000_000)
	miner := apptesting.Account(t, c, "miner", 10_000_000_000)
	msg := func(pool string, dur time.Duration, max int64) *poolstypes.MsgBuyLease {
		return &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: pool, Duration: dur, MaxUloopIn: math.NewInt(max)}
	}
	_, err := apptesting.Deliver(c, c.Ctx(), msg("rtx-4090", 2*time.Hour, 1000))
	require.ErrorIs(t, err, poolstypes.ErrNoIdleDevice, "an empty pool")
	apptesting.OpenLP(t, c, "rtx-4090", 7, miner, 8*24*time.Hour)
	past := c.Ctx().BlockTime().Add(-time.Second)
	for _, tc := range []struct {
		msg  *poolstypes.MsgBuyLease
		want error
	}{
		{msg("gtx-1080", 2*time.Hour, 1000), poolstypes.ErrPoolNotFound},
		{msg("99", 2*time.Hour, 1000), poolstypes.ErrPoolNotFound},
		{msg("rtx-4090", 30*time.Minute, 1000), poolstypes.ErrInvalidDuration},
		{msg("rtx-4090", 31*24*time.Hour, 1000), poolstypes.ErrInvalidDuration},
		{msg("rtx-4090", 1500*time.Millisecond, 1000), poolstypes.ErrInvalidDuration},
		{msg("rtx-4090", -time.Hour, 1000), poolstypes.ErrInvalidDuration},
		{msg("rtx-4090", 9*24*time.Hour, 1<<50), poolstypes.ErrNoIdleDevice},
		{msg("rtx-4090", 2*time.Hour, 1), poolstypes.ErrSlippage},
		{&poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "rtx-4090", Duration: 2 * time.Hour}, poolstypes.ErrInvalidAmount},
		{&poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "rtx-4090", Duration: 2 * time.Hour, MaxUloopIn: math.NewInt(1 << 50), Deadline: &past}, poolstypes.ErrDeadlinePassed},
	} {
		_, err := apptesting.Deliver(c, c.Ctx(), tc.msg)
		require.ErrorIs(t, err, tc.want, "%+v", tc.msg)
	}
	// Insufficient funds: the client holds 1 LOOP.
	_, err = apptesting.Deliver(c, c.Ctx(), msg("rtx-4090", 7*24*time.Hour, 1<<50))
	require.ErrorContains(t, err, "insufficient funds")
	require.Equal(t, math.NewInt(1_000_000), apptesting.Balance(c, client))
	_, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgExtendLease{Client: client.String(), LeaseId: 42, Duration: 2 * time.Hour, MaxUloopIn: math.NewInt(1)})
	require.ErrorIs(t, err, poolstypes.ErrLeaseNotFound)

	// A retired pool sells nothing.
	_, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgSetPoolStatus{Authority: apptesting.GovAuthority, PoolId: apptesting.PoolOf(t, c, "rtx-4090").Id, Status: poolstypes.POOL_STATUS_RETIRED})
	require.NoError(t, err)
	_, err = apptesting.Deliver(c, c.Ctx(), msg("rtx-4090", 2*time.Hour, 1<<50))
	require.ErrorIs(t, err, poolstypes.ErrPoolNotActive)
	apptesting.CheckPools(t, c)
}

func TestExtendLease(t *testing.T) {
	c := apptesting.Setup(t)
	client := apptesting.Account(t, c, "client", 10_000_000_000)
	apptesting.OpenLP(t, c, "a100", 1, apptesting.Account(t, c, "miner", 10_000_000_000), 3*24*time.Hour)
	apptesting.OpenLP(t, c, "a100", 2, apptesting.Account(t, c, "miner2", 10_000_000_000), 2*24*time.Hour)
	res, err := apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "a100", Duration: 1 * 24 * time.Hour, MaxUloopIn: math.NewInt(1 << 50)})
	require.NoError(t, err)
	var bought poolstypes.MsgBuyLeaseResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &bought))
	c.NextBlock(t, time.Hour)
	hBefore := apptesting.PoolOf(t, c, "a100").UnsoldSeconds
	_, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgExtendLease{Client: client.String(), LeaseId: bought.LeaseId, Duration: 12 * time.Hour, MaxUloopIn: math.NewInt(1 << 50)})
	require.NoError(t, err)
	l, err := c.PoolsKeeper.Leases.Get(c.Ctx(), bought.LeaseId)
	require.NoError(t, err)
	require.Equal(t, bought.End.Add(12*time.Hour), l.End)
	require.True(t, apptesting.PoolOf(t, c, "a100").UnsoldSeconds.LT(hBefore))
	_, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgExtendLease{Client: client.String(), LeaseId: bought.LeaseId, Duration: 3 * 24 * time.Hour, MaxUloopIn: math.NewInt(1 << 50)})
	require.ErrorIs(t, err, poolstypes.ErrNotCovered)
	apptesting.CheckPools(t, c)
	// The extended end is the one the queue keeps.
	c.NextBlock(t, 36*time.Hour-time.Hour-time.Second)
	l, _ = c.PoolsKeeper.Leases.Get(c.Ctx(), bought.LeaseId)
	require.Equal(t, poolstypes.LEASE_STATUS_ACTIVE, l.Status)
	c.NextBlock(t, 2*time.Second)
	l, _ = c.PoolsKeeper.Leases.Get(c.Ctx(), bought.LeaseId)
	require.Equal(t, poolstypes.LEASE_STATUS_ENDED, l.Status)
	apptesting.CheckPools(t, c)
}

// Dissipation at epoch ends is price-neutral, and with no trade the TWAP
// is the spot price; an LP alone gets back its injection at its end.
func TestEpochDissipationAndSettlement(t *testing.T) {
	c := apptesting.Setup(t)
	q := poolskeeper.NewQuerier(c.PoolsKeeper)
	miner := apptesting.Account(t, c, "miner", 10_000_000_000)
	in := apptesting.OpenLP(t, c, "l40", 1, miner, 5*time.Hour+30*time.Minute)
	c.NextBlock(t, time.Second)
	spot0 := apptesting.PoolOf(t, c, "l40").ReserveUloop.ToLegacyDec().Quo(apptesting.PoolOf(t, c, "l40").UnsoldSeconds.ToLegacyDec())
	var hs []int64
	for i := 0; i < 3; i++ {
		c.NextBlock(t, time.Hour) // the `loopin` epoch is 1 h
		p := apptesting.PoolOf(t, c, "l40")
		hs = append(hs, p.UnsoldSeconds.Int64())
		spot := p.ReserveUloop.ToLegacyDec().Quo(p.UnsoldSeconds.ToLegacyDec())
		// Each accounting step rounds at most one uloop out of L: 1/H each.
		require.True(t, spot.Sub(spot0).Abs().LTE(math.LegacyNewDec(10).QuoInt(p.UnsoldSeconds)), "I2: dissipation keeps the price: %s vs %s", spot, spot0)
		apptesting.CheckPools(t, c)
	}
	require.True(t, hs[0] > hs[1] && hs[1] > hs[2], "the stored reserves fall at each epoch end: %v", hs)
	twap, err := q.Twap(c.Ctx(), &poolstypes.QueryTwapRequest{GpuClass: "l40", Window: time.Hour})
	require.NoError(t, err)
	require.True(t, twap.Twap.Sub(spot0).Abs().LTE(math.LegacyNewDec(10).QuoInt(apptesting.PoolOf(t, c, "l40").UnsoldSeconds)), "no trade: TWAP %s = spot %s", twap.Twap, spot0)
	_, err = q.Twap(c.Ctx(), &poolstypes.QueryTwapRequest{GpuClass: "l40", Window: 7 * 24 * time.Hour})
	require.Error(t, err, "no snapshot that old")

	before := apptesting.Balance(c, miner)
	c.NextBlock(t, 3*time.Hour)
	_, err = c.PoolsKeeper.Position(c.Ctx(), 1)
	require.ErrorIs(t, err, poolstypes.ErrPositionNotFound, "settled at its end")
	paid := apptesting.Balance(c, miner).Sub(before)
	require.True(t, paid.LTE(in) && in.Sub(paid).LTE(math.NewInt(10)), "I3: the lone LP gets back its injection less rounding: %s of %s", paid, in)
	require.True(t, apptesting.PoolOf(t, c, "l40").UnsoldSeconds.IsZero())
	apptesting.CheckPools(t, c)
}

func TestFailPositionRefundsTheClient(t *testing.T) {
	c := apptesting.Setup(t)
	miner, client := apptesting.Account(t, c, "miner", 10_000_000_000), apptesting.Account(t, c, "client", 10_000_000_000)
	apptesting.OpenLP(t, c, "h100-sxm", 3, miner, 4*24*time.Hour)
	apptesting.OpenLP(t, c, "h100-sxm", 4, apptesting.Account(t, c, "other", 10_000_000_000), 2*24*time.Hour)
	res, err := apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "h100-sxm", Duration: 2 * 24 * time.Hour, MaxUloopIn: math.NewInt(1 << 50)})
	require.NoError(t, err)
	var bought poolstypes.MsgBuyLeaseResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &bought))
	require.Equal(t, uint64(3), bought.DeviceId)
	c.NextBlock(t, 12*time.Hour)
	clientBefore, minerBefore := apptesting.Balance(c, client), apptesting.Balance(c, miner)
	failed, err := c.PoolsKeeper.FailPosition(c.Ctx(), 3, c.Ctx().BlockTime(), time.Time{}) // it passed a challenge just now
	require.NoError(t, err)
	require.True(t, failed.Clawback.IsZero(), "an honest device keeps what it served")
	payout, refund := failed.Payout, failed.Refund
	require.Equal(t, clientBefore.Add(refund), apptesting.Balance(c, client))
	require.Equal(t, minerBefore.Add(payout), apptesting.Balance(c, miner))
	// 12 h of 48 h ran: three quarters of the escrow come back, no fee.
	require.Equal(t, bought.Price.Sub(bought.Price.MulRaw(12).QuoRaw(48)), refund)
	l, err := c.PoolsKeeper.Leases.Get(c.Ctx(), bought.LeaseId)
	require.NoError(t, err)
	require.Equal(t, poolstypes.LEASE_STATUS_BROKEN, l.Status)
	apptesting.CheckPools(t, c)
	c.NextBlock(t, 3*24*time.Hour) // the broken lease's and the failed commitment's queue entries are gone
	apptesting.CheckPools(t, c)
}

func TestRenewAndExportKeepTheQueue(t *testing.T) {
	c := apptesting.Setup(t)
	miner, client := apptesting.Account(t, c, "miner", 10_000_000_000), apptesting.Account(t, c, "client", 10_000_000_000)
	apptesting.OpenLP(t, c, "l40s", 9, miner, 3*time.Hour)
	_, err := c.PoolsKeeper.RenewPosition(c.Ctx(), 9, c.Ctx().BlockTime().Add(5*time.Hour), math.NewInt(1))
	require.ErrorIs(t, err, poolstypes.ErrSlippage)
	_, err = c.PoolsKeeper.RenewPosition(c.Ctx(), 9, c.Ctx().BlockTime().Add(2*time.Hour), math.NewInt(1<<50))
	require.ErrorIs(t, err, poolstypes.ErrInvalidAmount, "a renewal must extend")
	in, err := c.PoolsKeeper.RenewPosition(c.Ctx(), 9, c.Ctx().BlockTime().Add(5*time.Hour), math.NewInt(1<<50))
	require.NoError(t, err)
	require.True(t, in.IsPositive())
	_, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "l40s", Duration: 4 * time.Hour, MaxUloopIn: math.NewInt(1 << 50)})
	require.NoError(t, err, "the renewed commitment covers a 4 h lease")
	c.NextBlock(t, time.Second)
	apptesting.CheckPools(t, c)

	c = c.ExportAndRestart(t)
	apptesting.CheckPools(t, c)
	c.NextBlock(t, 4*time.Hour)
	l, err := c.PoolsKeeper.Leases.Get(c.Ctx(), 1)
	require.NoError(t, err)
	require.Equal(t, poolstypes.LEASE_STATUS_ENDED, l.Status, "the lease end survived the export")
	c.NextBlock(t, time.Hour)
	_, err = c.PoolsKeeper.Position(c.Ctx(), 9)
	require.ErrorIs(t, err, poolstypes.ErrPositionNotFound, "the commitment end survived the export")
	apptesting.CheckPools(t, c)
}

// FuzzPoolsKeeper drives random stakes, purchases, extensions,
// terminations, failures, renewals and blocks through the keeper and checks
// I1 and I5 over the store after every step.
func FuzzPoolsKeeper(f *testing.F) {
	f.Add([]byte{0, 5, 0, 9, 1, 2, 3, 4, 3, 0, 2, 7, 1, 0, 5, 1})
	f.Add([]byte{0, 1, 0, 2, 1, 1, 1, 3, 2, 8, 4, 1, 6, 2, 5, 0, 3, 3, 1, 9})
	f.Add([]byte{0, 7, 0, 3, 1, 2, 1, 5, 6, 9, 1, 1, 4, 2, 6, 4, 2, 0, 3, 1, 6, 30, 1, 1})
	// A sale, a lease on it, a just-in-time LP; a sale that fails, its
	// penalty, a just-in-time LP.
	f.Add([]byte{0, 4, 0, 3, 1, 30, 6, 5, 7, 3})
	f.Add([]byte{0, 4, 0, 3, 1, 30, 4, 1, 8, 9, 7, 2, 6, 40})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 60 {
			ops = ops[:60]
		}
		c := apptesting.Setup(t)
		client := apptesting.Account(t, c, "client", 100_000_000_000)
		var leases []uint64
		device := uint64(0)
		for i := 0; i+1 < len(ops); i += 2 {
			arg := int64(ops[i+1])
			switch ops[i] % 9 {
			case 0:
				device++
				miner := apptesting.Account(t, c, fmt.Sprintf("miner-%d", device), 100_000_000_000)
				end := c.Ctx().BlockTime().Add(time.Duration(2+arg) * time.Hour)
				if arg%3 == 0 { // a sale: pool-owned time
					_, err := c.PoolsKeeper.OpenSale(c.Ctx(), apptesting.PoolOf(t, c, "rtx-4090").Id, device, miner, end, math.ZeroInt())
					if err != nil {
						require.ErrorIs(t, err, poolstypes.ErrInsufficientLiquidity)
					}
					break
				}
				_, err := c.PoolsKeeper.OpenPosition(c.Ctx(), apptesting.PoolOf(t, c, "rtx-4090").Id, device, miner, end, math.NewInt(1<<62))
				require.NoError(t, err)
			case 1:
				// Some purchases name a device, some a min_commitment_end;
				// each does what EstimateBuy with the same fields says.
				msg := &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "rtx-4090",
					Duration: time.Duration(1+arg%24) * time.Hour, MaxUloopIn: math.NewInt(1 << 50)}
				switch {
				case arg%4 == 3 && device > 0:
					msg.DeviceId = 1 + uint64(arg/4)%device
				case arg%4 == 2:
					minEnd := c.Ctx().BlockTime().Add(time.Duration(arg%48) * time.Hour)
					msg.MinCommitmentEnd = &minEnd
				}
				est, estErr := poolskeeper.NewQuerier(c.PoolsKeeper).EstimateBuy(c.Ctx(), &poolstypes.QueryEstimateBuyRequest{GpuClass: msg.GpuClass,
					Duration: msg.Duration, DeviceId: msg.DeviceId, MinCommitmentEnd: msg.MinCommitmentEnd})
				res, err := apptesting.Deliver(c, c.Ctx(), msg)
				if err != nil {
					require.Error(t, estErr, "the estimate fails as the purchase does: %v", err)
					var registered *errorsmod.Error
					require.ErrorAs(t, err, &registered, "a registered error")
					require.ErrorContains(t, estErr, registered.Error(), "with the same registered error")
					break
				}
				require.NoError(t, estErr)
				var r poolstypes.MsgBuyLeaseResponse
				require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &r))
				require.Equal(t, est.DeviceId, r.DeviceId)
				require.Equal(t, est.Price, r.Price)
				require.Equal(t, est.Fee, r.Fee)
				if msg.DeviceId != 0 {
					require.Equal(t, msg.DeviceId, r.DeviceId)
				}
				if msg.MinCommitmentEnd != nil {
					require.False(t, est.CommitmentEnd.Before(*msg.MinCommitmentEnd))
				}
				leases = append(leases, r.LeaseId)
			case 2: // terminate: the refund is EstimateTerminate's, for LP and sold devices alike
				if len(leases) > 0 {
					id := leases[int(arg)%len(leases)]
					est, qerr := poolskeeper.NewQuerier(c.PoolsKeeper).EstimateTerminate(c.Ctx(), &poolstypes.QueryEstimateTerminateRequest{LeaseId: id})
					before := apptesting.Balance(c, client)
					_, err := apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgTerminateLease{Client: client.String(), LeaseId: id, MinRefund: math.ZeroInt()})
					if err == nil {
						require.NoError(t, qerr)
						require.Equal(t, before.Add(est.Refund), apptesting.Balance(c, client), "termination refunds what EstimateTerminate said")
					}
				}
			case 3:
				if len(leases) > 0 {
					_, _ = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgExtendLease{Client: client.String(), LeaseId: leases[int(arg)%len(leases)],
						Duration: time.Hour, MaxUloopIn: math.NewInt(1 << 50)})
				}
			case 4:
				if device > 0 {
					// It last passed up to 4 h ago (a clawback when that is
					// before the block time).
					_, _ = c.PoolsKeeper.FailPosition(c.Ctx(), 1+uint64(arg)%device, c.Ctx().BlockTime().Add(-time.Duration(arg%5)*time.Hour), time.Time{})
				}
			case 5:
				if device > 0 {
					id := 1 + uint64(arg)%device
					if pos, err := c.PoolsKeeper.Position(c.Ctx(), id); err == nil && !pos.Sold {
						_, err := c.PoolsKeeper.RenewPosition(c.Ctx(), id, pos.End.Add(time.Hour), math.NewInt(1<<62))
						require.NoError(t, err)
					}
				}
			case 6:
				c.NextBlock(t, time.Duration(1+arg)*3*time.Minute)
			case 7: // a just-in-time LP: a ten-year commitment, a few minutes, out by failure
				pool := apptesting.PoolOf(t, c, "rtx-4090")
				if pool.QueueBacklog || pool.UnsoldSeconds.IsZero() || pool.SoldSeconds().IsZero() && pool.SoldStream().IsZero() {
					break
				}
				sold := int64(0)
				require.NoError(t, c.PoolsKeeper.Positions.Walk(c.Ctx(), nil, func(_ uint64, p poolstypes.Position) (bool, error) {
					if p.Sold && p.FailureStream == nil {
						sold++
					}
					return false, nil
				}))
				price := new(big.Rat).SetFrac(pool.ReserveUloop.BigInt(), pool.UnsoldSeconds.BigInt())
				device++
				miner := apptesting.Account(t, c, fmt.Sprintf("miner-%d", device), 100_000_000_000)
				staked := c.Ctx().BlockTime()
				in, err := c.PoolsKeeper.OpenPosition(c.Ctx(), pool.Id, device, miner, staked.Add(3650*24*time.Hour), math.NewInt(1<<62))
				require.NoError(t, err)
				pool = apptesting.PoolOf(t, c, "rtx-4090")
				dt := (1 + arg%10) * 60
				c.NextBlock(t, time.Duration(dt)*time.Second)
				res, err := c.PoolsKeeper.FailPosition(c.Ctx(), device, c.Ctx().BlockTime(), staked)
				require.NoError(t, err)
				// All the sold-time income the window can hold: the streams
				// running at its start and every sold device idle at the spot
				// price; a few uloop of rounding on a ten-year position.
				bound := new(big.Rat).Mul(price, big.NewRat(sold*dt, 1))
				bound.Add(bound, new(big.Rat).SetFrac(pool.SoldStream().MulRaw(dt).BigInt(), ledger.Scale))
				bound.Add(bound, big.NewRat(20, 1))
				gain := new(big.Rat).SetInt(res.Payout.Sub(in).BigInt())
				require.True(t, gain.Cmp(bound) <= 0, "a position present %d s gained %s, more than the window's sold-time income %s", dt, gain.FloatString(0), bound.FloatString(0))
			case 8: // a failed seller's penalty joins its device's stream
				require.NoError(t, c.PoolsKeeper.Positions.Walk(c.Ctx(), nil, func(id uint64, p poolstypes.Position) (bool, error) {
					if p.FailureStream == nil || !p.End.After(c.Ctx().BlockTime()) {
						return false, nil
					}
					amount := math.NewInt(1 + arg*1000)
					require.NoError(t, c.BankKeeper.SendCoinsFromAccountToModule(c.Ctx(), client, poolstypes.ModuleName, chaintypes.Uloop(amount)))
					return true, c.PoolsKeeper.FundStream(c.Ctx(), id, amount)
				}))
			}
			apptesting.CheckPools(t, c)
		}
	})
}
