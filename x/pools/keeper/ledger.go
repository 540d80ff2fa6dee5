package keeper

import (
	"context"
	"errors"
	"math/big"
	"time"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/loopin-project/loopin/x/pools/ledger"
	"github.com/loopin-project/loopin/x/pools/types"
)

// The ledger bridge drives the rules of package ledger from the store: each pool's
// scalars live in its Pool, each device's in its Position, each lease's in
// its Lease; lease ends and commitment ends wait in Queue, keyed by time,
// and BeginBlock applies the due ones in time order. Between two entries of
// the queue nothing ends, so ledger.Pool.Dissipate is exact there, and every
// operation touches only the records it names (I6).

// decScale is 10^18, LegacyDec's fixed-point scale.
var decScale = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)

// loadLedger returns the ledger view of pool with the exchange fee of
// params: the fee as a fraction of 10^18. Its reference price is 0: only an
// empty pool reads it, and touchWith sets it there from the pool's class.
func loadLedger(pool types.Pool, params types.Params) *ledger.Pool {
	lp := ledger.NewPool(pool.AccountedAt.Unix(), params.ExchangeFee.BigInt().Int64(), decScale.Int64(), new(big.Rat))
	lp.H = pool.UnsoldSeconds.Int64()
	lp.L = pool.ReserveUloop.BigInt()
	lp.Pi = pool.PriceTimeIndex.BigInt()
	lp.Idle = int64(pool.IdleDevices)
	lp.Escrow = pool.EscrowUloop.BigInt()
	lp.HSold = intPtrOr0(pool.PoolOwnedSeconds).Int64()
	lp.IdleSold = int64(pool.IdleSoldDevices)
	lp.J, lp.K, lp.Orphaned = intPtrOr0(pool.SoldIncomeIndex), intPtrOr0(pool.SoldIncomeTimeIndex), intPtrOr0(pool.OrphanedUloop)
	lp.Stream, lp.Carry, lp.SoldEscrow = intPtrOr0(pool.SoldStreamRate), intPtrOr0(pool.StreamCarry), intPtrOr0(pool.SoldEscrowUloop)
	return lp
}

// intOr0 reads an Int field that state written before it existed lacks.
func intOr0(v math.Int) math.Int {
	if v.IsNil() {
		return math.ZeroInt()
	}
	return v
}

// intPtrOr0 reads an optional Int field (nil: zero) as a new big.Int.
func intPtrOr0(v *math.Int) *big.Int {
	if v == nil || v.IsNil() {
		return new(big.Int)
	}
	return v.BigInt()
}

// intPtrOrNil writes an optional Int field: nil when v is zero.
func intPtrOrNil(v *big.Int) *math.Int {
	if v.Sign() == 0 {
		return nil
	}
	i := math.NewIntFromBigInt(v)
	return &i
}

// storeLedger copies the ledger scalars back into pool.
func storeLedger(pool *types.Pool, lp *ledger.Pool) {
	pool.UnsoldSeconds = math.NewInt(lp.H)
	pool.ReserveUloop = math.NewIntFromBigInt(lp.L)
	pool.PriceTimeIndex = math.NewIntFromBigInt(lp.Pi)
	pool.IdleDevices = uint64(lp.Idle)
	pool.EscrowUloop = math.NewIntFromBigInt(lp.Escrow)
	pool.AccountedAt = time.Unix(lp.Now, 0).UTC()
	pool.PoolOwnedSeconds = intPtrOrNil(big.NewInt(lp.HSold))
	pool.IdleSoldDevices = uint64(lp.IdleSold)
	pool.SoldIncomeIndex, pool.SoldIncomeTimeIndex, pool.OrphanedUloop = intPtrOrNil(lp.J), intPtrOrNil(lp.K), intPtrOrNil(lp.Orphaned)
	pool.SoldStreamRate, pool.StreamCarry, pool.SoldEscrowUloop = intPtrOrNil(lp.Stream), intPtrOrNil(lp.Carry), intPtrOrNil(lp.SoldEscrow)
}

func toDevice(p types.Position) *ledger.Device {
	d := &ledger.Device{ID: p.DeviceId, End: p.End.Unix(), Sold: p.Sold, Lease: p.LeaseId, Checkpoint: p.PriceTimeCheckpoint.BigInt(),
		SharedJ: intPtrOr0(p.SoldIncomeIndexCheckpoint), SharedK: intPtrOr0(p.SoldIncomeTimeIndexCheckpoint), Owed: p.OwedUloop.BigInt(),
		Injected: intOr0(p.InjectedUloop).BigInt()}
	if s := p.FailureStream; s != nil {
		d.Failed, d.StreamRate, d.StreamLeft, d.StreamAt = true, s.Rate.BigInt(), s.Left.BigInt(), s.At.Unix()
	}
	return d
}

func fromDevice(p *types.Position, d *ledger.Device) {
	p.End = time.Unix(d.End, 0).UTC()
	p.Sold = d.Sold
	p.LeaseId = d.Lease
	p.PriceTimeCheckpoint = math.NewIntFromBigInt(d.Checkpoint)
	p.SoldIncomeIndexCheckpoint, p.SoldIncomeTimeIndexCheckpoint = intPtrOrNil(d.SharedJ), intPtrOrNil(d.SharedK)
	p.OwedUloop = math.NewIntFromBigInt(d.Owed)
	p.FailureStream = nil
	if d.Failed {
		p.FailureStream = &types.FailureStream{Rate: math.NewIntFromBigInt(d.StreamRate), Left: math.NewIntFromBigInt(d.StreamLeft), At: timeUnix(d.StreamAt)}
	}
}

func toLease(l types.Lease) *ledger.Lease {
	v := &ledger.Lease{ID: l.Id, Device: l.DeviceId, Start: l.Start.Unix(), End: l.End.Unix(), Price: l.Price.BigInt(),
		Released: l.Released.BigInt(), ReleasedAt: l.ReleasedAt.Unix(), Ended: l.Status != types.LEASE_STATUS_ACTIVE}
	if l.ReleaseRate != nil && !l.ReleaseRate.IsNil() {
		v.Rate = l.ReleaseRate.BigInt()
	}
	return v
}

func fromLease(l *types.Lease, v *ledger.Lease) {
	l.End = time.Unix(v.End, 0).UTC()
	l.Price = math.NewIntFromBigInt(v.Price)
	l.Released = math.NewIntFromBigInt(v.Released)
	l.ReleasedAt = time.Unix(v.ReleasedAt, 0).UTC()
	l.ReleaseRate = nil
	if v.Rate != nil && v.Rate.Sign() > 0 {
		r := math.NewIntFromBigInt(v.Rate)
		l.ReleaseRate = &r
	}
}

// ledgerErr maps a ledger error to the registered error a user sees.
func ledgerErr(err error) error {
	switch {
	case errors.Is(err, ledger.ErrPoolTooShallow):
		return errorsmod.Wrap(types.ErrInsufficientLiquidity, err.Error())
	case errors.Is(err, ledger.ErrNotCovered):
		return errorsmod.Wrap(types.ErrNotCovered, err.Error())
	case errors.Is(err, ledger.ErrLeaseEnded):
		return types.ErrLeaseEnded
	case errors.Is(err, ledger.ErrBadAmount):
		return errorsmod.Wrap(types.ErrInvalidAmount, err.Error())
	}
	return err
}

// touch returns pool's ledger accounted as far as it may be (touchWith).
func (k Keeper) touch(ctx context.Context, pool *types.Pool) (*ledger.Pool, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	return k.touchWith(ctx, pool, params)
}

// touchWith returns pool's ledger accounted up to the block time, or only
// up to the pool's oldest queue entry when that is earlier: an end not
// applied yet (a backlog BeginBlock carries to the next block, or a caller
// that runs before x/pools' BeginBlock, as x/pocps' deadline processing
// does), which must be applied before the pool's time passes it (ledger time
// never goes backwards). It is for what may happen as of that time: a
// failure, an epoch end, a query. Nothing ends in between, so the
// dissipation is exact. One queue seek.
func (k Keeper) touchWith(ctx context.Context, pool *types.Pool, params types.Params) (*ledger.Pool, error) {
	to := sdk.UnwrapSDKContext(ctx).BlockTime().Unix()
	first, found, err := k.firstQueued(ctx, pool.Id)
	if err != nil {
		return nil, err
	}
	if found && first < to {
		to = first
	}
	return k.touchTo(ctx, pool, params, to)
}

// touchTrade returns pool's ledger accounted up to the block time, for a
// trade or a stake, which happens at the block time; it refuses with
// ErrPoolBusy while the pool's queue_backlog is set. Trades run in
// transactions, after BeginBlock has applied the pool's due ends or set the
// flag, so they read no queue entry.
func (k Keeper) touchTrade(ctx context.Context, pool *types.Pool, params types.Params) (*ledger.Pool, error) {
	if pool.QueueBacklog {
		return nil, errorsmod.Wrapf(types.ErrPoolBusy, "pool %s still has lease and commitment ends due by now to apply (at most %d per block); retry in a later block",
			pool.GpuClass, types.MaxQueueBatch)
	}
	return k.touchTo(ctx, pool, params, sdk.UnwrapSDKContext(ctx).BlockTime().Unix())
}

// touchTo accounts pool up to t (never back). An empty pool (H = 0) also
// gets its class's reference price, the only rule that reads it (the first
// stake and the spot price of an empty pool), so a trade on a pool with
// unsold time reads no class record.
func (k Keeper) touchTo(ctx context.Context, pool *types.Pool, params types.Params, t int64) (*ledger.Pool, error) {
	lp := loadLedger(*pool, params)
	if err := advance(pool, lp, max(lp.Now, t)); err != nil {
		return nil, err
	}
	if lp.H == 0 {
		class, err := k.GPUClass(ctx, pool.Id)
		if err != nil {
			return nil, err
		}
		lp.RefPrice.SetFrac(class.ReferencePrice.BigInt(), decScale)
	}
	return lp, nil
}

// firstQueued returns the time of poolID's oldest queue entry (found false
// when it has none).
func (k Keeper) firstQueued(ctx context.Context, poolID uint64) (int64, bool, error) {
	it, err := k.Queue.Iterate(ctx, collections.NewPrefixedTripleRange[uint64, int64, uint64](poolID))
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

// leaseEndKey and commitmentEndKey are the Queue keys of a lease's end and
// a device's commitment end in pool poolID at unix time at.
func leaseEndKey(poolID uint64, at int64, leaseID uint64) collections.Triple[uint64, int64, uint64] {
	return collections.Join3(poolID, at, types.QueueEntry(types.QueueLeaseEnd, leaseID))
}

func commitmentEndKey(poolID uint64, at int64, deviceID uint64) collections.Triple[uint64, int64, uint64] {
	return collections.Join3(poolID, at, types.QueueEntry(types.QueueCommitmentEnd, deviceID))
}

// advance accounts pool up to t with nothing ending in between: the leased
// devices' seconds join pool.leased_seconds, then lp dissipates.
func advance(pool *types.Pool, lp *ledger.Pool, t int64) error {
	if leased := int64(pool.CommittedDevices) - lp.Idle - lp.IdleSold; leased > 0 && t > lp.Now {
		pool.LeasedSeconds = intOr0(pool.LeasedSeconds).Add(math.NewInt(leased * (t - lp.Now)))
	}
	_, err := lp.Dissipate(t)
	return err
}

func (k Keeper) savePool(ctx context.Context, pool types.Pool, lp *ledger.Pool) error {
	storeLedger(&pool, lp)
	return k.setPool(ctx, pool)
}

func timeUnix(s int64) time.Time { return time.Unix(s, 0).UTC() }
