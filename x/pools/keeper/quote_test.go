package keeper_test

import (
	"math/big"
	"testing"
	"time"

	"cosmossdk.io/math"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/loopin-project/loopin/app/apptesting"
	poolskeeper "github.com/loopin-project/loopin/x/pools/keeper"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
	staketypes "github.com/loopin-project/loopin/x/stake/types"
)

// spotRat is class's spot price L/H accounted to now, as an exact rational.
func spotRat(t *testing.T, c *apptesting.TestChain, class string) *big.Rat {
	t.Helper()
	s, err := poolskeeper.NewQuerier(c.PoolsKeeper).SpotPrice(c.Ctx(), &poolstypes.QuerySpotPriceRequest{GpuClass: class})
	require.NoError(t, err)
	return new(big.Rat).SetFrac(s.ReserveUloop.BigInt(), s.UnsoldSeconds.BigInt())
}

// decOf is r as a LegacyDec rounded down to 18 decimals.
func decOf(r *big.Rat) math.LegacyDec {
	n := new(big.Int).Mul(r.Num(), new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil))
	return math.LegacyNewDecFromBigIntWithPrec(n.Div(n, r.Denom()), 18)
}

// EstimateSell quotes what x/stake's MsgSellCompute then pays in the same
// block: the proceeds are the sale's, the pool's reserve falls by the
// quote, and the spot price moves by the quoted (negative) impact. A pool
// the sale would be refused by is refused by the estimate with the same
// error.
func TestEstimateSellIsWhatTheSalePays(t *testing.T) {
	c := apptesting.Setup(t)
	q := poolskeeper.NewQuerier(c.PoolsKeeper)
	lp, seller := apptesting.Account(t, c, "lp", 100_000_000_000), apptesting.Account(t, c, "seller", 100_000_000_000)
	stakeParams, err := c.StakeKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	days := stakeParams.SellMinDays
	sold := time.Duration(days) * stakeParams.DayLength

	// No LP position yet: nobody would own the time; both refuse.
	apptesting.PutSealedDevice(t, c, 1, seller)
	_, err = q.EstimateSell(c.Ctx(), &poolstypes.QueryEstimateSellRequest{GpuClass: "rtx-4090", Duration: sold})
	require.Equal(t, codes.FailedPrecondition, status.Code(err))
	require.ErrorContains(t, err, poolstypes.ErrInsufficientLiquidity.Error())
	_, err = apptesting.Deliver(c, c.Ctx(), &staketypes.MsgSellCompute{Owner: seller.String(), DeviceId: 1, Days: days, MinUloopOut: math.ZeroInt()})
	require.ErrorIs(t, err, poolstypes.ErrInsufficientLiquidity)

	apptesting.OpenLP(t, c, "rtx-4090", 10, lp, 10*24*time.Hour)
	apptesting.OpenLP(t, c, "rtx-4090", 11, lp, 4*24*time.Hour)
	c.NextBlock(t, time.Hour)
	est, err := q.EstimateSell(c.Ctx(), &poolstypes.QueryEstimateSellRequest{GpuClass: "rtx-4090", Duration: sold})
	require.NoError(t, err)
	require.Equal(t, uint64(sold/time.Second), est.Seconds)
	require.Equal(t, est.Out.Sub(est.Fee), est.Proceeds)
	require.True(t, est.Fee.IsPositive())
	require.True(t, est.PriceImpact.IsNegative(), "a sale lowers the price: %s", est.PriceImpact)
	require.Equal(t, est.Proceeds.ToLegacyDec().MulInt64(3600).QuoInt64(int64(est.Seconds)), est.PerGpuHour)

	spotBefore := spotRat(t, c, "rtx-4090")
	poolBefore := apptesting.PoolOf(t, c, "rtx-4090")
	res, err := apptesting.Deliver(c, c.Ctx(), &staketypes.MsgSellCompute{Owner: seller.String(), DeviceId: 1, Days: days, MinUloopOut: est.Proceeds})
	require.NoError(t, err, "the quote's proceeds as min-uloop-out are met")
	var sale staketypes.MsgSellComputeResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &sale))
	require.Equal(t, est.Proceeds, sale.Proceeds, "the sale pays the estimate")
	poolAfter := apptesting.PoolOf(t, c, "rtx-4090")
	require.Equal(t, poolBefore.ReserveUloop.Sub(est.Out), poolAfter.ReserveUloop, "the quote leaves the reserve")
	require.Equal(t, poolBefore.PendingBurnUloop.Add(est.Fee), poolAfter.PendingBurnUloop, "the fee is burned")
	impact := new(big.Rat).Quo(spotRat(t, c, "rtx-4090"), spotBefore)
	require.Equal(t, decOf(impact.Sub(impact, big.NewRat(1, 1))), est.PriceImpact, "the spot price moves by the quoted impact")
	apptesting.CheckPools(t, c)

	// Bad inputs and pools that take no sale.
	for _, tc := range []struct {
		req  *poolstypes.QueryEstimateSellRequest
		code codes.Code
		in   string
	}{
		{&poolstypes.QueryEstimateSellRequest{GpuClass: "rtx-4090"}, codes.InvalidArgument, "duration"},
		{&poolstypes.QueryEstimateSellRequest{GpuClass: "rtx-4090", Duration: 1500 * time.Millisecond}, codes.InvalidArgument, "whole number of seconds"},
		{&poolstypes.QueryEstimateSellRequest{GpuClass: "nope-gpu", Duration: sold}, codes.NotFound, "pool not found"},
		{&poolstypes.QueryEstimateSellRequest{Duration: sold}, codes.InvalidArgument, "GPU class"},
	} {
		_, err := q.EstimateSell(c.Ctx(), tc.req)
		require.Equal(t, tc.code, status.Code(err), "%+v: %v", tc.req, err)
		require.ErrorContains(t, err, tc.in)
	}
	_, err = q.EstimateSell(c.Ctx(), nil)
	require.Equal(t, codes.InvalidArgument, status.Code(err))
	_, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgSetPoolStatus{Authority: apptesting.GovAuthority, PoolId: poolAfter.Id, Status: poolstypes.POOL_STATUS_RETIRING})
	require.NoError(t, err)
	_, err = q.EstimateSell(c.Ctx(), &poolstypes.QueryEstimateSellRequest{GpuClass: "rtx-4090", Duration: sold})
	require.ErrorContains(t, err, poolstypes.ErrPoolNotActive.Error(), "a retiring pool takes no sale")
	apptesting.PutSealedDevice(t, c, 2, seller)
	_, err = apptesting.Deliver(c, c.Ctx(), &staketypes.MsgSellCompute{Owner: seller.String(), DeviceId: 2, Days: days, MinUloopOut: math.ZeroInt()})
	require.ErrorContains(t, err, "POOL_STATUS_RETIRING", "x/stake refuses the sale first, in its own words")
}

// EstimateBuyMaxImpact quotes the longest lease whose price impact
// h/(H−h) is at most the bound, and MsgBuyLease of that length then does
// exactly what it says in the same block; the lease is capped by
// max_lease_duration and by the longest idle commitment, and the bound
// that stopped it is named. Bad bounds and bounds nothing meets are
// refused with clear errors.
func TestEstimateBuyMaxImpactIsWhatThePurchaseDoes(t *testing.T) {
	c := apptesting.Setup(t)
	q := poolskeeper.NewQuerier(c.PoolsKeeper)
	miner, client := apptesting.Account(t, c, "miner", 100_000_000_000), apptesting.Account(t, c, "client", 100_000_000_000)
	apptesting.OpenLP(t, c, "rtx-4090", 1, miner, 10*24*time.Hour)
	apptesting.OpenLP(t, c, "rtx-4090", 2, miner, 5*24*time.Hour)
	apptesting.OpenLP(t, c, "rtx-4090", 3, miner, 2*24*time.Hour)
	c.NextBlock(t, time.Minute)
	bound := math.LegacyMustNewDecFromStr("0.01")

	est, err := q.EstimateBuyMaxImpact(c.Ctx(), &poolstypes.QueryEstimateBuyMaxImpactRequest{GpuClass: "rtx-4090", MaxPriceImpact: "0.01"})
	require.NoError(t, err)
	require.Equal(t, poolstypes.BuyLimit_BUY_LIMIT_PRICE_IMPACT, est.Limit)
	h := int64(est.Seconds)
	spot, err := q.SpotPrice(c.Ctx(), &poolstypes.QuerySpotPriceRequest{GpuClass: "rtx-4090"})
	require.NoError(t, err)
	H := spot.UnsoldSeconds.Int64() // accounted to now
	require.True(t, math.LegacyNewDec(h).QuoInt64(H-h).LTE(bound), "within the bound")
	require.True(t, math.LegacyNewDec(h+1).QuoInt64(H-h-1).GT(bound), "one second more is not")
	require.True(t, est.PriceImpact.LTE(bound))
	require.Equal(t, est.Total, est.Price.Add(est.Fee))

	// The same quote from EstimateBuy, and the purchase does it.
	d := time.Duration(h) * time.Second
	same, err := q.EstimateBuy(c.Ctx(), &poolstypes.QueryEstimateBuyRequest{GpuClass: "rtx-4090", Duration: d})
	require.NoError(t, err)
	require.Equal(t, same.DeviceId, est.DeviceId)
	require.Equal(t, same.Total, est.Total)
	require.Equal(t, same.PriceImpact, est.PriceImpact)
	require.Equal(t, same.CommitmentEnd, est.CommitmentEnd)
	spotBefore := spotRat(t, c, "rtx-4090")
	msg := buyMsg(client, "rtx-4090", d, est.Total)
	msg.DeviceId = est.DeviceId
	bought, err := deliverBuy(t, c, msg)
	require.NoError(t, err)
	require.Equal(t, est.DeviceId, bought.DeviceId)
	require.Equal(t, est.Price, bought.Price)
	require.Equal(t, est.Fee, bought.Fee)
	impact := new(big.Rat).Quo(spotRat(t, c, "rtx-4090"), spotBefore)
	impact.Sub(impact, big.NewRat(1, 1))
	require.True(t, impact.Cmp(new(big.Rat).SetFrac(bound.BigInt(), new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil))) <= 0, "the purchase moved the price by at most the bound: %s", impact.FloatString(20))
	require.True(t, est.PriceImpact.Sub(decOf(impact)).Abs().LTE(math.LegacyNewDecWithPrec(1, 18)), "by the quoted impact")
	apptesting.CheckPools(t, c)

	// A loose bound: the longest idle commitment stops the lease (device 2's,
	// device 1 is leased), then max_lease_duration does.
	est, err = q.EstimateBuyMaxImpact(c.Ctx(), &poolstypes.QueryEstimateBuyMaxImpactRequest{GpuClass: "rtx-4090", MaxPriceImpact: "10"})
	require.NoError(t, err)
	require.Equal(t, poolstypes.BuyLimit_BUY_LIMIT_COMMITMENT, est.Limit)
	require.Equal(t, uint64(2), est.DeviceId)
	require.Equal(t, uint64(est.CommitmentEnd.Unix()-c.Ctx().BlockTime().Unix()), est.Seconds, "all of device 2's remaining commitment")
	bought, err = deliverBuy(t, c, buyMsg(client, "rtx-4090", time.Duration(est.Seconds)*time.Second, est.Total))
	require.NoError(t, err, "exactly the quote buys it")
	require.Equal(t, est.DeviceId, bought.DeviceId)
	require.Equal(t, est.Price, bought.Price)
	setPoolsParams(t, c, func(p *poolstypes.Params) { p.MaxLeaseDuration = 36 * time.Hour })
	est, err = q.EstimateBuyMaxImpact(c.Ctx(), &poolstypes.QueryEstimateBuyMaxImpactRequest{GpuClass: "rtx-4090", MaxPriceImpact: "10"})
	require.NoError(t, err)
	require.Equal(t, poolstypes.BuyLimit_BUY_LIMIT_MAX_LEASE_DURATION, est.Limit)
	require.Equal(t, uint64(36*3600), est.Seconds)
	require.Equal(t, uint64(3), est.DeviceId)

	// Refused: even min_lease_duration moves the price more; bad bounds;
	// no idle device.
	_, err = q.EstimateBuyMaxImpact(c.Ctx(), &poolstypes.QueryEstimateBuyMaxImpactRequest{GpuClass: "rtx-4090", MaxPriceImpact: "0.0001"})
	require.Equal(t, codes.FailedPrecondition, status.Code(err))
	require.ErrorContains(t, err, poolstypes.ErrPriceImpact.Error())
	require.ErrorContains(t, err, "min_lease_duration 1h0m0s")
	for _, bad := range []string{"", "abc", "0", "-0.01", "1%"} {
		_, err := q.EstimateBuyMaxImpact(c.Ctx(), &poolstypes.QueryEstimateBuyMaxImpactRequest{GpuClass: "rtx-4090", MaxPriceImpact: bad})
		require.Equal(t, codes.InvalidArgument, status.Code(err), "%q", bad)
		require.ErrorContains(t, err, "max_price_impact")
	}
	_, err = q.EstimateBuyMaxImpact(c.Ctx(), &poolstypes.QueryEstimateBuyMaxImpactRequest{GpuClass: "a100", MaxPriceImpact: "0.01"})
	require.ErrorContains(t, err, poolstypes.ErrNoIdleDevice.Error(), "an empty pool")
	_, err = q.EstimateBuyMaxImpact(c.Ctx(), &poolstypes.QueryEstimateBuyMaxImpactRequest{GpuClass: "nope-gpu", MaxPriceImpact: "0.01"})
	require.Equal(t, codes.NotFound, status.Code(err))
	_, err = q.EstimateBuyMaxImpact(c.Ctx(), nil)
	require.Equal(t, codes.InvalidArgument, status.Code(err))
}
