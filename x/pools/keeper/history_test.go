package keeper_test

import (
	"testing"
	"time"

	"cosmossdk.io/math"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/loopin-project/loopin/app/apptesting"
	poolskeeper "github.com/loopin-project/loopin/x/pools/keeper"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
)

// PriceHistory's intervals are adjacent, oldest first, end now, each the
// TWAP between two snapshots; a purchase shows as a price step, and the
// intervals' time-weighted mean is the window's TWAP.
func TestPriceHistory(t *testing.T) {
	c := apptesting.Setup(t)
	q := poolskeeper.NewQuerier(c.PoolsKeeper)
	miner, client := apptesting.Account(t, c, "miner", 10_000_000_000), apptesting.Account(t, c, "client", 10_000_000_000)
	apptesting.OpenLP(t, c, "l40", 1, miner, 20*24*time.Hour)
	apptesting.OpenLP(t, c, "l40", 2, miner, 20*24*time.Hour)
	c.NextBlock(t, time.Second)

	history := func(window time.Duration, points uint32) *poolstypes.QueryPriceHistoryResponse {
		t.Helper()
		h, err := q.PriceHistory(c.Ctx(), &poolstypes.QueryPriceHistoryRequest{GpuClass: "l40", Window: window, Points: points})
		require.NoError(t, err)
		return h
	}
	require.Empty(t, history(24*time.Hour, 24).Points, "no epoch has ended: no snapshot, no interval")

	for i := 0; i < 6; i++ {
		c.NextBlock(t, time.Hour) // the `loopin` epoch is 1 h
	}
	before := history(24*time.Hour, 0)
	spot0 := before.SpotPerGpuHour
	est, err := q.EstimateBuy(c.Ctx(), &poolstypes.QueryEstimateBuyRequest{GpuClass: "l40", Duration: 5 * 24 * time.Hour})
	require.NoError(t, err)
	bought := c.Ctx().BlockTime()
	_, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "l40", Duration: 5 * 24 * time.Hour, MaxUloopIn: est.Total})
	require.NoError(t, err)
	for i := 0; i < 6; i++ {
		c.NextBlock(t, time.Hour)
	}
	now := c.Ctx().BlockTime()

	h := history(24*time.Hour, 24)
	// Snapshots exist from the first epoch end on: 12 of them, the last
	// taken now, so 11 intervals, the last ending now.
	require.Len(t, h.Points, 11)
	require.Equal(t, now, h.Points[len(h.Points)-1].To)
	for i := 1; i < len(h.Points); i++ {
		require.Equal(t, h.Points[i-1].To, h.Points[i].From, "adjacent")
		require.True(t, h.Points[i].From.After(h.Points[i-1].From), "oldest first")
	}
	spot1 := h.SpotPerGpuHour
	require.True(t, spot1.GT(spot0.Mul(math.LegacyMustNewDecFromStr("1.1"))), "a 5-day lease of 40 days unsold lifts the spot price: %s → %s", spot0, spot1)
	tol := spot0.Quo(math.LegacyNewDec(10_000))
	for i, p := range h.Points {
		var want math.LegacyDec
		switch {
		case !p.To.After(bought):
			want = spot0
		case !p.From.Before(bought):
			want = spot1
		default:
			// The interval holding the purchase lies between the two.
			require.True(t, p.PerGpuHour.GT(spot0) && p.PerGpuHour.LT(spot1), "interval %d holds the step: %s", i, p.PerGpuHour)
			continue
		}
		require.True(t, p.PerGpuHour.Sub(want).Abs().LTE(tol), "interval %d [%s, %s]: %s, want %s", i, p.From, p.To, p.PerGpuHour, want)
	}

	// Each interval is the TWAP over its own window.
	last := h.Points[len(h.Points)-1]
	twap, err := q.Twap(c.Ctx(), &poolstypes.QueryTwapRequest{GpuClass: "l40", Window: now.Sub(last.From)})
	require.NoError(t, err)
	require.Equal(t, twap.PerGpuHour, last.PerGpuHour)

	// Fewer points merge intervals; their time-weighted mean is the TWAP.
	coarse := history(12*time.Hour, 3)
	require.Len(t, coarse.Points, 3)
	sum, span := math.LegacyZeroDec(), int64(0)
	for _, p := range coarse.Points {
		dt := int64(p.To.Sub(p.From) / time.Second)
		sum, span = sum.Add(p.PerGpuHour.MulInt64(dt)), span+dt
	}
	whole, err := q.Twap(c.Ctx(), &poolstypes.QueryTwapRequest{GpuClass: "l40", Window: now.Sub(coarse.Points[0].From)})
	require.NoError(t, err)
	require.True(t, sum.QuoInt64(span).Sub(whole.PerGpuHour).Abs().LTE(math.LegacyNewDecWithPrec(1, 9)), "mean %s vs TWAP %s", sum.QuoInt64(span), whole.PerGpuHour)

	// The pool is younger than the window: the 11 h since its first
	// snapshot are split into the points asked for, not the 24 h.
	young := history(24*time.Hour, 6)
	require.Len(t, young.Points, 6)
	require.Equal(t, h.Points[0].From, young.Points[0].From, "from the first snapshot")

	// More points than snapshots: readings of one snapshot merge.
	require.Len(t, history(2*time.Hour, 1000).Points, 2)
}

// Bad requests are refused with InvalidArgument or NotFound.
func TestPriceHistoryRefusals(t *testing.T) {
	c := apptesting.Setup(t)
	q := poolskeeper.NewQuerier(c.PoolsKeeper)
	for _, tc := range []struct {
		req  *poolstypes.QueryPriceHistoryRequest
		code codes.Code
		msg  string
	}{
		{nil, codes.InvalidArgument, "empty request"},
		{&poolstypes.QueryPriceHistoryRequest{GpuClass: "l40"}, codes.InvalidArgument, "window"},
		{&poolstypes.QueryPriceHistoryRequest{GpuClass: "l40", Window: 721 * time.Hour}, codes.InvalidArgument, "longer than"},
		{&poolstypes.QueryPriceHistoryRequest{GpuClass: "l40", Window: time.Hour, Points: 1001}, codes.InvalidArgument, "more than 1000"},
		{&poolstypes.QueryPriceHistoryRequest{Window: time.Hour}, codes.InvalidArgument, "give a GPU class"},
		{&poolstypes.QueryPriceHistoryRequest{GpuClass: "tpu-v9", Window: time.Hour}, codes.NotFound, "tpu-v9"},
	} {
		_, err := q.PriceHistory(c.Ctx(), tc.req)
		require.Equal(t, tc.code, status.Code(err), "%v: %v", tc.req, err)
		require.ErrorContains(t, err, tc.msg)
	}
}

// A query's cost does not grow with the snapshots kept: it reads at most
// points + 1 of them. The same request costs the same gas with 10 and with
// 250 snapshots in the window.
func TestPriceHistoryCostIsBoundedByPoints(t *testing.T) {
	c := apptesting.Setup(t)
	q := poolskeeper.NewQuerier(c.PoolsKeeper)
	miner := apptesting.Account(t, c, "miner", 10_000_000_000)
	apptesting.OpenLP(t, c, "l40", 1, miner, 25*24*time.Hour)
	gas := func() uint64 {
		ctx := c.Ctx().WithGasMeter(storetypes.NewInfiniteGasMeter())
		h, err := q.PriceHistory(ctx, &poolstypes.QueryPriceHistoryRequest{GpuClass: "l40", Window: 720 * time.Hour, Points: 20})
		require.NoError(t, err)
		require.NotEmpty(t, h.Points)
		return ctx.GasMeter().GasConsumed()
	}
	for i := 0; i < 10; i++ {
		c.NextBlock(t, time.Hour)
	}
	few := gas()
	for i := 0; i < 240; i++ {
		c.NextBlock(t, time.Hour)
	}
	many := gas()
	require.LessOrEqual(t, many, few+few/10, "gas with 250 snapshots %d vs 10: %d", many, few)
}

// AllLeases pages over every lease; reverse gives the newest first.
func TestAllLeasesNewestFirst(t *testing.T) {
	c := apptesting.Setup(t)
	q := poolskeeper.NewQuerier(c.PoolsKeeper)
	miner, client := apptesting.Account(t, c, "miner", 10_000_000_000), apptesting.Account(t, c, "client", 10_000_000_000)
	for id := uint64(1); id <= 3; id++ {
		apptesting.OpenLP(t, c, "l40", id, miner, 10*24*time.Hour)
	}
	c.NextBlock(t, time.Second)
	for range 3 {
		_, err := apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "l40", Duration: time.Hour, MaxUloopIn: math.NewInt(1 << 62)})
		require.NoError(t, err)
	}
	newest, err := q.AllLeases(c.Ctx(), &poolstypes.QueryAllLeasesRequest{Pagination: &query.PageRequest{Limit: 2, Reverse: true}})
	require.NoError(t, err)
	require.Equal(t, []uint64{3, 2}, []uint64{newest.Leases[0].Id, newest.Leases[1].Id})
	all, err := q.AllLeases(c.Ctx(), &poolstypes.QueryAllLeasesRequest{})
	require.NoError(t, err)
	require.Len(t, all.Leases, 3)
	require.Equal(t, uint64(1), all.Leases[0].Id)
}
