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

// Position returns a device's position. Errors: ErrPositionNotFound.
func (k Keeper) Position(ctx context.Context, deviceID uint64) (types.Position, error) {
	p, err := k.Positions.Get(ctx, deviceID)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Position{}, errorsmod.Wrapf(types.ErrPositionNotFound, "device %d", deviceID)
	}
	return p, err
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
	failed := dev.Failed
	owed, err := lp.EndCommitment(dev)
	if dev.Sold {
		owed = new(big.Int) // a sold device's income went to the LP positions
	}
	if err != nil {
		return err
	}
	if err := k.Positions.Remove(ctx, deviceID); err != nil {
		return err
	}
	if failed {
		// The end of a failed sold device's stream: it left Idle and the
		// committed count when it failed.
		return k.savePool(ctx, pool, lp)
	}
	if err := k.Idle.Remove(ctx, collections.Join3(pos.PoolId, dev.End, deviceID)); err != nil {
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
		DeviceId: deviceID, PoolId: pos.PoolId, Owner: pos.Owner, Payout: math.NewIntFromBigInt(owed), Clawback: math.ZeroInt(), Streamed: math.ZeroInt()})
}

// OpenPosition commits device's time until end to the active pool poolID
// as an LP position of owner (x/stake's MsgStakeLP): the time joins H and
// owner pays the matching uloop at the spot price (x/pools/README.md), at most
// maxIn. It returns the injection. Errors, changing nothing:
// ErrPoolNotFound, ErrPoolNotActive, ErrPoolBusy, ErrPositionExists,
// ErrInvalidAmount (end not in the future), ErrSlippage, and the bank's
// insufficient funds.
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
	params, err := k.Params.Get(ctx)
	if err != nil {
		return math.Int{}, err
	}
	lp, err := k.touchTrade(ctx, &pool, params)
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
	if err := k.Queue.Set(ctx, commitmentEndKey(poolID, dev.End, deviceID)); err != nil {
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
// ErrPoolNotActive, ErrPoolBusy, ErrInvalidAmount, ErrSlippage, insufficient
// funds.
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
	params, err := k.Params.Get(ctx)
	if err != nil {
		return math.Int{}, err
	}
	lp, err := k.touchTrade(ctx, &pool, params)
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
	if err := k.Queue.Remove(ctx, commitmentEndKey(pos.PoolId, oldEnd, deviceID)); err != nil {
		return math.Int{}, err
	}
	if err := k.Queue.Set(ctx, commitmentEndKey(pos.PoolId, dev.End, deviceID)); err != nil {
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
// path, x/pools/README.md, x/stake/README.md); since is when the device last
// passed a challenge (x/pocps LastPass; the zero time when it never did).
// Its unsold time leaves H with its share of L and a lease it serves is
// broken (pruned lease_retention later). LP device: the client is refunded
// the unreleased escrow and the revenue released to the device since since
// (the clawback: an offline device keeps nothing it did not serve); the
// owner gets the uloop of its unsold time and the rest of what the position
// earned. Sold device: both belong to the LP positions; the client's refund
// is left to the seller's collateral (x/stake). The failure is accounted at
// the block time, or at the pool's oldest unapplied queue entry when that is
// earlier (touchWith). start is the commitment's start (x/stake's
// certificate): an LP device's unsold time is returned at no more than its
// entry price, injected_uloop over the seconds committed since start, and
// what it would take above that stays in L for the positions that remain
// (the zero time: no cap). Errors: ErrPositionNotFound.
func (k Keeper) FailPosition(ctx context.Context, deviceID uint64, since, start time.Time) (types.FailResult, error) {
	res := types.FailResult{Payout: math.ZeroInt(), Refund: math.ZeroInt(), Clawback: math.ZeroInt(), CollateralRefund: math.ZeroInt(), PenaltyCap: math.ZeroInt()}
	pos, err := k.Position(ctx, deviceID)
	if err != nil {
		return res, err
	}
	if pos.FailureStream != nil {
		return res, errorsmod.Wrapf(types.ErrPositionNotFound, "device %d already failed", deviceID)
	}
	pool, err := k.getPool(ctx, pos.PoolId)
	if err != nil {
		return res, err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return res, err
	}
	lp, err := k.touchWith(ctx, &pool, params)
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
	dev.Start = -1 // unknown: no cap
	if !start.IsZero() {
		dev.Start = start.Unix()
	}
	f, err := lp.Fail(dev, vl, since.Unix())
	if err != nil {
		return res, err
	}
	res.Payout, res.Refund, res.Clawback = math.NewIntFromBigInt(f.Miner), math.NewIntFromBigInt(f.Client), math.NewIntFromBigInt(f.Clawback)
	res.CollateralRefund = math.NewIntFromBigInt(f.Collateral)
	if vl != nil {
		if err := k.Queue.Remove(ctx, leaseEndKey(pos.PoolId, leaseEnd, l.Id)); err != nil {
			return res, err
		}
		fromLease(&l, vl)
		l.Status, l.Refund = types.LEASE_STATUS_BROKEN, res.Refund.Add(res.CollateralRefund)
		res.Client = l.Client
		if err := k.Leases.Set(ctx, l.Id, l); err != nil {
			return res, err
		}
		if err := k.queuePrune(ctx, l, params); err != nil {
			return res, err
		}
		if err := k.pay(ctx, l.Client, f.Client); err != nil {
			return res, err
		}
		if err := k.leaseEnded(ctx, l); err != nil {
			return res, err
		}
		if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventLeaseClosed{
			LeaseId: l.Id, DeviceId: deviceID, Status: l.Status.String(), Refund: l.Refund, Clawback: res.Clawback}); err != nil {
			return res, err
		}
	} else if err := k.Idle.Remove(ctx, collections.Join3(pos.PoolId, oldEnd, deviceID)); err != nil {
		return res, err
	}
	if dev.Failed {
		// A sold device stays until its end, streaming what its failure
		// left to the LP positions; its commitment end is the stream's.
		res.PenaltyCap = math.NewIntFromBigInt(f.TimeValue)
		fromDevice(&pos, dev)
		if err := k.Positions.Set(ctx, deviceID, pos); err != nil {
			return res, err
		}
	} else {
		if err := k.Queue.Remove(ctx, commitmentEndKey(pos.PoolId, oldEnd, deviceID)); err != nil {
			return res, err
		}
		if err := k.Positions.Remove(ctx, deviceID); err != nil {
			return res, err
		}
	}
	pool.CommittedDevices--
	if err := k.savePool(ctx, pool, lp); err != nil {
		return res, err
	}
	if err := k.pay(ctx, pos.Owner, f.Miner); err != nil {
		return res, err
	}
	return res, sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventPositionSettled{
		DeviceId: deviceID, PoolId: pos.PoolId, Owner: pos.Owner, Payout: res.Payout, Failed: true, Clawback: res.Clawback,
		Streamed: math.NewIntFromBigInt(f.Streamed)})
}

// FundStream adds amount uloop, which the caller has already sent to the
// x/pools module account (x/stake: the failed seller's penalty, at most
// FailResult.PenaltyCap), to failed sold device deviceID's stream: the LP
// positions receive it over the rest of its commitment, as they hold their
// unsold time (docs/pools.md "Sold-time income"). Errors:
// ErrPositionNotFound when the device has no failure stream, ErrInvalidAmount
// when the stream has ended or amount is negative.
func (k Keeper) FundStream(ctx context.Context, deviceID uint64, amount math.Int) error {
	pos, err := k.Position(ctx, deviceID)
	if err != nil {
		return err
	}
	if pos.FailureStream == nil {
		return errorsmod.Wrapf(types.ErrPositionNotFound, "device %d has no failure stream", deviceID)
	}
	if !amount.IsPositive() {
		return nil
	}
	pool, err := k.getPool(ctx, pos.PoolId)
	if err != nil {
		return err
	}
	lp, err := k.touch(ctx, &pool)
	if err != nil {
		return err
	}
	dev := toDevice(pos)
	if err := lp.FundStream(dev, amount.BigInt()); err != nil {
		return ledgerErr(err)
	}
	fromDevice(&pos, dev)
	if err := k.Positions.Set(ctx, deviceID, pos); err != nil {
		return err
	}
	if err := k.savePool(ctx, pool, lp); err != nil {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventStreamFunded{
		DeviceId: deviceID, PoolId: pos.PoolId, Amount: amount, End: pos.End})
}

// OpenSale sells device's time until end into the active pool poolID
// (x/stake's MsgSellCompute, x/pools/README.md "Sale"): the time joins H as
// pool-owned, seller receives the constant-product quote less the fee
// (burned), at least minOut. It returns what the seller received. Errors,
// changing nothing: ErrPoolNotFound, ErrPoolNotActive, ErrPoolBusy,
// ErrPositionExists, ErrInvalidAmount, ErrInsufficientLiquidity (no LP
// position to own the time), ErrSlippage.
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
	params, err := k.Params.Get(ctx)
	if err != nil {
		return math.Int{}, err
	}
	lp, err := k.touchTrade(ctx, &pool, params)
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
	if err := k.Queue.Set(ctx, commitmentEndKey(poolID, dev.End, deviceID)); err != nil {
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
