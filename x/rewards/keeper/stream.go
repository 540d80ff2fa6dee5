package keeper

import (
	"context"
	"errors"
	"math/big"

	poolstypes "github.com/loopin-project/loopin/x/pools/types"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/loopin-project/loopin/x/rewards/types"
)

// This file is the F1-style accounting of the miners' and clients' shares
// (x/rewards/README.md, docs/rewards.md). A stream's pot of epoch e is split in
// proportion to each account's weight × seconds in the epoch. The stream
// keeps ∫W dt of the open period; at the epoch end the period closes with
// rate = pot / ∫W dt and R (the time integral of the rate) moves on. An
// account is settled only when its weight changes (or, once ended, when its
// period closes): what it earned in closed periods is w × ΔR plus its
// pending weight-seconds of the period it was last settled in, priced at
// that period's rate. Nothing walks the accounts at an epoch end except
// those that ended during it.

// rateScale scales rates: uloop per weight-second × 10^30.
var rateScale = new(big.Int).Exp(big.NewInt(10), big.NewInt(30), nil)

func (k Keeper) getStream(ctx context.Context, id uint32) (types.Stream, error) {
	st, err := k.Streams.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Stream{Weight: math.ZeroInt(), Accumulated: math.ZeroInt(), Cumulative: math.ZeroInt(), Base: math.ZeroInt()}, nil
	}
	if st.Base.IsNil() {
		st.Base = math.ZeroInt()
	}
	return st, err
}

// advance brings the stream's ∫W dt up to now.
func advance(st *types.Stream, now int64) {
	if st.Last == 0 {
		st.Last, st.PeriodStart = now, now
	}
	if now > st.Last {
		st.Accumulated = st.Accumulated.Add(st.Weight.MulRaw(now - st.Last))
		st.Last = now
	}
}

// settle books what account a earned up to now into its owner's pending
// rewards (and C_minted) and moves its checkpoint to now.
func (k Keeper) settle(ctx context.Context, stream uint32, st types.Stream, a *types.RewardAccount, now int64) error {
	if a.SincePeriod < st.Period {
		rec, err := k.Periods.Get(ctx, collections.Join(stream, a.SincePeriod))
		if err != nil {
			return err
		}
		// R at the last settlement, inside its (now closed) period.
		rSince := new(big.Int).Mul(rec.Rate.BigInt(), big.NewInt(a.Since-rec.Start))
		rSince.Add(rSince, rec.Cumulative.BigInt())
		earned := new(big.Int).Mul(a.Pending.BigInt(), rec.Rate.BigInt())
		dr := new(big.Int).Sub(st.Cumulative.BigInt(), rSince)
		earned.Add(earned, dr.Mul(dr, a.Weight.BigInt()))
		earned.Quo(earned, rateScale)
		owner, err := k.accountKeeper.AddressCodec().StringToBytes(a.Owner)
		if err != nil {
			return err
		}
		if err := k.credit(ctx, owner, math.NewIntFromBigInt(earned)); err != nil {
			return err
		}
		a.Pending = a.Weight.MulRaw(now - st.PeriodStart)
	} else {
		a.Pending = a.Pending.Add(a.Weight.MulRaw(now - a.Since))
	}
	a.Since, a.SincePeriod = now, st.Period
	return nil
}

// setWeight sets account id of stream to weight w for owner from the block
// time on (w = 0 ends it: it is settled and removed when its period
// closes). One account and one stream record are touched.
func (k Keeper) setWeight(ctx context.Context, stream uint32, id uint64, owner string, w math.Int) error {
	now := sdk.UnwrapSDKContext(ctx).BlockTime().Unix()
	st, err := k.getStream(ctx, stream)
	if err != nil {
		return err
	}
	advance(&st, now)
	key := collections.Join(stream, id)
	a, err := k.RewardAccounts.Get(ctx, key)
	switch {
	case errors.Is(err, collections.ErrNotFound):
		if w.IsZero() {
			return k.Streams.Set(ctx, stream, st)
		}
		a = types.RewardAccount{Weight: math.ZeroInt(), Pending: math.ZeroInt(), Since: now, SincePeriod: st.Period}
	case err != nil:
		return err
	default:
		if err := k.settle(ctx, stream, st, &a, now); err != nil {
			return err
		}
		if a.Ended {
			// Its last period has not closed yet: keep the ended record
			// and start over under a fresh one only if it comes back with
			// weight in a later period; the same period simply revives it.
			if err := k.Ended.Remove(ctx, collections.Join3(stream, a.SincePeriod, id)); err != nil {
				return err
			}
			a.Ended = false
		}
		st.Weight = st.Weight.Sub(a.Weight)
	}
	if owner != "" {
		a.Owner = owner
	}
	a.Weight = w
	if w.IsZero() {
		a.Ended = true
		if err := k.Ended.Set(ctx, collections.Join3(stream, st.Period, id)); err != nil {
			return err
		}
	}
	st.Weight = st.Weight.Add(w)
	if err := k.RewardAccounts.Set(ctx, key, a); err != nil {
		return err
	}
	return k.Streams.Set(ctx, stream, st)
}

// closePeriod closes the open period of stream at the epoch end with pot
// uloop: rate = pot·10³⁰/∫W dt, R moves on, and the accounts that ended in
// the period are paid and removed. It returns what the accounts will be
// paid in total at most (⌊rate·∫W dt/10³⁰⌋); the rest of pot is the
// caller's sink.
func (k Keeper) closePeriod(ctx context.Context, stream uint32, pot math.Int) (math.Int, error) {
	now := sdk.UnwrapSDKContext(ctx).BlockTime().Unix()
	st, err := k.getStream(ctx, stream)
	if err != nil {
		return math.Int{}, err
	}
	advance(&st, now)
	if stream == types.StreamClients {
		// The clients' weight-seconds are the pools' leased GPU-seconds of
		// the period (x/pools' epoch hook ran first: every pool is
		// accounted to now). The first period began an epoch ago.
		if st.Period == 0 && st.PeriodStart == now {
			secs, err := k.epochSeconds(ctx)
			if err != nil {
				return math.Int{}, err
			}
			st.PeriodStart = now - secs
		}
		total, err := k.poolsKeeper.LeasedSeconds(ctx)
		if err != nil {
			return math.Int{}, err
		}
		st.Accumulated, st.Base = total.Sub(st.Base), total
	}
	rate := new(big.Int)
	allotted := new(big.Int)
	if st.Accumulated.IsPositive() && pot.IsPositive() {
		rate.Mul(pot.BigInt(), rateScale).Quo(rate, st.Accumulated.BigInt())
		allotted.Mul(rate, st.Accumulated.BigInt()).Quo(allotted, rateScale)
	}
	closed := st.Period
	if err := k.Periods.Set(ctx, collections.Join(stream, closed), types.Period{
		Start: st.PeriodStart, Rate: math.NewIntFromBigInt(rate), Cumulative: st.Cumulative}); err != nil {
		return math.Int{}, err
	}
	r := new(big.Int).Mul(rate, big.NewInt(now-st.PeriodStart))
	st.Cumulative = st.Cumulative.Add(math.NewIntFromBigInt(r))
	st.Period++
	st.PeriodStart = now
	st.Accumulated = math.ZeroInt()
	if err := k.Streams.Set(ctx, stream, st); err != nil {
		return math.Int{}, err
	}
	// Accounts that ended in the closed period: pay and remove them.
	it, err := k.Ended.Iterate(ctx, collections.NewSuperPrefixedTripleRange[uint32, uint64, uint64](stream, closed))
	if err != nil {
		return math.Int{}, err
	}
	ended, err := it.Keys()
	if err != nil {
		return math.Int{}, err
	}
	for _, key := range ended {
		a, err := k.RewardAccounts.Get(ctx, collections.Join(stream, key.K3()))
		if err != nil {
			return math.Int{}, err
		}
		if err := k.settle(ctx, stream, st, &a, now); err != nil {
			return math.Int{}, err
		}
		if err := k.RewardAccounts.Remove(ctx, collections.Join(stream, key.K3())); err != nil {
			return math.Int{}, err
		}
		if err := k.Ended.Remove(ctx, key); err != nil {
			return math.Int{}, err
		}
	}
	return math.NewIntFromBigInt(allotted), nil
}

// minerWeight is a committed device's weight: ⌊PoCPS × 10⁶⌋ × its class's
// W_bench in int8 TOPS (at least 1), so a bigger class earns more for the
// same score (docs/rewards.md).
func (k Keeper) minerWeight(ctx context.Context, deviceID uint64) (math.Int, string, error) {
	score, in, err := k.pocpsKeeper.DeviceScore(ctx, deviceID)
	if err != nil {
		return math.Int{}, "", err
	}
	device, err := k.pocpsKeeper.GetDevice(ctx, deviceID)
	if err != nil {
		return math.Int{}, "", err
	}
	tops := in.WBench.Quo(math.NewInt(1_000_000_000_000))
	if !tops.IsPositive() {
		tops = math.OneInt()
	}
	return score.PoCPS.MulInt64(1_000_000).TruncateInt().Mul(tops), device.Owner, nil
}

// rAt is R at time t inside a closed period of stream: the period holding
// t is found by binary search over the periods' starts.
func (k Keeper) rAt(ctx context.Context, stream uint32, st types.Stream, t int64) (*big.Int, error) {
	lo, hi := uint64(0), st.Period-1 // t lies in a closed period: [0, Period)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		p, err := k.Periods.Get(ctx, collections.Join(stream, mid))
		if err != nil {
			return nil, err
		}
		if p.Start <= t {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	p, err := k.Periods.Get(ctx, collections.Join(stream, lo))
	if err != nil {
		return nil, err
	}
	r := new(big.Int).Mul(p.Rate.BigInt(), big.NewInt(max(t-p.Start, 0)))
	return r.Add(r, p.Cumulative.BigInt()), nil
}

// PayLease pays the client for its lease's GPU-seconds: those in
// closed periods at once, through R (the lease has weight 1), those of the
// open period when it closes (an ended account with them as pending).
// Purchases write nothing here: the periods' totals come from x/pools.
func (k Keeper) PayLease(ctx context.Context, l poolstypes.Lease) error {
	st, err := k.getStream(ctx, types.StreamClients)
	if err != nil {
		return err
	}
	start, end := l.Start.Unix(), l.End.Unix()
	if end <= start {
		return nil
	}
	client, err := k.accountKeeper.AddressCodec().StringToBytes(l.Client)
	if err != nil {
		return err
	}
	if st.Period > 0 && start < st.PeriodStart {
		rStart, err := k.rAt(ctx, types.StreamClients, st, start)
		if err != nil {
			return err
		}
		earned := new(big.Int).Sub(st.Cumulative.BigInt(), rStart)
		earned.Quo(earned, rateScale)
		if err := k.credit(ctx, client, math.NewIntFromBigInt(earned)); err != nil {
			return err
		}
	}
	open := end - max(start, st.PeriodStart)
	if st.Period == 0 && st.PeriodStart == 0 {
		open = end - start // no period closed yet: all of it is in the open one
	}
	if open <= 0 {
		return nil
	}
	a := types.RewardAccount{Owner: l.Client, Weight: math.ZeroInt(), Since: end, SincePeriod: st.Period,
		Pending: math.NewInt(open), Ended: true}
	if err := k.RewardAccounts.Set(ctx, collections.Join(types.StreamClients, l.Id), a); err != nil {
		return err
	}
	return k.Ended.Set(ctx, collections.Join3(types.StreamClients, st.Period, l.Id))
}
