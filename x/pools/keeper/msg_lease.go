package keeper

import (
	"context"
	"math/big"
	"time"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/loopin-project/loopin/x/pools/ledger"
	"github.com/loopin-project/loopin/x/pools/types"
)

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

// BuyLease matches the idle device with the longest remaining commitment
// and sells its time at the constant-product quote (PROTOCOL.md §2). Errors,
// changing nothing: invalid address, ErrInvalidAmount, ErrDeadlinePassed,
// ErrPoolNotFound, ErrPoolNotActive (retired), ErrInvalidDuration,
// ErrNoIdleDevice, ErrInsufficientLiquidity, ErrSlippage, insufficient funds.
func (ms msgServer) BuyLease(ctx context.Context, msg *types.MsgBuyLease) (*types.MsgBuyLeaseResponse, error) {
	client, err := ms.accountKeeper.AddressCodec().StringToBytes(msg.Client)
	if err != nil {
		return nil, errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "client: %v", err)
	}
	if err := checkAmount("max_uloop_in", msg.MaxUloopIn); err != nil {
		return nil, err
	}
	if err := checkDeadline(ctx, msg.Deadline); err != nil {
		return nil, err
	}
	pool, err := ms.PoolByClass(ctx, msg.GpuClass)
	if err != nil {
		return nil, err
	}
	if pool.Status == types.POOL_STATUS_RETIRED {
		return nil, errorsmod.Wrapf(types.ErrPoolNotActive, "pool %s is retired", pool.GpuClass)
	}
	params, err := ms.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	h, err := leaseDuration(params, msg.Duration)
	if err != nil {
		return nil, err
	}
	lp, err := ms.touchWith(ctx, &pool, params)
	if err != nil {
		return nil, err
	}
	deviceID, end, found, err := ms.matchIdle(ctx, pool.Id)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errorsmod.Wrapf(types.ErrNoIdleDevice, "pool %s has no idle device", pool.GpuClass)
	}
	if end-lp.Now < h {
		return nil, errorsmod.Wrapf(types.ErrNoIdleDevice, "the longest idle commitment in pool %s has %s left, less than %s",
			pool.GpuClass, time.Duration(end-lp.Now)*time.Second, time.Duration(h)*time.Second)
	}
	pos, err := ms.Position(ctx, deviceID)
	if err != nil {
		return nil, err
	}
	seq, err := ms.LeaseSeq.Next(ctx) // a failure below reverts it with the transaction
	if err != nil {
		return nil, err
	}
	dev, vl := toDevice(pos), &ledger.Lease{ID: seq + 1}
	price, fee, err := lp.BuyLease(dev, vl, h)
	if err != nil {
		return nil, ledgerErr(err)
	}
	total := new(big.Int).Add(price, fee)
	if total.Cmp(msg.MaxUloopIn.BigInt()) > 0 {
		return nil, errorsmod.Wrapf(types.ErrSlippage, "the lease costs %s uloop (price %s + fee %s), more than max_uloop_in %s", total, price, fee, msg.MaxUloopIn)
	}
	if err := ms.collect(ctx, client, total); err != nil {
		return nil, err
	}
	if err := chargeFee(ctx, &pool, fee, "buy"); err != nil {
		return nil, err
	}
	l := types.Lease{Id: vl.ID, PoolId: pool.Id, DeviceId: deviceID, Client: msg.Client, Start: time.Unix(vl.Start, 0).UTC(),
		Fees: math.NewIntFromBigInt(fee), Status: types.LEASE_STATUS_ACTIVE, Refund: math.ZeroInt()}
	fromLease(&l, vl)
	fromDevice(&pos, dev)
	if err := ms.Leases.Set(ctx, l.Id, l); err != nil {
		return nil, err
	}
	if err := ms.LeasesByClient.Set(ctx, collections.Join(sdk.AccAddress(client), l.Id)); err != nil {
		return nil, err
	}
	if err := ms.LeasesByDevice.Set(ctx, collections.Join(deviceID, l.Id)); err != nil {
		return nil, err
	}
	if err := ms.Positions.Set(ctx, deviceID, pos); err != nil {
		return nil, err
	}
	if err := ms.Idle.Remove(ctx, collections.Join3(pool.Id, end, deviceID)); err != nil {
		return nil, err
	}
	if err := ms.Queue.Set(ctx, collections.Join3(vl.End, types.QueueLeaseEnd, l.Id)); err != nil {
		return nil, err
	}
	if err := ms.savePool(ctx, pool, lp); err != nil {
		return nil, err
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventLeaseBought{
		LeaseId: l.Id, PoolId: pool.Id, DeviceId: deviceID, Client: msg.Client, Start: l.Start, End: l.End, Price: l.Price, Fee: l.Fees}); err != nil {
		return nil, err
	}
	return &types.MsgBuyLeaseResponse{LeaseId: l.Id, DeviceId: deviceID, Price: l.Price, Fee: l.Fees, End: l.End}, nil
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

// ExtendLease buys more time on the lease's device at the constant-product
// quote. Errors, changing nothing: invalid address, ErrInvalidAmount,
// ErrDeadlinePassed, ErrLeaseNotFound, ErrNotLeaseClient, ErrLeaseEnded,
// ErrPoolNotActive (retired), ErrInvalidDuration, ErrNotCovered,
// ErrInsufficientLiquidity, ErrSlippage, insufficient funds.
func (ms msgServer) ExtendLease(ctx context.Context, msg *types.MsgExtendLease) (*types.MsgExtendLeaseResponse, error) {
	client, err := ms.accountKeeper.AddressCodec().StringToBytes(msg.Client)
	if err != nil {
		return nil, errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "client: %v", err)
	}
	if err := checkAmount("max_uloop_in", msg.MaxUloopIn); err != nil {
		return nil, err
	}
	if err := checkDeadline(ctx, msg.Deadline); err != nil {
		return nil, err
	}
	l, err := ms.clientLease(ctx, msg.LeaseId, msg.Client)
	if err != nil {
		return nil, err
	}
	params, err := ms.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	h, err := leaseDuration(params, msg.Duration)
	if err != nil {
		return nil, err
	}
	pool, err := ms.getPool(ctx, l.PoolId)
	if err != nil {
		return nil, err
	}
	if pool.Status == types.POOL_STATUS_RETIRED {
		return nil, errorsmod.Wrapf(types.ErrPoolNotActive, "pool %s is retired", pool.GpuClass)
	}
	pos, err := ms.Position(ctx, l.DeviceId)
	if err != nil {
		return nil, err
	}
	lp, err := ms.touchWith(ctx, &pool, params)
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
	if total.Cmp(msg.MaxUloopIn.BigInt()) > 0 {
		return nil, errorsmod.Wrapf(types.ErrSlippage, "the extension costs %s uloop (price %s + fee %s), more than max_uloop_in %s", total, price, fee, msg.MaxUloopIn)
	}
	if err := ms.collect(ctx, client, total); err != nil {
		return nil, err
	}
	if err := chargeFee(ctx, &pool, fee, "extend"); err != nil {
		return nil, err
	}
	fromLease(&l, vl)
	fromDevice(&pos, dev)
	l.Fees = l.Fees.Add(math.NewIntFromBigInt(fee))
	if err := ms.Leases.Set(ctx, l.Id, l); err != nil {
		return nil, err
	}
	if err := ms.Positions.Set(ctx, pos.DeviceId, pos); err != nil {
		return nil, err
	}
	if err := ms.Queue.Remove(ctx, collections.Join3(oldEnd, types.QueueLeaseEnd, l.Id)); err != nil {
		return nil, err
	}
	if err := ms.Queue.Set(ctx, collections.Join3(vl.End, types.QueueLeaseEnd, l.Id)); err != nil {
		return nil, err
	}
	if err := ms.savePool(ctx, pool, lp); err != nil {
		return nil, err
	}
	resp := &types.MsgExtendLeaseResponse{Price: math.NewIntFromBigInt(price), Fee: math.NewIntFromBigInt(fee), End: l.End}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventLeaseExtended{
		LeaseId: l.Id, End: l.End, Price: resp.Price, Fee: resp.Fee}); err != nil {
		return nil, err
	}
	return resp, nil
}

// TerminateLease ends a lease now: the unused time returns to the pool,
// the client gets the unreleased escrow less the exchange fee (burned).
// Errors, changing nothing: ErrInvalidAmount, ErrDeadlinePassed,
// ErrLeaseNotFound, ErrNotLeaseClient, ErrLeaseEnded, ErrSlippage.
func (ms msgServer) TerminateLease(ctx context.Context, msg *types.MsgTerminateLease) (*types.MsgTerminateLeaseResponse, error) {
	if _, err := ms.accountKeeper.AddressCodec().StringToBytes(msg.Client); err != nil {
		return nil, errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "client: %v", err)
	}
	if err := checkAmount("min_refund", msg.MinRefund); err != nil {
		return nil, err
	}
	if err := checkDeadline(ctx, msg.Deadline); err != nil {
		return nil, err
	}
	l, err := ms.clientLease(ctx, msg.LeaseId, msg.Client)
	if err != nil {
		return nil, err
	}
	pool, err := ms.getPool(ctx, l.PoolId)
	if err != nil {
		return nil, err
	}
	pos, err := ms.Position(ctx, l.DeviceId)
	if err != nil {
		return nil, err
	}
	lp, err := ms.touch(ctx, &pool)
	if err != nil {
		return nil, err
	}
	dev, vl := toDevice(pos), toLease(l)
	oldEnd := vl.End
	refund, fee, err := lp.Terminate(dev, vl)
	if err != nil {
		return nil, ledgerErr(err)
	}
	if refund.Cmp(msg.MinRefund.BigInt()) < 0 {
		return nil, errorsmod.Wrapf(types.ErrSlippage, "the refund is %s uloop, less than min_refund %s", refund, msg.MinRefund)
	}
	if err := ms.pay(ctx, l.Client, refund); err != nil {
		return nil, err
	}
	if err := chargeFee(ctx, &pool, fee, "terminate"); err != nil {
		return nil, err
	}
	fromLease(&l, vl)
	fromDevice(&pos, dev)
	l.Status, l.Refund = types.LEASE_STATUS_TERMINATED, math.NewIntFromBigInt(refund)
	l.Fees = l.Fees.Add(math.NewIntFromBigInt(fee))
	if err := ms.Leases.Set(ctx, l.Id, l); err != nil {
		return nil, err
	}
	if err := ms.Positions.Set(ctx, pos.DeviceId, pos); err != nil {
		return nil, err
	}
	if err := ms.Queue.Remove(ctx, collections.Join3(oldEnd, types.QueueLeaseEnd, l.Id)); err != nil {
		return nil, err
	}
	if err := ms.Idle.Set(ctx, collections.Join3(pos.PoolId, dev.End, pos.DeviceId)); err != nil {
		return nil, err
	}
	if err := ms.savePool(ctx, pool, lp); err != nil {
		return nil, err
	}
	if err := ms.leaseEnded(ctx, l); err != nil {
		return nil, err
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventLeaseClosed{
		LeaseId: l.Id, DeviceId: l.DeviceId, Status: l.Status.String(), Refund: l.Refund}); err != nil {
		return nil, err
	}
	return &types.MsgTerminateLeaseResponse{Refund: l.Refund, Fee: math.NewIntFromBigInt(fee)}, nil
}
