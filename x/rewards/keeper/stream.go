package keeper

import (
	"context"
	"errors"
	"fmt"
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
		return types.Stream{Weight: math.ZeroInt(), Accumulated: math.ZeroInt(), Cumulative: math.ZeroInt(), Base: math.ZeroInt(),
			Withheld: math.ZeroInt()}, nil
	}
	if err != nil {
		return st, err
	}
	if st.Base.IsNil() {
		st.Base = math.ZeroInt()
	}
	if st.Withheld.IsNil() {
		st.Withheld = math.ZeroInt()
	}
	return st, nil
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

// settle books what account id of stream earned up to now into its
// owner's pending rewards (and C_minted), at most a.CapLeft when the
// account is capped (a lease's, client_rebate_cap), and moves its
// checkpoint, and its reference to a period, to now. It returns what the
// cap withheld, uloop, for the caller to add to the stream's Withheld.
func (k Keeper) settle(ctx context.Context, stream uint32, id uint64, st types.Stream, a *types.RewardAccount, now int64) (math.Int, error) {
	withheld := math.ZeroInt()
	if a.SincePeriod < st.Period {
		rec, err := k.Periods.Get(ctx, collections.Join(stream, a.SincePeriod))
		if err != nil {
			return withheld, err
		}
		// R at the last settlement, inside its (now closed) period.
		rSince := new(big.Int).Mul(rec.Rate.BigInt(), big.NewInt(a.Since-rec.Start))
		rSince.Add(rSince, rec.Cumulative.BigInt())
		earned := new(big.Int).Mul(a.Pending.BigInt(), rec.Rate.BigInt())
		dr := new(big.Int).Sub(st.Cumulative.BigInt(), rSince)
		earned.Add(earned, dr.Mul(dr, a.Weight.BigInt()))
		earned.Quo(earned, rateScale)
		paid := math.NewIntFromBigInt(earned)
		if a.Capped {
			paid, withheld = capPay(paid, &a.CapLeft)
		}
		if err := k.pay(ctx, id, a.Owner, paid, withheld); err != nil {
			return withheld, err
		}
		a.Pending = a.Weight.MulRaw(now - st.PeriodStart)
		// The account leaves its old period for the open one; the old
		// one may now be unreferenced (and, for the miners, deleted).
		if err := k.ref(ctx, stream, st.Period); err != nil {
			return withheld, err
		}
		if err := k.unref(ctx, stream, st, a.SincePeriod); err != nil {
			return withheld, err
		}
	} else {
		a.Pending = a.Pending.Add(a.Weight.MulRaw(now - a.Since))
	}
	a.Since, a.SincePeriod = now, st.Period
	return withheld, nil
}

// capPay splits earned (uloop) into what a capped account is paid, at most
// *left, and what is withheld; *left drops by what is paid.
func capPay(earned math.Int, left *math.Int) (paid, withheld math.Int) {
	if left.IsNil() || left.IsNegative() {
		*left = math.ZeroInt()
	}
	paid = math.MinInt(earned, *left)
	*left = left.Sub(paid)
	return paid, earned.Sub(paid)
}

// pay credits paid uloop to the bech32 owner of account id and, when the
// cap withheld some, emits EventLeaseRewardCapped.
func (k Keeper) pay(ctx context.Context, id uint64, owner string, paid, withheld math.Int) error {
	addr, err := k.accountKeeper.AddressCodec().StringToBytes(owner)
	if err != nil {
		return err
	}
	if err := k.credit(ctx, addr, paid); err != nil {
		return err
	}
	if !withheld.IsPositive() {
		return nil
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventLeaseRewardCapped{
		LeaseId: id, Client: owner, Paid: paid.String(), Withheld: withheld.String()})
}

// ref counts one more account of stream last settled in period p.
func (k Keeper) ref(ctx context.Context, stream uint32, p uint64) error {
	key := collections.Join(stream, p)
	n, err := k.PeriodRefs.Get(ctx, key)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return err
	}
	return k.PeriodRefs.Set(ctx, key, n+1)
}

// unref counts one account fewer in period p of stream. A closed period of
// the miners' stream that no account refers to any more is deleted: only
// settle reads it, for an account last settled in it, and accounts only
// ever move on to the open period. (A clients' period is also read for
// lease starts, see pruneClientPeriods.)
func (k Keeper) unref(ctx context.Context, stream uint32, st types.Stream, p uint64) error {
	key := collections.Join(stream, p)
	n, err := k.PeriodRefs.Get(ctx, key)
	if err != nil {
		return fmt.Errorf("period %d of stream %d: reference count: %w", p, stream, err)
	}
	if n > 1 {
		return k.PeriodRefs.Set(ctx, key, n-1)
	}
	if err := k.PeriodRefs.Remove(ctx, key); err != nil {
		return err
	}
	if stream == types.StreamMiners && p < st.Period {
		return k.prunePeriod(ctx, stream, p)
	}
	return nil
}

// referenced reports whether an account of stream was last settled in p.
func (k Keeper) referenced(ctx context.Context, stream uint32, p uint64) (bool, error) {
	return k.PeriodRefs.Has(ctx, collections.Join(stream, p))
}

// prunePeriod deletes closed period p of stream, if still there.
func (k Keeper) prunePeriod(ctx context.Context, stream uint32, p uint64) error {
	key := collections.Join(stream, p)
	if has, err := k.Periods.Has(ctx, key); err != nil || !has {
		return err
	}
	if err := k.Periods.Remove(ctx, key); err != nil {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventPeriodPruned{Stream: stream, Period: p})
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
		if err := k.ref(ctx, stream, st.Period); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		withheld, err := k.settle(ctx, stream, id, st, &a, now)
		if err != nil {
			return err
		}
		st.Withheld = st.Withheld.Add(withheld)
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
// paid in total at most (⌈rate·∫W dt/10³⁰⌉ ≤ pot; the rest of pot is the
// caller's sink) and what the rebate cap withheld since the previous
// close (the stream's Withheld, which it resets).
func (k Keeper) closePeriod(ctx context.Context, stream uint32, pot math.Int) (allotted, withheld math.Int, err error) {
	now := sdk.UnwrapSDKContext(ctx).BlockTime().Unix()
	st, err := k.getStream(ctx, stream)
	if err != nil {
		return math.Int{}, math.Int{}, err
	}
	advance(&st, now)
	if stream == types.StreamClients {
		// The clients' weight-seconds are the pools' leased GPU-seconds of
		// the period (x/pools' epoch hook ran first: every pool is
		// accounted to now). The first period began an epoch ago.
		if st.Period == 0 && st.PeriodStart == now {
			secs, err := k.epochSeconds(ctx)
			if err != nil {
				return math.Int{}, math.Int{}, err
			}
			st.PeriodStart = now - secs
		}
		total, err := k.poolsKeeper.LeasedSeconds(ctx)
		if err != nil {
			return math.Int{}, math.Int{}, err
		}
		st.Accumulated, st.Base = total.Sub(st.Base), total
	}
	rate := new(big.Int)
	all := new(big.Int)
	if st.Accumulated.IsPositive() && pot.IsPositive() {
		rate.Mul(pot.BigInt(), rateScale).Quo(rate, st.Accumulated.BigInt())
		// Rounded up: each account's credit rounds down its own sum over
		// periods, which may exceed the sum of the periods' rounded-down
		// shares; rounding this up keeps the sink (pot − allotted) from
		// ever counting uloop an account can still collect. It stays ≤
		// pot, as rate is rounded down.
		all.Mul(rate, st.Accumulated.BigInt())
		all.Add(all, new(big.Int).Sub(rateScale, big.NewInt(1))).Quo(all, rateScale)
	}
	closed := st.Period
	if err := k.Periods.Set(ctx, collections.Join(stream, closed), types.Period{
		Start: st.PeriodStart, Rate: math.NewIntFromBigInt(rate), Cumulative: st.Cumulative}); err != nil {
		return math.Int{}, math.Int{}, err
	}
	r := new(big.Int).Mul(rate, big.NewInt(now-st.PeriodStart))
	st.Cumulative = st.Cumulative.Add(math.NewIntFromBigInt(r))
	st.Period++
	st.PeriodStart = now
	st.Accumulated = math.ZeroInt()
	withheld, st.Withheld = st.Withheld, math.ZeroInt()
	// Accounts that ended in the closed period: pay and remove them.
	it, err := k.Ended.Iterate(ctx, collections.NewSuperPrefixedTripleRange[uint32, uint64, uint64](stream, closed))
	if err != nil {
		return math.Int{}, math.Int{}, err
	}
	ended, err := it.Keys()
	if err != nil {
		return math.Int{}, math.Int{}, err
	}
	for _, key := range ended {
		id := key.K3()
		a, err := k.RewardAccounts.Get(ctx, collections.Join(stream, id))
		if err != nil {
			return math.Int{}, math.Int{}, err
		}
		w, err := k.settle(ctx, stream, id, st, &a, now)
		if err != nil {
			return math.Int{}, math.Int{}, err
		}
		withheld = withheld.Add(w)
		if err := k.RewardAccounts.Remove(ctx, collections.Join(stream, id)); err != nil {
			return math.Int{}, math.Int{}, err
		}
		if err := k.Ended.Remove(ctx, key); err != nil {
			return math.Int{}, math.Int{}, err
		}
		if err := k.unref(ctx, stream, st, st.Period); err != nil {
			return math.Int{}, math.Int{}, err
		}
	}
	// A miners' period no account was settled in is never read: drop it
	// at once (the clients' are also read for lease starts).
	if stream == types.StreamMiners {
		if used, err := k.referenced(ctx, stream, closed); err != nil {
			return math.Int{}, math.Int{}, err
		} else if !used {
			if err := k.prunePeriod(ctx, stream, closed); err != nil {
				return math.Int{}, math.Int{}, err
			}
		}
	}
	if err := k.Streams.Set(ctx, stream, st); err != nil {
		return math.Int{}, math.Int{}, err
	}
	return math.NewIntFromBigInt(all), withheld, nil
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
// t is found by binary search over the starts of the periods still kept.
// Pruning keeps every clients' period a lease that can still end may have
// started in (pruneClientPeriods); should t ever precede the oldest kept
// period, R is taken at that period's start, which pays less, never more.
func (k Keeper) rAt(ctx context.Context, stream uint32, st types.Stream, t int64) (*big.Int, error) {
	lo, found, err := k.firstPeriod(ctx, stream)
	if err != nil {
		return nil, err
	}
	if !found {
		sdk.UnwrapSDKContext(ctx).Logger().Error("x/rewards: no period kept for a lease start", "stream", stream, "t", t)
		return new(big.Int).Set(st.Cumulative.BigInt()), nil
	}
	hi := st.Period - 1 // t lies in a closed period: [lo, Period)
	for lo < hi {
		mid := lo + (hi-lo+1)/2
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
	if lo > 0 && t < p.Start {
		sdk.UnwrapSDKContext(ctx).Logger().Error("x/rewards: a lease start precedes the periods kept", "stream", stream, "t", t, "first", lo)
	}
	r := new(big.Int).Mul(p.Rate.BigInt(), big.NewInt(max(t-p.Start, 0)))
	return r.Add(r, p.Cumulative.BigInt()), nil
}

// firstPeriod returns the oldest closed period of stream still kept.
func (k Keeper) firstPeriod(ctx context.Context, stream uint32) (uint64, bool, error) {
	it, err := k.Periods.Iterate(ctx, collections.NewPrefixedPairRange[uint32, uint64](stream))
	if err != nil {
		return 0, false, err
	}
	defer it.Close()
	if !it.Valid() {
		return 0, false, nil
	}
	key, err := it.Key()
	if err != nil {
		return 0, false, err
	}
	return key.K2(), true, nil
}

// leaseCap is what lease l may earn in all from the clients' share:
// ⌊client_rebate_cap × the exchange fees it burned⌋ uloop.
func leaseCap(params types.Params, l poolstypes.Lease) math.Int {
	if l.Fees.IsNil() || !l.Fees.IsPositive() || params.ClientRebateCap.IsNil() {
		return math.ZeroInt()
	}
	return params.ClientRebateCap.MulInt(l.Fees).TruncateInt()
}

// PayLease pays the client for its lease's GPU-seconds, in all at most
// leaseCap (client_rebate_cap × the fees the lease burned): those in
// closed periods at once, through R (the lease has weight 1), those of the
// open period when it closes (an ended account with them as pending and
// what is left of the cap as cap_left). What the cap withholds joins the
// stream's Withheld, then the epoch record's. It also moves the clients'
// lease cursor (passLease). Purchases write nothing here: the periods'
// totals come from x/pools.
func (k Keeper) PayLease(ctx context.Context, l poolstypes.Lease) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	st, err := k.getStream(ctx, types.StreamClients)
	if err != nil {
		return err
	}
	start, end := l.Start.Unix(), l.End.Unix()
	if err := k.passLease(ctx, &st, l.Id, start, types.LeaseCursorStep); err != nil {
		return err
	}
	if end > start {
		if err := k.payLease(ctx, &st, l, leaseCap(params, l), start, end); err != nil {
			return err
		}
	}
	return k.Streams.Set(ctx, types.StreamClients, st)
}

func (k Keeper) payLease(ctx context.Context, st *types.Stream, l poolstypes.Lease, capLeft math.Int, start, end int64) error {
	if st.Period > 0 && start < st.PeriodStart {
		rStart, err := k.rAt(ctx, types.StreamClients, *st, start)
		if err != nil {
			return err
		}
		earned := new(big.Int).Sub(st.Cumulative.BigInt(), rStart)
		earned.Quo(earned, rateScale)
		paid, withheld := capPay(math.NewIntFromBigInt(earned), &capLeft)
		if err := k.pay(ctx, l.Id, l.Client, paid, withheld); err != nil {
			return err
		}
		st.Withheld = st.Withheld.Add(withheld)
	}
	open := end - max(start, st.PeriodStart)
	if st.Period == 0 && st.PeriodStart == 0 {
		open = end - start // no period closed yet: all of it is in the open one
	}
	if open <= 0 {
		return nil
	}
	a := types.RewardAccount{Owner: l.Client, Weight: math.ZeroInt(), Since: end, SincePeriod: st.Period,
		Pending: math.NewInt(open), Ended: true, Capped: true, CapLeft: capLeft}
	if err := k.RewardAccounts.Set(ctx, collections.Join(types.StreamClients, l.Id), a); err != nil {
		return err
	}
	if err := k.ref(ctx, types.StreamClients, st.Period); err != nil {
		return err
	}
	return k.Ended.Set(ctx, collections.Join3(types.StreamClients, st.Period, l.Id))
}

// passLease records that lease id, started at start (unix seconds), has
// ended and been paid, and moves the clients' lease cursor: past id if it
// is the cursor, then past at most steps more ended leases. Lease ids
// count up from 1 with no gap and their starts never decrease (x/pools
// numbers a purchase with the block time), so every lease that can still
// end has an id ≥ the cursor and started at or after the watermark, the
// start of the last lease passed.
func (k Keeper) passLease(ctx context.Context, st *types.Stream, id uint64, start int64, steps int) error {
	next := max(st.LeaseCursor, 1)
	switch {
	case id < next:
		return nil // passed already
	case id > next:
		return k.EndedLeases.Set(ctx, id, start)
	}
	st.LeaseCursor, st.LeaseWatermark = next+1, start
	return k.advanceLeaseCursor(ctx, st, steps)
}

// advanceLeaseCursor moves the clients' lease cursor past at most n ended
// leases in EndedLeases, deleting them.
func (k Keeper) advanceLeaseCursor(ctx context.Context, st *types.Stream, n int) error {
	for range n {
		next := max(st.LeaseCursor, 1)
		start, err := k.EndedLeases.Get(ctx, next)
		if errors.Is(err, collections.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		if err := k.EndedLeases.Remove(ctx, next); err != nil {
			return err
		}
		st.LeaseCursor, st.LeaseWatermark = next+1, start
	}
	return nil
}
