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
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	chaintypes "github.com/loopin-project/loopin/types"
	"github.com/loopin-project/loopin/x/pools/ledger"
	"github.com/loopin-project/loopin/x/pools/types"
)

// This file drives the rules of package ledger from the store: each pool's
// scalars live in its Pool, each device's in its Position, each lease's in
// its Lease; lease ends and commitment ends wait in Queue, keyed by time,
// and BeginBlock applies the due ones in time order. Between two entries of
// the queue nothing ends, so ledger.Pool.Dissipate is exact there, and every
// operation touches only the records it names (I6).

// decScale is 10^18, LegacyDec's fixed-point scale.
var decScale = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)

// loadLedger returns the ledger view of pool with the exchange fee of
// params: the fee as a fraction of 10^18. Its reference price is 0: only an
// empty pool reads it, and touch loads it there (loadRefPrice).
func loadLedger(pool types.Pool, params types.Params) *ledger.Pool {
	lp := ledger.NewPool(pool.AccountedAt.Unix(), params.ExchangeFee.BigInt().Int64(), decScale.Int64(), new(big.Rat))
	lp.H = pool.UnsoldSeconds.Int64()
	lp.L = pool.ReserveUloop.BigInt()
	lp.Pi = pool.PriceTimeIndex.BigInt()
	lp.Idle = int64(pool.IdleDevices)
	lp.Escrow = pool.EscrowUloop.BigInt()
	lp.HSold = intOr0(pool.PoolOwnedSeconds).Int64()
	lp.IdleSold = int64(pool.IdleSoldDevices)
	lp.J, lp.K, lp.Orphaned = intOr0(pool.SoldIncomeIndex).BigInt(), intOr0(pool.SoldIncomeTimeIndex).BigInt(), intOr0(pool.OrphanedUloop).BigInt()
	return lp
}

// intOr0 reads an Int field that state written before it existed lacks.
func intOr0(v math.Int) math.Int {
	if v.IsNil() {
		return math.ZeroInt()
	}
	return v
}

// storeLedger copies the ledger scalars back into pool.
func storeLedger(pool *types.Pool, lp *ledger.Pool) {
	pool.UnsoldSeconds = math.NewInt(lp.H)
	pool.ReserveUloop = math.NewIntFromBigInt(lp.L)
	pool.PriceTimeIndex = math.NewIntFromBigInt(lp.Pi)
	pool.IdleDevices = uint64(lp.Idle)
	pool.EscrowUloop = math.NewIntFromBigInt(lp.Escrow)
	pool.AccountedAt = time.Unix(lp.Now, 0).UTC()
	pool.PoolOwnedSeconds = math.NewInt(lp.HSold)
	pool.IdleSoldDevices = uint64(lp.IdleSold)
	pool.SoldIncomeIndex, pool.SoldIncomeTimeIndex, pool.OrphanedUloop = math.NewIntFromBigInt(lp.J), math.NewIntFromBigInt(lp.K), math.NewIntFromBigInt(lp.Orphaned)
}

func toDevice(p types.Position) *ledger.Device {
	return &ledger.Device{ID: p.DeviceId, End: p.End.Unix(), Sold: p.Sold, Lease: p.LeaseId, Checkpoint: p.PriceTimeCheckpoint.BigInt(),
		SharedJ: intOr0(p.SoldIncomeIndexCheckpoint).BigInt(), SharedK: intOr0(p.SoldIncomeTimeIndexCheckpoint).BigInt(), Owed: p.OwedUloop.BigInt()}
}

func fromDevice(p *types.Position, d *ledger.Device) {
	p.End = time.Unix(d.End, 0).UTC()
	p.Sold = d.Sold
	p.LeaseId = d.Lease
	p.PriceTimeCheckpoint = math.NewIntFromBigInt(d.Checkpoint)
	p.SoldIncomeIndexCheckpoint, p.SoldIncomeTimeIndexCheckpoint = math.NewIntFromBigInt(d.SharedJ), math.NewIntFromBigInt(d.SharedK)
	p.OwedUloop = math.NewIntFromBigInt(d.Owed)
}

func toLease(l types.Lease) *ledger.Lease {
	return &ledger.Lease{ID: l.Id, Device: l.DeviceId, Start: l.Start.Unix(), End: l.End.Unix(), Price: l.Price.BigInt(),
		Released: l.Released.BigInt(), ReleasedAt: l.ReleasedAt.Unix(), Ended: l.Status != types.LEASE_STATUS_ACTIVE}
}

func fromLease(l *types.Lease, v *ledger.Lease) {
	l.End = time.Unix(v.End, 0).UTC()
	l.Price = math.NewIntFromBigInt(v.Price)
	l.Released = math.NewIntFromBigInt(v.Released)
	l.ReleasedAt = time.Unix(v.ReleasedAt, 0).UTC()
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

// Position returns a device's position. Errors: ErrPositionNotFound.
func (k Keeper) Position(ctx context.Context, deviceID uint64) (types.Position, error) {
	p, err := k.Positions.Get(ctx, deviceID)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Position{}, errorsmod.Wrapf(types.ErrPositionNotFound, "device %d", deviceID)
	}
	return p, err
}

func (k Keeper) lease(ctx context.Context, id uint64) (types.Lease, error) {
	l, err := k.Leases.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Lease{}, errorsmod.Wrapf(types.ErrLeaseNotFound, "lease %d", id)
	}
	return l, err
}

// touch returns pool's ledger accounted up to the block time. BeginBlock
// has applied every queue entry due by then, so nothing ends in between.
func (k Keeper) touch(ctx context.Context, pool *types.Pool) (*ledger.Pool, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	return k.touchWith(ctx, pool, params)
}

// touchWith is touch with the params already read. An empty pool (H = 0)
// also gets its class's reference price, the only rule that reads it (the
// first stake and the spot price of an empty pool), so a trade on a pool
// with unsold time reads no class record.
func (k Keeper) touchWith(ctx context.Context, pool *types.Pool, params types.Params) (*ledger.Pool, error) {
	lp := loadLedger(*pool, params)
	if err := advance(pool, lp, max(lp.Now, sdk.UnwrapSDKContext(ctx).BlockTime().Unix())); err != nil {
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

func coins(amt *big.Int) sdk.Coins {
	return sdk.NewCoins(sdk.NewCoin(chaintypes.BondDenom, math.NewIntFromBigInt(amt)))
}

// pay sends amt uloop from the module account to addr (nothing when 0).
func (k Keeper) pay(ctx context.Context, addr string, amt *big.Int) error {
	if amt.Sign() <= 0 {
		return nil
	}
	to, err := k.accountKeeper.AddressCodec().StringToBytes(addr)
	if err != nil {
		return err
	}
	return k.bankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, to, coins(amt))
}

// moduleAddress is the pools module account's address.
var moduleAddress = authtypes.NewModuleAddress(types.ModuleName)

// collect moves amt uloop from addr into the module account. It sends to
// the module's address directly: the account exists from genesis, and
// skipping its lookup saves a store read on every trade.
func (k Keeper) collect(ctx context.Context, from sdk.AccAddress, amt *big.Int) error {
	if amt.Sign() <= 0 {
		return nil
	}
	return k.bankKeeper.SendCoins(ctx, from, moduleAddress, coins(amt))
}

// chargeFee books an exchange fee the module now holds into pool's
// pending burn (burned at the next epoch end, EpochEnd) and emits
// EventFeeCharged. Burning once per epoch instead of per trade keeps a trade
// to one bank transfer (docs/pools.md, gas).
func chargeFee(ctx context.Context, pool *types.Pool, fee *big.Int, reason string) error {
	if fee.Sign() <= 0 {
		return nil
	}
	amt := math.NewIntFromBigInt(fee)
	pool.PendingBurnUloop = intOr0(pool.PendingBurnUloop).Add(amt)
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventFeeCharged{PoolId: pool.Id, Amount: amt, Reason: reason})
}

// ProcessQueue applies every lease end and commitment end due by now, in
// time order: the pool is dissipated up to the entry's own time, then the
// lease's device becomes idle, or the position is settled and paid to its
// owner. The work is one step per entry, whatever the number of devices.
func (k Keeper) ProcessQueue(ctx context.Context, now int64) error {
	rng := new(collections.Range[collections.Triple[int64, uint64, uint64]]).
		EndInclusive(collections.Join3(now, ^uint64(0), ^uint64(0)))
	keys, err := k.Queue.Iterate(ctx, rng)
	if err != nil {
		return err
	}
	due, err := keys.Keys()
	if err != nil {
		return err
	}
	for _, key := range due {
		if err := k.Queue.Remove(ctx, key); err != nil {
			return err
		}
		var err error
		if key.K2() == types.QueueLeaseEnd {
			err = k.endLease(ctx, key.K1(), key.K3())
		} else {
			err = k.endCommitment(ctx, key.K1(), key.K3())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (k Keeper) endLease(ctx context.Context, at int64, leaseID uint64) error {
	l, err := k.lease(ctx, leaseID)
	if err != nil {
		return err
	}
	pos, err := k.Position(ctx, l.DeviceId)
	if err != nil {
		return err
	}
	pool, err := k.getPool(ctx, l.PoolId)
	if err != nil {
		return err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	lp := loadLedger(pool, params)
	if err := advance(&pool, lp, at); err != nil {
		return err
	}
	dev, vl := toDevice(pos), toLease(l)
	if err := lp.EndLease(dev, vl); err != nil {
		return err
	}
	fromDevice(&pos, dev)
	fromLease(&l, vl)
	l.Status = types.LEASE_STATUS_ENDED
	if err := k.Leases.Set(ctx, l.Id, l); err != nil {
		return err
	}
	if err := k.Positions.Set(ctx, pos.DeviceId, pos); err != nil {
		return err
	}
	if err := k.Idle.Set(ctx, collections.Join3(pos.PoolId, dev.End, pos.DeviceId)); err != nil {
		return err
	}
	if err := k.savePool(ctx, pool, lp); err != nil {
		return err
	}
	if err := k.leaseEnded(ctx, l); err != nil {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventLeaseClosed{
		LeaseId: l.Id, DeviceId: l.DeviceId, Status: l.Status.String(), Refund: math.ZeroInt()})
}

func (k Keeper) endCommitment(ctx context.Context, at int64, deviceID uint64) error {
	pos, err := k.Position(ctx, deviceID)
	if err != nil {
		return err
	}
	pool, err := k.getPool(ctx, pos.PoolId)
	if err != nil {
		return err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	lp := loadLedger(pool, params)
	if err := advance(&pool, lp, at); err != nil {
		return err
	}
	dev := toDevice(pos)
	owed, err := lp.EndCommitment(dev)
	if dev.Sold {
		owed = new(big.Int) // a sold device's income went to the LP positions
	}
	if err != nil {
		return err
	}
	if err := k.Idle.Remove(ctx, collections.Join3(pos.PoolId, dev.End, deviceID)); err != nil {
		return err
	}
	if err := k.Positions.Remove(ctx, deviceID); err != nil {
		return err
	}
	pool.CommittedDevices--
	if err := k.savePool(ctx, pool, lp); err != nil {
		return err
	}
	if err := k.pay(ctx, pos.Owner, owed); err != nil {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventPositionSettled{
		DeviceId: deviceID, PoolId: pos.PoolId, Owner: pos.Owner, Payout: math.NewIntFromBigInt(owed)})
}

// OpenPosition commits device's time until end to the active pool poolID
// as an LP position of owner (x/stake's MsgStakeLP): the time joins H and
// owner pays the matching uloop at the spot price (PROTOCOL.md §2), at most
// maxIn. It returns the injection. Errors, changing nothing:
// ErrPoolNotFound, ErrPoolNotActive, ErrPositionExists, ErrInvalidAmount
// (end not in the future), ErrSlippage, and the bank's insufficient funds.
func (k Keeper) OpenPosition(ctx context.Context, poolID, deviceID uint64, owner sdk.AccAddress, end time.Time, maxIn math.Int) (math.Int, error) {
	pool, err := k.getPool(ctx, poolID)
	if err != nil {
		return math.Int{}, err
	}
	if pool.Status != types.POOL_STATUS_ACTIVE {
		return math.Int{}, errorsmod.Wrapf(types.ErrPoolNotActive, "pool %s is %s: it takes no new stakes", pool.GpuClass, pool.Status)
	}
	if has, err := k.Positions.Has(ctx, deviceID); err != nil {
		return math.Int{}, err
	} else if has {
		return math.Int{}, errorsmod.Wrapf(types.ErrPositionExists, "device %d", deviceID)
	}
	lp, err := k.touch(ctx, &pool)
	if err != nil {
		return math.Int{}, err
	}
	dev := &ledger.Device{ID: deviceID, End: end.Unix()}
	in, err := lp.StakeLP(dev)
	if err != nil {
		return math.Int{}, ledgerErr(err)
	}
	if maxIn.IsNil() || in.Cmp(maxIn.BigInt()) > 0 {
		return math.Int{}, errorsmod.Wrapf(types.ErrSlippage, "the stake needs %s uloop, more than the %s allowed", in, maxIn)
	}
	if err := k.collect(ctx, owner, in); err != nil {
		return math.Int{}, err
	}
	ownerStr, err := k.accountKeeper.AddressCodec().BytesToString(owner)
	if err != nil {
		return math.Int{}, err
	}
	pos := types.Position{DeviceId: deviceID, PoolId: poolID, Owner: ownerStr, InjectedUloop: math.NewIntFromBigInt(in)}
	fromDevice(&pos, dev)
	if err := k.Positions.Set(ctx, deviceID, pos); err != nil {
		return math.Int{}, err
	}
	if err := k.Idle.Set(ctx, collections.Join3(poolID, dev.End, deviceID)); err != nil {
		return math.Int{}, err
	}
	if err := k.Queue.Set(ctx, collections.Join3(dev.End, types.QueueCommitmentEnd, deviceID)); err != nil {
		return math.Int{}, err
	}
	pool.CommittedDevices++
	if err := k.savePool(ctx, pool, lp); err != nil {
		return math.Int{}, err
	}
	inject := math.NewIntFromBigInt(in)
	return inject, sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventPositionOpened{
		DeviceId: deviceID, PoolId: poolID, Owner: ownerStr, End: pos.End, Injected: inject})
}

// RenewPosition extends device's commitment to newEnd (x/stake's
// MsgRenewStake): the added time joins H and the owner pays the matching
// uloop at the spot price, at most maxIn (whitepaper §4.2.2). A retiring
// pool takes no renewals. Errors, changing nothing: ErrPositionNotFound,
// ErrPoolNotActive, ErrInvalidAmount, ErrSlippage, insufficient funds.
func (k Keeper) RenewPosition(ctx context.Context, deviceID uint64, newEnd time.Time, maxIn math.Int) (math.Int, error) {
	pos, err := k.Position(ctx, deviceID)
	if err != nil {
		return math.Int{}, err
	}
	pool, err := k.getPool(ctx, pos.PoolId)
	if err != nil {
		return math.Int{}, err
	}
	if pool.Status != types.POOL_STATUS_ACTIVE {
		return math.Int{}, errorsmod.Wrapf(types.ErrPoolNotActive, "pool %s is %s: it takes no renewals", pool.GpuClass, pool.Status)
	}
	lp, err := k.touch(ctx, &pool)
	if err != nil {
		return math.Int{}, err
	}
	dev := toDevice(pos)
	oldEnd := dev.End
	var vl *ledger.Lease
	if dev.Lease != 0 {
		l, err := k.lease(ctx, dev.Lease)
		if err != nil {
			return math.Int{}, err
		}
		vl = toLease(l)
	}
	in, err := lp.Renew(dev, vl, newEnd.Unix())
	if err != nil {
		return math.Int{}, ledgerErr(err)
	}
	if maxIn.IsNil() || in.Cmp(maxIn.BigInt()) > 0 {
		return math.Int{}, errorsmod.Wrapf(types.ErrSlippage, "the renewal needs %s uloop, more than the %s allowed", in, maxIn)
	}
	owner, err := k.accountKeeper.AddressCodec().StringToBytes(pos.Owner)
	if err != nil {
		return math.Int{}, err
	}
	if err := k.collect(ctx, owner, in); err != nil {
		return math.Int{}, err
	}
	if err := k.Queue.Remove(ctx, collections.Join3(oldEnd, types.QueueCommitmentEnd, deviceID)); err != nil {
		return math.Int{}, err
	}
	if err := k.Queue.Set(ctx, collections.Join3(dev.End, types.QueueCommitmentEnd, deviceID)); err != nil {
		return math.Int{}, err
	}
	if dev.Lease == 0 {
		if err := k.Idle.Remove(ctx, collections.Join3(pos.PoolId, oldEnd, deviceID)); err != nil {
			return math.Int{}, err
		}
		if err := k.Idle.Set(ctx, collections.Join3(pos.PoolId, dev.End, deviceID)); err != nil {
			return math.Int{}, err
		}
	}
	fromDevice(&pos, dev)
	pos.InjectedUloop = pos.InjectedUloop.Add(math.NewIntFromBigInt(in))
	if err := k.Positions.Set(ctx, deviceID, pos); err != nil {
		return math.Int{}, err
	}
	if err := k.savePool(ctx, pool, lp); err != nil {
		return math.Int{}, err
	}
	inject := math.NewIntFromBigInt(in)
	return inject, sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventPositionRenewed{
		DeviceId: deviceID, End: pos.End, Injected: inject})
}

// FailPosition removes a failed device from its pool (x/stake's failure
// path, PROTOCOL.md §2–3). Its unsold time leaves H with its share of L and
// a lease it serves is broken. LP device: the client is refunded the
// unreleased escrow and the owner gets the uloop of its unsold time and
// what the position earned. Sold device: both belong to the LP positions;
// the client's refund is left to the seller's collateral (x/stake). Errors:
// ErrPositionNotFound.
func (k Keeper) FailPosition(ctx context.Context, deviceID uint64) (types.FailResult, error) {
	res := types.FailResult{Payout: math.ZeroInt(), Refund: math.ZeroInt(), CollateralRefund: math.ZeroInt()}
	pos, err := k.Position(ctx, deviceID)
	if err != nil {
		return res, err
	}
	pool, err := k.getPool(ctx, pos.PoolId)
	if err != nil {
		return res, err
	}
	lp, err := k.touch(ctx, &pool)
	if err != nil {
		return res, err
	}
	dev := toDevice(pos)
	var l types.Lease
	var vl *ledger.Lease
	if dev.Lease != 0 {
		if l, err = k.lease(ctx, dev.Lease); err != nil {
			return res, err
		}
		vl = toLease(l)
	}
	oldEnd, leaseEnd := dev.End, l.End.Unix()
	miner, client, collateral, err := lp.Fail(dev, vl)
	if err != nil {
		return res, err
	}
	res.Payout, res.Refund, res.CollateralRefund = math.NewIntFromBigInt(miner), math.NewIntFromBigInt(client), math.NewIntFromBigInt(collateral)
	if vl != nil {
		if err := k.Queue.Remove(ctx, collections.Join3(leaseEnd, types.QueueLeaseEnd, l.Id)); err != nil {
			return res, err
		}
		fromLease(&l, vl)
		l.Status, l.Refund = types.LEASE_STATUS_BROKEN, res.Refund.Add(res.CollateralRefund)
		res.Client = l.Client
		if err := k.Leases.Set(ctx, l.Id, l); err != nil {
			return res, err
		}
		if err := k.pay(ctx, l.Client, client); err != nil {
			return res, err
		}
		if err := k.leaseEnded(ctx, l); err != nil {
			return res, err
		}
		if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventLeaseClosed{
			LeaseId: l.Id, DeviceId: deviceID, Status: l.Status.String(), Refund: l.Refund}); err != nil {
			return res, err
		}
	} else if err := k.Idle.Remove(ctx, collections.Join3(pos.PoolId, oldEnd, deviceID)); err != nil {
		return res, err
	}
	if err := k.Queue.Remove(ctx, collections.Join3(oldEnd, types.QueueCommitmentEnd, deviceID)); err != nil {
		return res, err
	}
	if err := k.Positions.Remove(ctx, deviceID); err != nil {
		return res, err
	}
	pool.CommittedDevices--
	if err := k.savePool(ctx, pool, lp); err != nil {
		return res, err
	}
	if err := k.pay(ctx, pos.Owner, miner); err != nil {
		return res, err
	}
	return res, sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventPositionSettled{
		DeviceId: deviceID, PoolId: pos.PoolId, Owner: pos.Owner, Payout: res.Payout, Failed: true})
}

// OpenSale sells device's time until end into the active pool poolID
// (x/stake's MsgSellCompute, PROTOCOL.md §2 "Sale"): the time joins H as
// pool-owned, seller receives the constant-product quote less the fee
// (burned), at least minOut. It returns what the seller received. Errors,
// changing nothing: ErrPoolNotFound, ErrPoolNotActive, ErrPositionExists,
// ErrInvalidAmount, ErrInsufficientLiquidity (no LP position to own the
// time), ErrSlippage.
func (k Keeper) OpenSale(ctx context.Context, poolID, deviceID uint64, seller sdk.AccAddress, end time.Time, minOut math.Int) (math.Int, error) {
	pool, err := k.getPool(ctx, poolID)
	if err != nil {
		return math.Int{}, err
	}
	if pool.Status != types.POOL_STATUS_ACTIVE {
		return math.Int{}, errorsmod.Wrapf(types.ErrPoolNotActive, "pool %s is %s: it takes no new sales", pool.GpuClass, pool.Status)
	}
	if has, err := k.Positions.Has(ctx, deviceID); err != nil {
		return math.Int{}, err
	} else if has {
		return math.Int{}, errorsmod.Wrapf(types.ErrPositionExists, "device %d", deviceID)
	}
	lp, err := k.touch(ctx, &pool)
	if err != nil {
		return math.Int{}, err
	}
	dev := &ledger.Device{ID: deviceID, End: end.Unix()}
	out, fee, err := lp.Sell(dev)
	if err != nil {
		return math.Int{}, ledgerErr(err)
	}
	got := new(big.Int).Sub(out, fee)
	if minOut.IsNil() || got.Cmp(minOut.BigInt()) < 0 {
		return math.Int{}, errorsmod.Wrapf(types.ErrSlippage, "the sale pays %s uloop (quote %s − fee %s), less than the %s asked", got, out, fee, minOut)
	}
	sellerStr, err := k.accountKeeper.AddressCodec().BytesToString(seller)
	if err != nil {
		return math.Int{}, err
	}
	pos := types.Position{DeviceId: deviceID, PoolId: poolID, Owner: sellerStr, InjectedUloop: math.ZeroInt()}
	fromDevice(&pos, dev)
	if err := k.Positions.Set(ctx, deviceID, pos); err != nil {
		return math.Int{}, err
	}
	if err := k.Idle.Set(ctx, collections.Join3(poolID, dev.End, deviceID)); err != nil {
		return math.Int{}, err
	}
	if err := k.Queue.Set(ctx, collections.Join3(dev.End, types.QueueCommitmentEnd, deviceID)); err != nil {
		return math.Int{}, err
	}
	pool.CommittedDevices++
	if err := chargeFee(ctx, &pool, fee, "sell"); err != nil {
		return math.Int{}, err
	}
	if err := k.savePool(ctx, pool, lp); err != nil {
		return math.Int{}, err
	}
	if err := k.pay(ctx, sellerStr, got); err != nil {
		return math.Int{}, err
	}
	proceeds := math.NewIntFromBigInt(got)
	return proceeds, sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventTimeSold{
		DeviceId: deviceID, PoolId: poolID, Seller: sellerStr, End: pos.End, Proceeds: proceeds})
}

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

// matchIdle returns the idle device of poolID with the longest remaining
// commitment and that commitment's end (unix seconds); found is false when
// no device is idle. One reverse seek in the Idle index.
func (k Keeper) matchIdle(ctx context.Context, poolID uint64) (deviceID uint64, end int64, found bool, err error) {
	it, err := k.Idle.Iterate(ctx, collections.NewPrefixedTripleRangeReversed[uint64, int64, uint64](poolID))
	if err != nil {
		return 0, 0, false, err
	}
	defer it.Close()
	if !it.Valid() {
		return 0, 0, false, nil
	}
	key, err := it.Key()
	if err != nil {
		return 0, 0, false, err
	}
	return key.K3(), key.K2(), true, nil
}

// EpochEnd accounts every pool up to the block time at an epoch end
// (x/epochs hook): due queue entries first, then per pool the burn of the
// exchange fees charged since the last epoch end (one BurnCoins for all),
// dissipation (O(1) per pool, price-neutral), a Π snapshot for TWAP windows,
// and the pruning of snapshots older than types.MaxTwapWindow.
func (k Keeper) EpochEnd(ctx context.Context) error {
	now := sdk.UnwrapSDKContext(ctx).BlockTime().Unix()
	if err := k.ProcessQueue(ctx, now); err != nil {
		return err
	}
	pools, err := k.Pools.Iterate(ctx, nil)
	if err != nil {
		return err
	}
	states, err := pools.Values()
	if err != nil {
		return err
	}
	burn := math.ZeroInt()
	for _, pool := range states {
		if pending := intOr0(pool.PendingBurnUloop); pending.IsPositive() {
			burn = burn.Add(pending)
			pool.PendingBurnUloop = math.ZeroInt()
			if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventFeeBurned{PoolId: pool.Id, Amount: pending}); err != nil {
				return err
			}
			if pool.Status == types.POOL_STATUS_RETIRED {
				if err := k.setPool(ctx, pool); err != nil {
					return err
				}
			}
		}
		if pool.Status == types.POOL_STATUS_RETIRED {
			continue
		}
		lp, err := k.touch(ctx, &pool)
		if err != nil {
			return err
		}
		removed := new(big.Int).Sub(pool.ReserveUloop.BigInt(), lp.L)
		if err := k.savePool(ctx, pool, lp); err != nil {
			return err
		}
		if err := k.Snapshots.Set(ctx, collections.Join(pool.Id, now), math.NewIntFromBigInt(lp.Pi)); err != nil {
			return err
		}
		if err := k.pruneSnapshots(ctx, pool.Id, now-int64(types.MaxTwapWindow/time.Second)); err != nil {
			return err
		}
		if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventDissipated{
			PoolId: pool.Id, UnsoldSeconds: math.NewInt(lp.H), ReserveUloop: math.NewIntFromBigInt(lp.L), SpotPrice: spotDec(lp),
			Removed: math.NewIntFromBigInt(removed)}); err != nil {
			return err
		}
	}
	if burn.IsPositive() {
		return k.bankKeeper.BurnCoins(ctx, types.ModuleName, sdk.NewCoins(sdk.NewCoin(chaintypes.BondDenom, burn)))
	}
	return nil
}

// pruneSnapshots deletes poolID's snapshots older than before, keeping the
// newest of them so a window of exactly MaxTwapWindow still has a start.
func (k Keeper) pruneSnapshots(ctx context.Context, poolID uint64, before int64) error {
	rng := collections.NewPrefixedPairRange[uint64, int64](poolID).EndExclusive(before)
	it, err := k.Snapshots.Iterate(ctx, rng)
	if err != nil {
		return err
	}
	old, err := it.Keys()
	if err != nil {
		return err
	}
	for i := 0; i+1 < len(old); i++ {
		if err := k.Snapshots.Remove(ctx, old[i]); err != nil {
			return err
		}
	}
	return nil
}

func timeUnix(s int64) time.Time { return time.Unix(s, 0).UTC() }
