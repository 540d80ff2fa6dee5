package keeper

import (
	"context"
	"math/big"

	"cosmossdk.io/math"
	"github.com/loopin-project/loopin/x/pools/ledger"
)

// QuoteSell returns what selling seconds of device time into pool poolID
// would pay now, and the spot price before it (for the collateral).
func (k Keeper) QuoteSell(ctx context.Context, poolID uint64, seconds int64) (proceeds math.Int, spot math.LegacyDec, err error) {
	pool, err := k.getPool(ctx, poolID)
	if err != nil {
		return math.Int{}, math.LegacyDec{}, err
	}
	lp, err := k.touch(ctx, &pool)
	if err != nil {
		return math.Int{}, math.LegacyDec{}, err
	}
	out, fee, err := lp.QuoteSell(seconds)
	if err != nil {
		return math.Int{}, math.LegacyDec{}, ledgerErr(err)
	}
	return math.NewIntFromBigInt(out.Sub(out, fee)), spotDec(lp), nil
}

// SpotPrice returns pool's spot price L/H in uloop per GPU-second,
// accounted to the block time (the reference price when H = 0).
func (k Keeper) SpotPrice(ctx context.Context, poolID uint64) (math.LegacyDec, error) {
	pool, err := k.getPool(ctx, poolID)
	if err != nil {
		return math.LegacyDec{}, err
	}
	lp, err := k.touch(ctx, &pool)
	if err != nil {
		return math.LegacyDec{}, err
	}
	return spotDec(lp), nil
}

// spotDec is lp's spot price L/H, uloop per GPU-second, rounded down to
// 18 decimals; the reference price when H = 0 (touch loaded it).
func spotDec(lp *ledger.Pool) math.LegacyDec {
	if lp.H == 0 {
		return math.LegacyNewDecFromBigIntWithPrec(new(big.Int).Quo(new(big.Int).Mul(lp.RefPrice.Num(), decScale), lp.RefPrice.Denom()), 18)
	}
	return math.LegacyNewDecFromBigInt(lp.L).QuoInt64(lp.H)
}
