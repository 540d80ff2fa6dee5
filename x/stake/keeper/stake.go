package keeper

import (
	"context"
	"errors"
	"time"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	chaintypes "github.com/loopin-project/loopin/types"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
	"github.com/loopin-project/loopin/x/stake/types"
)

// stake loads certificate id. Errors: ErrStakeNotFound.
func (k Keeper) stake(ctx context.Context, id uint64) (types.Stake, error) {
	s, err := k.Stakes.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return s, errorsmod.Wrapf(types.ErrStakeNotFound, "stake %d", id)
	}
	return s, err
}

// committable checks that owner may commit device to a pool now: owned,
// sealed, not committed, its class's pool active. It returns the device and
// the pool.
func (k Keeper) committable(ctx context.Context, owner string, deviceID uint64) (pocpstypes.Device, poolstypes.Pool, error) {
	device, err := k.pocpsKeeper.GetDevice(ctx, deviceID)
	if err != nil {
		return device, poolstypes.Pool{}, err
	}
	if device.Owner != owner {
		return device, poolstypes.Pool{}, errorsmod.Wrapf(types.ErrDeviceNotOwned, "device %d belongs to %s", deviceID, device.Owner)
	}
	if device.Status != pocpstypes.DEVICE_STATUS_SEALED {
		return device, poolstypes.Pool{}, errorsmod.Wrapf(types.ErrDeviceNotSealed, "device %d is %s: its setup proof must pass first", deviceID, device.Status)
	}
	if device.StakeId != 0 {
		return device, poolstypes.Pool{}, errorsmod.Wrapf(types.ErrDeviceCommitted, "device %d is committed by stake %d", deviceID, device.StakeId)
	}
	pool, err := k.poolsKeeper.PoolByClass(ctx, device.GpuClass)
	if err != nil {
		return device, pool, errorsmod.Wrapf(types.ErrWrongClass, "device %d is a %s: %v", deviceID, device.GpuClass, err)
	}
	if pool.Status != poolstypes.POOL_STATUS_ACTIVE {
		return device, pool, errorsmod.Wrapf(types.ErrWrongClass, "the %s pool is %s and takes no new stakes", pool.GpuClass, pool.Status)
	}
	return device, pool, nil
}

// burnFee takes the staking fee from owner and burns it (the burn
// certificate of x/stake/README.md).
func (k Keeper) burnFee(ctx context.Context, stakeID uint64, owner sdk.AccAddress, fee math.Int) error {
	if !fee.IsPositive() {
		return nil
	}
	amt := sdk.NewCoins(sdk.NewCoin(chaintypes.BondDenom, fee))
	if err := k.bankKeeper.SendCoinsFromAccountToModule(ctx, owner, types.ModuleName, amt); err != nil {
		return errorsmod.Wrapf(err, "staking fee of %s", amt)
	}
	if err := k.bankKeeper.BurnCoins(ctx, types.ModuleName, amt); err != nil {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventStakingFeeBurned{StakeId: stakeID, Amount: fee})
}

// StakeLP burns the staking fee and commits owner's sealed device deviceID
// to its class's pool for d as an LP position, injecting at most maxIn
// uloop at the spot price. Errors, changing nothing: ErrDeviceNotFound
// (x/pocps), ErrDeviceNotOwned, ErrDeviceNotSealed, ErrDeviceCommitted,
// ErrWrongClass, ErrInvalidDuration (d not whole seconds, below
// min_lp_duration or above types.MaxCommitment), insufficient funds (fee
// or injection), and x/pools' ErrSlippage.
func (k Keeper) StakeLP(ctx context.Context, owner sdk.AccAddress, deviceID uint64, d time.Duration, maxIn math.Int) (*types.MsgStakeLPResponse, error) {
	ownerStr := owner.String()
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	if err := params.CheckLPDuration(d); err != nil {
		return nil, err
	}
	_, pool, err := k.committable(ctx, ownerStr, deviceID)
	if err != nil {
		return nil, err
	}
	seq, err := k.StakeSeq.Next(ctx)
	if err != nil {
		return nil, err
	}
	id := seq + 1
	if err := k.burnFee(ctx, id, owner, params.StakingFee); err != nil {
		return nil, err
	}
	now := sdk.UnwrapSDKContext(ctx).BlockTime().UTC()
	end := now.Add(d)
	in, err := k.poolsKeeper.OpenPosition(ctx, pool.Id, deviceID, owner, end, maxIn)
	if err != nil {
		return nil, err
	}
	s := types.Stake{
		Id: id, Owner: ownerStr, DeviceId: deviceID, PoolId: pool.Id, Kind: types.STAKE_KIND_LP,
		Start: now, End: end, FeeBurned: params.StakingFee, CommittedSeconds: uint64(d / time.Second), Injected: in,
		Collateral: math.ZeroInt(), Deposit: math.ZeroInt(), Status: types.STAKE_STATUS_ACTIVE, Payout: math.ZeroInt(),
	}
	if err := k.Stakes.Set(ctx, id, s); err != nil {
		return nil, err
	}
	if err := k.Expiry.Set(ctx, collections.Join(end.Unix(), id)); err != nil {
		return nil, err
	}
	if err := k.pocpsKeeper.SetDeviceStake(ctx, deviceID, id); err != nil {
		return nil, err
	}
	if err := k.stakeStarted(ctx, deviceID, ownerStr); err != nil {
		return nil, err
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventStaked{
		StakeId: id, Owner: ownerStr, DeviceId: deviceID, PoolId: pool.Id, Kind: s.Kind.String(), End: end}); err != nil {
		return nil, err
	}
	return &types.MsgStakeLPResponse{StakeId: id, Injected: in, FeeBurned: params.StakingFee, End: end}, nil
}

// RenewStake extends owner's active LP certificate stakeID by epochs whole
// `loopin` epochs before its end, injecting at most maxIn uloop. Errors,
// changing nothing: ErrStakeNotFound, ErrDeviceNotOwned, ErrStakeEnded,
// ErrInvalidDuration (0 epochs, a sale, a renewed end more than
// types.MaxCommitment after the block time — checked before multiplying,
// so no epochs value overflows), and x/pools' ErrPoolNotActive (retiring
// pool), ErrSlippage, insufficient funds.
func (k Keeper) RenewStake(ctx context.Context, owner sdk.AccAddress, stakeID uint64, epochs uint32, maxIn math.Int) (*types.MsgRenewStakeResponse, error) {
	s, err := k.stake(ctx, stakeID)
	if err != nil {
		return nil, err
	}
	if s.Owner != owner.String() {
		return nil, errorsmod.Wrapf(types.ErrDeviceNotOwned, "stake %d belongs to %s", s.Id, s.Owner)
	}
	if s.Kind != types.STAKE_KIND_LP {
		return nil, errorsmod.Wrapf(types.ErrInvalidDuration, "stake %d is a sale: sell more days with a new sale after it ends", s.Id)
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	if s.Status != types.STAKE_STATUS_ACTIVE || !sdkCtx.BlockTime().Before(s.End) {
		return nil, errorsmod.Wrapf(types.ErrStakeEnded, "stake %d is %s, ending %s: renew before the end", s.Id, s.Status, s.End.Format(time.RFC3339))
	}
	info, err := k.epochsKeeper.GetEpochInfo(sdkCtx, chaintypes.EpochIdentifier)
	if err != nil {
		return nil, err
	}
	// The renewed end may lie at most MaxCommitment after now (s.End is
	// after now here).
	added, err := types.RenewalAdded(sdkCtx.BlockTime(), s.End, epochs, info.Duration)
	if err != nil {
		return nil, errorsmod.Wrapf(err, "stake %d", s.Id)
	}
	newEnd := s.End.Add(added)
	in, err := k.poolsKeeper.RenewPosition(ctx, s.DeviceId, newEnd, maxIn)
	if err != nil {
		return nil, err
	}
	if err := k.Expiry.Remove(ctx, collections.Join(s.End.Unix(), s.Id)); err != nil {
		return nil, err
	}
	if err := k.Expiry.Set(ctx, collections.Join(newEnd.Unix(), s.Id)); err != nil {
		return nil, err
	}
	s.End = newEnd
	s.CommittedSeconds += uint64(added / time.Second)
	s.Injected = s.Injected.Add(in)
	if err := k.Stakes.Set(ctx, s.Id, s); err != nil {
		return nil, err
	}
	if err := sdkCtx.EventManager().EmitTypedEvent(&types.EventStakeRenewed{StakeId: s.Id, End: newEnd}); err != nil {
		return nil, err
	}
	return &types.MsgRenewStakeResponse{End: newEnd, Injected: in}, nil
}

// SellCompute burns the staking fee, locks the collateral and the
// maintenance deposit, and sells days whole days of owner's sealed device
// deviceID into its class's pool for at least minOut uloop. Errors,
// changing nothing: ErrInvalidDuration (days outside [sell_min_days,
// sell_max_days]), the device checks of StakeLP, x/pools'
// ErrInsufficientLiquidity (no LP position in the pool) and ErrSlippage,
// insufficient funds for the fee, the collateral or the deposit.
func (k Keeper) SellCompute(ctx context.Context, owner sdk.AccAddress, deviceID uint64, days uint32, minOut math.Int) (*types.MsgSellComputeResponse, error) {
	ownerStr := owner.String()
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	d, err := params.SaleDuration(days)
	if err != nil {
		return nil, err
	}
	_, pool, err := k.committable(ctx, ownerStr, deviceID)
	if err != nil {
		return nil, err
	}
	seconds := int64(d / time.Second)
	_, spot, err := k.poolsKeeper.QuoteSell(ctx, pool.Id, seconds)
	if err != nil {
		return nil, err
	}
	collateral, deposit := params.SaleLocks(spot, seconds)
	seq, err := k.StakeSeq.Next(ctx)
	if err != nil {
		return nil, err
	}
	id := seq + 1
	if err := k.burnFee(ctx, id, owner, params.StakingFee); err != nil {
		return nil, err
	}
	if locked := collateral.Add(deposit); locked.IsPositive() {
		if err := k.bankKeeper.SendCoinsFromAccountToModule(ctx, owner, types.ModuleName, chaintypes.Uloop(locked)); err != nil {
			return nil, errorsmod.Wrapf(err, "collateral %suloop and maintenance deposit %suloop", collateral, deposit)
		}
	}
	now := sdk.UnwrapSDKContext(ctx).BlockTime().UTC()
	end := now.Add(d)
	proceeds, err := k.poolsKeeper.OpenSale(ctx, pool.Id, deviceID, owner, end, minOut)
	if err != nil {
		return nil, err
	}
	s := types.Stake{
		Id: id, Owner: ownerStr, DeviceId: deviceID, PoolId: pool.Id, Kind: types.STAKE_KIND_SALE,
		Start: now, End: end, FeeBurned: params.StakingFee, CommittedSeconds: uint64(seconds), Injected: math.ZeroInt(),
		Collateral: collateral, Deposit: deposit, Status: types.STAKE_STATUS_ACTIVE, Payout: math.ZeroInt(),
	}
	if err := k.Stakes.Set(ctx, id, s); err != nil {
		return nil, err
	}
	if err := k.Expiry.Set(ctx, collections.Join(end.Unix(), id)); err != nil {
		return nil, err
	}
	if err := k.pocpsKeeper.SetDeviceStake(ctx, deviceID, id); err != nil {
		return nil, err
	}
	if err := k.stakeStarted(ctx, deviceID, ownerStr); err != nil {
		return nil, err
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventStaked{
		StakeId: id, Owner: ownerStr, DeviceId: deviceID, PoolId: pool.Id, Kind: s.Kind.String(), End: end}); err != nil {
		return nil, err
	}
	return &types.MsgSellComputeResponse{StakeId: id, Proceeds: proceeds, Collateral: collateral, Deposit: deposit, FeeBurned: params.StakingFee, End: end}, nil
}

// FailDevice invalidates the device's certificate at once
// (x/stake/README.md). LP stake: the position leaves its pool with its unsold
// time and matching uloop, returned to the miner with what it earned; a
// lease it served is broken and refunded from its escrow, with the revenue
// released to the device since its last passed challenge (x/pocps LastPass)
// clawed back to the client. Sale: the
// maintenance deposit is burned; from the collateral the broken lease's
// client is refunded its unused time; the rest of the collateral is burned;
// the sold time leaves the pool with its uloop to the LP positions. A sale
// in its grace (its end has passed, its time has left the pool, no lease
// is left): collateral and deposit are burned whole (failInGrace). A
// certificate whose end has come but that the bounded expiry batch has not
// reached yet is ended first, as BeginBlock would have (an LP stake then
// needs nothing more, a sale is failed in its grace). A device with no
// active certificate needs nothing.
func (k Keeper) FailDevice(ctx context.Context, deviceID uint64) error {
	device, err := k.pocpsKeeper.GetDevice(ctx, deviceID)
	if err != nil {
		return err
	}
	if device.StakeId == 0 {
		return nil
	}
	s, err := k.stake(ctx, device.StakeId)
	if err != nil {
		return err
	}
	if s.Status == types.STAKE_STATUS_ACTIVE && sdk.UnwrapSDKContext(ctx).BlockTime().Unix() >= s.End.Unix() {
		// x/pools' queue has already ended the position at s.End.
		if err := k.expire(ctx, s); err != nil {
			return err
		}
		if s, err = k.stake(ctx, s.Id); err != nil {
			return err
		}
	}
	if s.Status == types.STAKE_STATUS_GRACE {
		return k.failInGrace(ctx, s)
	}
	if s.Status != types.STAKE_STATUS_ACTIVE {
		return nil
	}
	since, err := k.pocpsKeeper.LastPass(ctx, deviceID)
	if err != nil {
		return err
	}
	res, err := k.poolsKeeper.FailPosition(ctx, deviceID, since, s.Start)
	if err != nil {
		return err
	}
	refunded, burned, toLPs := res.Refund, math.ZeroInt(), math.ZeroInt()
	if s.Kind == types.STAKE_KIND_SALE {
		// The LP positions that bought the undelivered time are paid its
		// value again from the rest of the collateral, streamed to them
		// until the sale's end; the rest is burned (docs/stake.md "Failure").
		var toClient math.Int
		toClient, toLPs, burned = types.SaleFailure(s.Collateral, s.Deposit, res.CollateralRefund, res.PenaltyCap)
		if toClient.IsPositive() {
			client, err := k.accountKeeper.AddressCodec().StringToBytes(res.Client)
			if err != nil {
				return err
			}
			if err := k.bankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, client, chaintypes.Uloop(toClient)); err != nil {
				return err
			}
		}
		refunded = refunded.Add(toClient)
		if toLPs.IsPositive() {
			if err := k.bankKeeper.SendCoinsFromModuleToModule(ctx, types.ModuleName, poolstypes.ModuleName, chaintypes.Uloop(toLPs)); err != nil {
				return err
			}
			if err := k.poolsKeeper.FundStream(ctx, deviceID, toLPs); err != nil {
				return err
			}
		}
		if burned.IsPositive() {
			if err := k.bankKeeper.BurnCoins(ctx, types.ModuleName, chaintypes.Uloop(burned)); err != nil {
				return err
			}
		}
	}
	if err := k.Expiry.Remove(ctx, collections.Join(s.End.Unix(), s.Id)); err != nil {
		return err
	}
	s.Status, s.Payout = types.STAKE_STATUS_FAILED, res.Payout
	if err := k.closeStake(ctx, s); err != nil {
		return err
	}
	if err := k.stakeEnded(ctx, deviceID); err != nil {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventStakeFailed{
		StakeId: s.Id, DeviceId: deviceID, Returned: res.Payout, Refunded: refunded, Burned: burned, ToLps: toLPs})
}

// failInGrace fails sale s in its grace: there is no lease left to refund
// and its time already left the pool, so its collateral and maintenance
// deposit are burned whole, nothing returns to the seller, it leaves the
// release queue and its device is freed. The miners' reward account ended
// at the sale's end already.
func (k Keeper) failInGrace(ctx context.Context, s types.Stake) error {
	burned := s.Collateral.Add(s.Deposit)
	if burned.IsPositive() {
		if err := k.bankKeeper.BurnCoins(ctx, types.ModuleName, chaintypes.Uloop(burned)); err != nil {
			return err
		}
	}
	if err := k.Release.Remove(ctx, collections.Join(s.ReleaseAt.Unix(), s.Id)); err != nil {
		return err
	}
	s.Status, s.Payout = types.STAKE_STATUS_FAILED, math.ZeroInt()
	if err := k.closeStake(ctx, s); err != nil {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventStakeFailed{
		StakeId: s.Id, DeviceId: s.DeviceId, Returned: math.ZeroInt(), Refunded: math.ZeroInt(), Burned: burned, ToLps: math.ZeroInt()})
}
