package keeper

import (
	"context"
	"math/big"
	"strings"
	"time"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	"github.com/loopin-project/loopin/x/pools/ledger"
	"github.com/loopin-project/loopin/x/pools/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// EstimateSell quotes what selling req.Duration of device time into the
// pool (x/stake's MsgSellCompute, x/pools OpenSale) would pay now,
// changing nothing: the constant-product quote, the burned fee, the
// proceeds (quote − fee), the proceeds per GPU-hour and the price impact
// of the sale. The pool is accounted to the block time as the sale would
// be, and the errors are the sale's: ErrPoolNotFound, ErrPoolNotActive (a
// retiring or retired pool takes no sales), ErrPoolBusy (queue backlog),
// ErrInvalidDuration, ErrInsufficientLiquidity (no LP position to own the
// time). What x/stake checks on top (sell_min_days..sell_max_days, the
// device, the collateral) is not quoted here.
func (q Querier) EstimateSell(ctx context.Context, req *types.QueryEstimateSellRequest) (*types.QueryEstimateSellResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if err := types.ValidateDuration("duration", req.Duration); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	pool, lp, _, err := q.tradeNow(ctx, req.GpuClass, "a sale")
	if err != nil {
		return nil, err
	}
	if pool.Status != types.POOL_STATUS_ACTIVE {
		return nil, grpcErr(errorsmod.Wrapf(types.ErrPoolNotActive, "pool %s is %s: it takes no new sales", pool.GpuClass, pool.Status))
	}
	h := int64(req.Duration / time.Second)
	// The sale itself, on a copy: its quote and fee, and the price after it
	// is whatever the ledger's sale rule leaves.
	after := lp.Clone()
	out, fee, err := after.Sell(&ledger.Device{End: lp.Now + h})
	if err != nil {
		return nil, grpcErr(ledgerErr(err))
	}
	proceeds := new(big.Int).Sub(out, fee)
	return &types.QueryEstimateSellResponse{Out: math.NewIntFromBigInt(out), Fee: math.NewIntFromBigInt(fee), Proceeds: math.NewIntFromBigInt(proceeds),
		PerGpuHour: perGPUHour(proceeds, h), PriceImpact: relativeChange(lp.Price(), after.Price()),
		Seconds: uint64(h)}, nil
}

// relativeChange is after/before − 1, rounded down to 18 decimals (a fall
// is never understated); 0 when either price is unknown or before is 0.
func relativeChange(before, after *big.Rat) math.LegacyDec {
	if before == nil || after == nil || before.Sign() == 0 {
		return math.LegacyZeroDec()
	}
	r := new(big.Rat).Quo(after, before)
	r.Sub(r, big.NewRat(1, 1))
	num := new(big.Int).Mul(r.Num(), decScale)
	num.Div(num, r.Denom()) // Euclidean: rounds down for a positive divisor
	return math.LegacyNewDecFromBigIntWithPrec(num, math.LegacyPrecision)
}

// EstimateBuyMaxImpact quotes the longest lease whose spot-price impact
// is at most req.MaxPriceImpact, changing nothing. A purchase of h
// seconds leaves L and takes h from H, so its impact, spot after / spot
// before − 1, is h/(H−h), which is at most m exactly when h ≤ m·H/(1+m).
// The lease is the longest whole number of seconds within that,
// max_lease_duration and the longest remaining commitment of an idle
// device (a lease is on one device); the quote is then EstimateBuy's for
// that duration: the device MsgBuyLease would be on, price, fee, total,
// per GPU-hour, impact, and which bound stopped it. Errors: InvalidArgument
// for a bound that is not a positive decimal; ErrPoolNotFound,
// ErrPoolNotActive (retired), ErrPoolBusy, ErrNoIdleDevice (no idle
// commitment covers min_lease_duration), ErrPriceImpact (even
// min_lease_duration moves the price by more than the bound),
// ErrInsufficientLiquidity.
func (q Querier) EstimateBuyMaxImpact(ctx context.Context, req *types.QueryEstimateBuyMaxImpactRequest) (*types.QueryEstimateBuyMaxImpactResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	bound, err := math.LegacyNewDecFromStr(strings.TrimSpace(req.MaxPriceImpact))
	if err != nil || !bound.IsPositive() {
		return nil, grpcErr(errorsmod.Wrapf(types.ErrInvalidAmount, "max_price_impact %q must be a positive decimal fraction, e.g. 0.01 for a 1 %% rise of the spot price", req.MaxPriceImpact))
	}
	pool, lp, params, err := q.tradeNow(ctx, req.GpuClass, "a purchase")
	if err != nil {
		return nil, err
	}
	minH, maxH := int64(params.MinLeaseDuration/time.Second), int64(params.MaxLeaseDuration/time.Second)
	_, end, found, err := q.matchIdle(ctx, pool.Id)
	if err != nil {
		return nil, grpcErr(err)
	}
	cover := end - lp.Now
	if !found || cover < minH {
		return nil, grpcErr(errorsmod.Wrapf(types.ErrNoIdleDevice, "pool %s has no idle device whose commitment covers min_lease_duration %s", pool.GpuClass, params.MinLeaseDuration))
	}
	// h ≤ m·H/(1+m) with m = M/10¹⁸: h ≤ ⌊M·H/(10¹⁸+M)⌋.
	m := bound.BigInt()
	byImpact := new(big.Int).Mul(m, big.NewInt(lp.H))
	byImpact.Quo(byImpact, new(big.Int).Add(decScale, m))
	h, limit := maxH, types.BuyLimit_BUY_LIMIT_MAX_LEASE_DURATION
	if byImpact.Cmp(big.NewInt(h)) < 0 {
		h, limit = byImpact.Int64(), types.BuyLimit_BUY_LIMIT_PRICE_IMPACT
	}
	if cover < h {
		h, limit = cover, types.BuyLimit_BUY_LIMIT_COMMITMENT
	}
	if h < minH {
		rise := "more than all of it" // minH is all the unsold time: no price after
		if minH < lp.H {
			rise = buyImpact(lp, minH).String()
		}
		return nil, grpcErr(errorsmod.Wrapf(types.ErrPriceImpact, "the shortest lease, min_lease_duration %s, raises pool %s's spot price by %s, more than max_price_impact %s",
			params.MinLeaseDuration, pool.GpuClass, rise, bound))
	}
	deviceID, deviceEnd, found, err := q.match(ctx, pool.Id, lp.Now, h, params.MatchLivenessWindow)
	if err != nil {
		return nil, grpcErr(err)
	}
	if !found { // the longest idle commitment covers h; kept for safety
		return nil, grpcErr(errorsmod.Wrapf(types.ErrNoIdleDevice, "pool %s has no idle device whose commitment covers %s", pool.GpuClass, time.Duration(h)*time.Second))
	}
	price, fee, err := lp.QuoteBuy(h)
	if err != nil {
		return nil, grpcErr(ledgerErr(err))
	}
	total := new(big.Int).Add(price, fee)
	return &types.QueryEstimateBuyMaxImpactResponse{Seconds: uint64(h), DeviceId: deviceID, Price: math.NewIntFromBigInt(price), Fee: math.NewIntFromBigInt(fee),
		Total: math.NewIntFromBigInt(total), PerGpuHour: perGPUHour(total, h), PriceImpact: buyImpact(lp, h), Limit: limit,
		CommitmentEnd: timeUnix(deviceEnd)}, nil
}
