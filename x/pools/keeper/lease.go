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

func (k Keeper) lease(ctx context.Context, id uint64) (types.Lease, error) {
	l, err := k.Leases.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Lease{}, errorsmod.Wrapf(types.ErrLeaseNotFound, "lease %d", id)
	}
	return l, err
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
	if err := k.queuePrune(ctx, l, params); err != nil {
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
		LeaseId: l.Id, DeviceId: l.DeviceId, Status: l.Status.String(), Refund: math.ZeroInt(), Clawback: math.ZeroInt()})
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

// match returns the idle device of poolID that a lease of h seconds bought
// at now gets, and its commitment end (unix seconds): among at most
// types.MatchScan idle devices whose commitments cover the lease, from the
// longest commitment down, the first whose last passed challenge is within
// window of now; when none is (or the keeper has no liveness reader, or
// only one device covers the lease), the one with the longest commitment.
// found is false when no idle device covers h. It reads at most MatchScan
// index keys and as many liveness records, whatever the number of devices.
func (k Keeper) match(ctx context.Context, poolID uint64, now, h int64, window time.Duration) (deviceID uint64, end int64, found bool, err error) {
	it, err := k.Idle.Iterate(ctx, collections.NewPrefixedTripleRangeReversed[uint64, int64, uint64](poolID))
	if err != nil {
		return 0, 0, false, err
	}
	defer it.Close()
	var first collections.Triple[uint64, int64, uint64]
	for n := 0; it.Valid() && n < types.MatchScan; it.Next() {
		key, err := it.Key()
		if err != nil {
			return 0, 0, false, err
		}
		if key.K2()-now < h {
			break // the index is in commitment order: no later device covers h
		}
		n++
		if n == 1 {
			first, found = key, true
			if k.liveness == nil {
				break
			}
			continue
		}
		if n == 2 { // there is a choice: is the longest commitment live?
			live, err := k.live(ctx, first.K3(), now, window)
			if err != nil {
				return 0, 0, false, err
			}
			if live {
				return first.K3(), first.K2(), true, nil
			}
		}
		live, err := k.live(ctx, key.K3(), now, window)
		if err != nil {
			return 0, 0, false, err
		}
		if live {
			return key.K3(), key.K2(), true, nil
		}
	}
	return first.K3(), first.K2(), found, nil
}

// pick returns the position of the idle device of pool that a lease of h
// seconds bought at now is on, with choice (MsgBuyLease's device_id and
// min_commitment_end), and its commitment end (unix seconds). With no
// device named it is match's device, refused (never replaced) when its
// commitment ends before choice.MinCommitmentEnd; with a device named it is
// that device or an error. The named path reads the device's position
// alone: no index walk, no liveness read. Errors: ErrNoIdleDevice,
// ErrDeviceNotInPool, ErrDeviceNotIdle, ErrNotCovered,
// ErrCommitmentEndsEarly.
func (k Keeper) pick(ctx context.Context, pool types.Pool, now, h int64, window time.Duration, choice types.DeviceChoice) (types.Position, int64, error) {
	lease := time.Duration(h) * time.Second
	if choice.DeviceID == 0 {
		deviceID, end, found, err := k.match(ctx, pool.Id, now, h, window)
		if err != nil {
			return types.Position{}, 0, err
		}
		if !found {
			return types.Position{}, 0, errorsmod.Wrapf(types.ErrNoIdleDevice, "pool %s has no idle device whose commitment covers %s", pool.GpuClass, lease)
		}
		if err := checkMinEnd(choice, deviceID, end); err != nil {
			return types.Position{}, 0, err
		}
		pos, err := k.Position(ctx, deviceID)
		return pos, end, err
	}
	pos, err := k.Positions.Get(ctx, choice.DeviceID)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Position{}, 0, errorsmod.Wrapf(types.ErrDeviceNotInPool, "device %d holds no position in any pool (loopind q pools capacity %s names an idle one)", choice.DeviceID, pool.GpuClass)
	} else if err != nil {
		return types.Position{}, 0, err
	}
	if pos.PoolId != pool.Id {
		return types.Position{}, 0, errorsmod.Wrapf(types.ErrDeviceNotInPool, "device %d is in pool %d, not in pool %s (%d)", choice.DeviceID, pos.PoolId, pool.GpuClass, pool.Id)
	}
	if pos.LeaseId != 0 {
		return types.Position{}, 0, errorsmod.Wrapf(types.ErrDeviceNotIdle, "device %d serves lease %d", choice.DeviceID, pos.LeaseId)
	}
	end := pos.End.Unix()
	if end-now < h {
		return types.Position{}, 0, errorsmod.Wrapf(types.ErrNotCovered, "device %d's commitment ends at %s, %s from now: it does not cover %s",
			choice.DeviceID, pos.End.UTC().Format(time.RFC3339), time.Duration(max(end-now, 0))*time.Second, lease)
	}
	if err := checkMinEnd(choice, choice.DeviceID, end); err != nil {
		return types.Position{}, 0, err
	}
	return pos, end, nil
}

// checkMinEnd refuses device deviceID, whose commitment ends at end (unix
// seconds), when that is before choice.MinCommitmentEnd. Errors:
// ErrCommitmentEndsEarly.
func checkMinEnd(choice types.DeviceChoice, deviceID uint64, end int64) error {
	if choice.MinCommitmentEnd != nil && timeUnix(end).Before(*choice.MinCommitmentEnd) {
		return errorsmod.Wrapf(types.ErrCommitmentEndsEarly, "the lease would be on device %d, whose commitment ends at %s, before min_commitment_end %s",
			deviceID, timeUnix(end).Format(time.RFC3339), choice.MinCommitmentEnd.UTC().Format(time.RFC3339))
	}
	return nil
}

// live reports whether device last passed a challenge within window of now.
func (k Keeper) live(ctx context.Context, device uint64, now int64, window time.Duration) (bool, error) {
	last, err := k.liveness.LastPass(ctx, device)
	if err != nil || last.IsZero() {
		return false, err
	}
	return now-last.Unix() <= int64(window/time.Second), nil
}

// checkDeadline refuses a message whose deadline is before the block time.
func checkDeadline(ctx context.Context, deadline *time.Time) error {
	now := sdk.UnwrapSDKContext(ctx).BlockTime()
	if deadline != nil && now.After(*deadline) {
		return errorsmod.Wrapf(types.ErrDeadlinePassed, "deadline %s is before the block time %s", deadline.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

// leaseDuration checks a lease duration against params and returns it in
// seconds. Errors: ErrInvalidDuration.
func leaseDuration(params types.Params, d time.Duration) (int64, error) {
	if err := types.ValidateDuration("duration", d); err != nil {
		return 0, err
	}
	if d < params.MinLeaseDuration || d > params.MaxLeaseDuration {
		return 0, errorsmod.Wrapf(types.ErrInvalidDuration, "%s is outside [%s, %s]", d, params.MinLeaseDuration, params.MaxLeaseDuration)
	}
	return int64(d / time.Second), nil
}

func checkAmount(name string, v math.Int) error {
	if v.IsNil() || v.IsNegative() {
		return errorsmod.Wrapf(types.ErrInvalidAmount, "%s must be a non-negative uloop amount", name)
	}
	return nil
}

// clientLease loads an active lease of client. Errors: ErrLeaseNotFound,
// ErrNotLeaseClient, ErrLeaseEnded.
func (k Keeper) clientLease(ctx context.Context, id uint64, client string) (types.Lease, error) {
	l, err := k.lease(ctx, id)
	if err != nil {
		return types.Lease{}, err
	}
	if l.Client != client {
		return types.Lease{}, errorsmod.Wrapf(types.ErrNotLeaseClient, "lease %d belongs to %s", id, l.Client)
	}
	if l.Status != types.LEASE_STATUS_ACTIVE {
		return types.Lease{}, errorsmod.Wrapf(types.ErrLeaseEnded, "lease %d is %s", id, l.Status)
	}
	return l, nil
}

// BuyLease sells client d of an idle device of gpuClass's pool, paying at
// most maxIn uloop (price + fee): it matches the idle device with the
// longest remaining commitment, preferring one that passed a challenge
// within match_liveness_window (match), and sells its time at the
// quote ⌈L·ln(H/(H−h))⌉ (docs/pools.md "Price rule"). choice can name the device
// the lease must be on and the earliest commitment end it may have (pick):
// the purchase is then on that device, or fails. Errors, changing nothing:
// invalid address, ErrInvalidAmount, ErrDeadlinePassed, ErrPoolNotFound,
// ErrPoolNotActive (retired), ErrPoolBusy, ErrInvalidDuration,
// ErrNoIdleDevice, ErrDeviceNotInPool, ErrDeviceNotIdle, ErrNotCovered,
// ErrCommitmentEndsEarly, ErrInsufficientLiquidity, ErrSlippage,
// insufficient funds.
func (k Keeper) BuyLease(ctx context.Context, client sdk.AccAddress, gpuClass string, d time.Duration, maxIn math.Int, choice types.DeviceChoice) (*types.MsgBuyLeaseResponse, error) {
	clientStr := client.String()
	pool, err := k.PoolByClass(ctx, gpuClass)
	if err != nil {
		return nil, err
	}
	if pool.Status == types.POOL_STATUS_RETIRED {
		return nil, errorsmod.Wrapf(types.ErrPoolNotActive, "pool %s is retired", pool.GpuClass)
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	h, err := leaseDuration(params, d)
	if err != nil {
		return nil, err
	}
	lp, err := k.touchTrade(ctx, &pool, params)
	if err != nil {
		return nil, err
	}
	pos, end, err := k.pick(ctx, pool, lp.Now, h, params.MatchLivenessWindow, choice)
	if err != nil {
		return nil, err
	}
	deviceID := pos.DeviceId
	seq, err := k.LeaseSeq.Next(ctx) // a failure below reverts it with the transaction
	if err != nil {
		return nil, err
	}
	dev, vl := toDevice(pos), &ledger.Lease{ID: seq + 1}
	price, fee, err := lp.BuyLease(dev, vl, h)
	if err != nil {
		return nil, ledgerErr(err)
	}
	total := new(big.Int).Add(price, fee)
	if total.Cmp(maxIn.BigInt()) > 0 {
		return nil, errorsmod.Wrapf(types.ErrSlippage, "the lease costs %s uloop (price %s + fee %s), more than max_uloop_in %s", total, price, fee, maxIn)
	}
	if err := k.collect(ctx, client, total); err != nil {
		return nil, err
	}
	if err := chargeFee(ctx, &pool, fee, "buy"); err != nil {
		return nil, err
	}
	l := types.Lease{Id: vl.ID, PoolId: pool.Id, DeviceId: deviceID, Client: clientStr, Start: time.Unix(vl.Start, 0).UTC(),
		Fees: math.NewIntFromBigInt(fee), Status: types.LEASE_STATUS_ACTIVE, Refund: math.ZeroInt()}
	fromLease(&l, vl)
	fromDevice(&pos, dev)
	if err := k.Leases.Set(ctx, l.Id, l); err != nil {
		return nil, err
	}
	if err := k.LeasesByClient.Set(ctx, collections.Join(client, l.Id)); err != nil {
		return nil, err
	}
	if err := k.LeasesByDevice.Set(ctx, collections.Join(deviceID, l.Id)); err != nil {
		return nil, err
	}
	if err := k.Positions.Set(ctx, deviceID, pos); err != nil {
		return nil, err
	}
	if err := k.Idle.Remove(ctx, collections.Join3(pool.Id, end, deviceID)); err != nil {
		return nil, err
	}
	if err := k.Queue.Set(ctx, leaseEndKey(pool.Id, vl.End, l.Id)); err != nil {
		return nil, err
	}
	if err := k.savePool(ctx, pool, lp); err != nil {
		return nil, err
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventLeaseBought{
		LeaseId: l.Id, PoolId: pool.Id, DeviceId: deviceID, Client: clientStr, Start: l.Start, End: l.End, Price: l.Price, Fee: l.Fees}); err != nil {
		return nil, err
	}
	return &types.MsgBuyLeaseResponse{LeaseId: l.Id, DeviceId: deviceID, Price: l.Price, Fee: l.Fees, End: l.End}, nil
}

// ExtendLease buys d more on the device serving client's lease leaseID,
// paying at most maxIn uloop (price + fee), at the quote ⌈L·ln(H/(H−h))⌉.
// Errors, changing nothing: ErrLeaseNotFound, ErrNotLeaseClient,
// ErrLeaseEnded, ErrPoolNotActive (retired), ErrPoolBusy, ErrInvalidDuration,
// ErrNotCovered, ErrInsufficientLiquidity, ErrSlippage, insufficient funds.
func (k Keeper) ExtendLease(ctx context.Context, client sdk.AccAddress, leaseID uint64, d time.Duration, maxIn math.Int) (*types.MsgExtendLeaseResponse, error) {
	l, err := k.clientLease(ctx, leaseID, client.String())
	if err != nil {
		return nil, err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	h, err := leaseDuration(params, d)
	if err != nil {
		return nil, err
	}
	pool, err := k.getPool(ctx, l.PoolId)
	if err != nil {
		return nil, err
	}
	if pool.Status == types.POOL_STATUS_RETIRED {
		return nil, errorsmod.Wrapf(types.ErrPoolNotActive, "pool %s is retired", pool.GpuClass)
	}
	pos, err := k.Position(ctx, l.DeviceId)
	if err != nil {
		return nil, err
	}
	lp, err := k.touchTrade(ctx, &pool, params)
	if err != nil {
		return nil, err
	}
	dev, vl := toDevice(pos), toLease(l)
	oldEnd := vl.End
	price, fee, err := lp.ExtendLease(dev, vl, h)
	if err != nil {
		return nil, ledgerErr(err)
	}
	total := new(big.Int).Add(price, fee)
	if total.Cmp(maxIn.BigInt()) > 0 {
		return nil, errorsmod.Wrapf(types.ErrSlippage, "the extension costs %s uloop (price %s + fee %s), more than max_uloop_in %s", total, price, fee, maxIn)
	}
	if err := k.collect(ctx, client, total); err != nil {
		return nil, err
	}
	if err := chargeFee(ctx, &pool, fee, "extend"); err != nil {
		return nil, err
	}
	fromLease(&l, vl)
	fromDevice(&pos, dev)
	l.Fees = l.Fees.Add(math.NewIntFromBigInt(fee))
	if err := k.Leases.Set(ctx, l.Id, l); err != nil {
		return nil, err
	}
	if err := k.Positions.Set(ctx, pos.DeviceId, pos); err != nil {
		return nil, err
	}
	if err := k.Queue.Remove(ctx, leaseEndKey(pool.Id, oldEnd, l.Id)); err != nil {
		return nil, err
	}
	if err := k.Queue.Set(ctx, leaseEndKey(pool.Id, vl.End, l.Id)); err != nil {
		return nil, err
	}
	if err := k.savePool(ctx, pool, lp); err != nil {
		return nil, err
	}
	resp := &types.MsgExtendLeaseResponse{Price: math.NewIntFromBigInt(price), Fee: math.NewIntFromBigInt(fee), End: l.End}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventLeaseExtended{
		LeaseId: l.Id, End: l.End, Price: resp.Price, Fee: resp.Fee}); err != nil {
		return nil, err
	}
	return resp, nil
}

// TerminateLease ends client's lease leaseID now: the unused time returns
// to the pool and the client gets the unreleased escrow less the exchange
// fee (burned), at least minRefund uloop. The lease is pruned
// lease_retention later. Errors, changing nothing: ErrLeaseNotFound,
// ErrNotLeaseClient, ErrLeaseEnded, ErrPoolBusy, ErrSlippage.
func (k Keeper) TerminateLease(ctx context.Context, client sdk.AccAddress, leaseID uint64, minRefund math.Int) (*types.MsgTerminateLeaseResponse, error) {
	l, err := k.clientLease(ctx, leaseID, client.String())
	if err != nil {
		return nil, err
	}
	pool, err := k.getPool(ctx, l.PoolId)
	if err != nil {
		return nil, err
	}
	pos, err := k.Position(ctx, l.DeviceId)
	if err != nil {
		return nil, err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	lp, err := k.touchTrade(ctx, &pool, params)
	if err != nil {
		return nil, err
	}
	dev, vl := toDevice(pos), toLease(l)
	oldEnd := vl.End
	refund, fee, err := lp.Terminate(dev, vl)
	if err != nil {
		return nil, ledgerErr(err)
	}
	if refund.Cmp(minRefund.BigInt()) < 0 {
		return nil, errorsmod.Wrapf(types.ErrSlippage, "the refund is %s uloop, less than min_refund %s", refund, minRefund)
	}
	if err := k.pay(ctx, l.Client, refund); err != nil {
		return nil, err
	}
	if err := chargeFee(ctx, &pool, fee, "terminate"); err != nil {
		return nil, err
	}
	fromLease(&l, vl)
	fromDevice(&pos, dev)
	l.Status, l.Refund = types.LEASE_STATUS_TERMINATED, math.NewIntFromBigInt(refund)
	l.Fees = l.Fees.Add(math.NewIntFromBigInt(fee))
	if err := k.Leases.Set(ctx, l.Id, l); err != nil {
		return nil, err
	}
	if err := k.queuePrune(ctx, l, params); err != nil {
		return nil, err
	}
	if err := k.Positions.Set(ctx, pos.DeviceId, pos); err != nil {
		return nil, err
	}
	if err := k.Queue.Remove(ctx, leaseEndKey(pool.Id, oldEnd, l.Id)); err != nil {
		return nil, err
	}
	if err := k.Idle.Set(ctx, collections.Join3(pos.PoolId, dev.End, pos.DeviceId)); err != nil {
		return nil, err
	}
	if err := k.savePool(ctx, pool, lp); err != nil {
		return nil, err
	}
	if err := k.leaseEnded(ctx, l); err != nil {
		return nil, err
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventLeaseClosed{
		LeaseId: l.Id, DeviceId: l.DeviceId, Status: l.Status.String(), Refund: l.Refund, Clawback: math.ZeroInt()}); err != nil {
		return nil, err
	}
	return &types.MsgTerminateLeaseResponse{Refund: l.Refund, Fee: math.NewIntFromBigInt(fee)}, nil
}
