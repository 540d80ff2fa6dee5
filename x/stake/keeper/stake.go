package keeper

import (
	"context"
	"errors"
	"time"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

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
// certificate of PROTOCOL.md §3).
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

// StakeLP burns the staking fee and commits a sealed device's time to its
// class's pool as an LP position (PROTOCOL.md §3). Errors, changing
// nothing: invalid address, ErrInvalidAmount, ErrDeviceNotFound (x/pocps),
// ErrDeviceNotOwned, ErrDeviceNotSealed, ErrDeviceCommitted, ErrWrongClass,
// ErrInvalidDuration, insufficient funds (fee or injection), and x/pools'
// ErrSlippage.
func (ms msgServer) StakeLP(ctx context.Context, msg *types.MsgStakeLP) (*types.MsgStakeLPResponse, error) {
	owner, err := ms.accountKeeper.AddressCodec().StringToBytes(msg.Owner)
	if err != nil {
		return nil, errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "owner: %v", err)
	}
	if msg.MaxUloopIn.IsNil() || msg.MaxUloopIn.IsNegative() {
		return nil, errorsmod.Wrap(types.ErrInvalidAmount, "max_uloop_in must be a non-negative uloop amount")
	}
	params, err := ms.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	d := msg.Duration
	if d < time.Second || d%time.Second != 0 {
		return nil, errorsmod.Wrapf(types.ErrInvalidDuration, "duration %s must be a positive whole number of seconds", d)
	}
	if d < params.MinLpDuration {
		return nil, errorsmod.Wrapf(types.ErrInvalidDuration, "an LP stake lasts at least min_lp_duration %s, not %s", params.MinLpDuration, d)
	}
	_, pool, err := ms.committable(ctx, msg.Owner, msg.DeviceId)
	if err != nil {
		return nil, err
	}
	seq, err := ms.StakeSeq.Next(ctx)
	if err != nil {
		return nil, err
	}
	id := seq + 1
	if err := ms.burnFee(ctx, id, owner, params.StakingFee); err != nil {
		return nil, err
	}
	now := sdk.UnwrapSDKContext(ctx).BlockTime().UTC()
	end := now.Add(d)
	in, err := ms.poolsKeeper.OpenPosition(ctx, pool.Id, msg.DeviceId, owner, end, msg.MaxUloopIn)
	if err != nil {
		return nil, err
	}
	s := types.Stake{
		Id: id, Owner: msg.Owner, DeviceId: msg.DeviceId, PoolId: pool.Id, Kind: types.STAKE_KIND_LP,
		Start: now, End: end, FeeBurned: params.StakingFee, CommittedSeconds: uint64(d / time.Second), Injected: in,
		Collateral: math.ZeroInt(), Deposit: math.ZeroInt(), Status: types.STAKE_STATUS_ACTIVE, Payout: math.ZeroInt(),
	}
	if err := ms.Stakes.Set(ctx, id, s); err != nil {
		return nil, err
	}
	if err := ms.Expiry.Set(ctx, collections.Join(end.Unix(), id)); err != nil {
		return nil, err
	}
	if err := ms.pocpsKeeper.SetDeviceStake(ctx, msg.DeviceId, id); err != nil {
		return nil, err
	}
	if err := ms.stakeStarted(ctx, msg.DeviceId, msg.Owner); err != nil {
		return nil, err
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventStaked{
		StakeId: id, Owner: msg.Owner, DeviceId: msg.DeviceId, PoolId: pool.Id, Kind: s.Kind.String(), End: end}); err != nil {
		return nil, err
	}
	return &types.MsgStakeLPResponse{StakeId: id, Injected: in, FeeBurned: params.StakingFee, End: end}, nil
}

// RenewStake extends an active certificate by whole `loopin` epochs before
// its end. Errors, changing nothing: ErrInvalidAmount, ErrStakeNotFound,
// ErrDeviceNotOwned, ErrStakeEnded, ErrInvalidDuration (0 epochs), and
// x/pools' ErrPoolNotActive (retiring pool), ErrSlippage, insufficient funds.
func (ms msgServer) RenewStake(ctx context.Context, msg *types.MsgRenewStake) (*types.MsgRenewStakeResponse, error) {
	if msg.MaxUloopIn.IsNil() || msg.MaxUloopIn.IsNegative() {
		return nil, errorsmod.Wrap(types.ErrInvalidAmount, "max_uloop_in must be a non-negative uloop amount")
	}
	s, err := ms.stake(ctx, msg.StakeId)
	if err != nil {
		return nil, err
	}
	if s.Owner != msg.Owner {
		return nil, errorsmod.Wrapf(types.ErrDeviceNotOwned, "stake %d belongs to %s", s.Id, s.Owner)
	}
	if s.Kind != types.STAKE_KIND_LP {
		return nil, errorsmod.Wrapf(types.ErrInvalidDuration, "stake %d is a sale: sell more days with a new sale after it ends", s.Id)
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	if s.Status != types.STAKE_STATUS_ACTIVE || !sdkCtx.BlockTime().Before(s.End) {
		return nil, errorsmod.Wrapf(types.ErrStakeEnded, "stake %d is %s, ending %s: renew before the end", s.Id, s.Status, s.End.Format(time.RFC3339))
	}
	if msg.Epochs == 0 {
		return nil, errorsmod.Wrap(types.ErrInvalidDuration, "renew by at least one epoch")
	}
	info, err := ms.epochsKeeper.GetEpochInfo(sdkCtx, chaintypes.EpochIdentifier)
	if err != nil {
		return nil, err
	}
	added := time.Duration(msg.Epochs) * info.Duration
	newEnd := s.End.Add(added)
	in, err := ms.poolsKeeper.RenewPosition(ctx, s.DeviceId, newEnd, msg.MaxUloopIn)
	if err != nil {
		return nil, err
	}
	if err := ms.Expiry.Remove(ctx, collections.Join(s.End.Unix(), s.Id)); err != nil {
		return nil, err
	}
	if err := ms.Expiry.Set(ctx, collections.Join(newEnd.Unix(), s.Id)); err != nil {
		return nil, err
	}
	s.End = newEnd
	s.CommittedSeconds += uint64(added / time.Second)
	s.Injected = s.Injected.Add(in)
	if err := ms.Stakes.Set(ctx, s.Id, s); err != nil {
		return nil, err
	}
	if err := sdkCtx.EventManager().EmitTypedEvent(&types.EventStakeRenewed{StakeId: s.Id, End: newEnd}); err != nil {
		return nil, err
	}
	return &types.MsgRenewStakeResponse{End: newEnd, Injected: in}, nil
}

// BeginBlocker expires the certificates whose end has come: one step per
// certificate ending, never a scan. x/pools has settled and paid an LP
// position at the same time (its own queue runs first).
func (k Keeper) BeginBlocker(ctx context.Context) error {
	now := sdk.UnwrapSDKContext(ctx).BlockTime().Unix()
	it, err := k.Expiry.Iterate(ctx, new(collections.Range[collections.Pair[int64, uint64]]).EndInclusive(collections.Join(now, ^uint64(0))))
	if err != nil {
		return err
	}
	due, err := it.Keys()
	if err != nil {
		return err
	}
	for _, key := range due {
		if err := k.Expiry.Remove(ctx, key); err != nil {
			return err
		}
		s, err := k.stake(ctx, key.K2())
		if err != nil {
			return err
		}
		s.Status = types.STAKE_STATUS_EXPIRED
		if s.Kind == types.STAKE_KIND_SALE {
			// No verification failed: collateral and deposit come back.
			s.Payout = s.Collateral.Add(s.Deposit)
			if s.Payout.IsPositive() {
				owner, err := k.accountKeeper.AddressCodec().StringToBytes(s.Owner)
				if err != nil {
					return err
				}
				if err := k.bankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, owner, uloop(s.Payout)); err != nil {
					return err
				}
			}
		}
		if err := k.Stakes.Set(ctx, s.Id, s); err != nil {
			return err
		}
		if err := k.pocpsKeeper.SetDeviceStake(ctx, s.DeviceId, 0); err != nil && !errors.Is(err, pocpstypes.ErrDeviceNotFound) {
			return err
		}
		if err := k.stakeEnded(ctx, s.DeviceId); err != nil {
			return err
		}
		if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventStakeExpired{StakeId: s.Id, Returned: s.Payout}); err != nil {
			return err
		}
	}
	return nil
}

// Hooks returns the x/pocps hooks of x/stake: the failure path.
func (k Keeper) Hooks() pocpstypes.PocpsHooks { return hooks{k} }

type hooks struct{ k Keeper }

// AfterDeviceFailed invalidates the device's active certificate at once
// (PROTOCOL.md §3). LP stake: the position leaves its pool with its unsold
// time and matching uloop, returned to the miner with what it earned; a
// lease it served is broken and refunded from its escrow. Sale: the
// maintenance deposit is burned; from the collateral the broken lease's
// client is refunded its unused time; the rest of the collateral is burned;
// the sold time leaves the pool with its uloop to the LP positions. A device
// with no active certificate needs nothing.
func (h hooks) AfterDeviceFailed(ctx context.Context, deviceID uint64) error {
	k := h.k
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
	if s.Status != types.STAKE_STATUS_ACTIVE {
		return nil
	}
	res, err := k.poolsKeeper.FailPosition(ctx, deviceID)
	if err != nil {
		return err
	}
	refunded, burned := res.Refund, math.ZeroInt()
	if s.Kind == types.STAKE_KIND_SALE {
		toClient := math.MinInt(res.CollateralRefund, s.Collateral)
		if toClient.IsPositive() {
			client, err := k.accountKeeper.AddressCodec().StringToBytes(res.Client)
			if err != nil {
				return err
			}
			if err := k.bankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, client, uloop(toClient)); err != nil {
				return err
			}
		}
		refunded = refunded.Add(toClient)
		burned = s.Collateral.Sub(toClient).Add(s.Deposit)
		if burned.IsPositive() {
			if err := k.bankKeeper.BurnCoins(ctx, types.ModuleName, uloop(burned)); err != nil {
				return err
			}
		}
	}
	if err := k.Expiry.Remove(ctx, collections.Join(s.End.Unix(), s.Id)); err != nil {
		return err
	}
	s.Status, s.Payout = types.STAKE_STATUS_FAILED, res.Payout
	if err := k.Stakes.Set(ctx, s.Id, s); err != nil {
		return err
	}
	if err := k.pocpsKeeper.SetDeviceStake(ctx, deviceID, 0); err != nil {
		return err
	}
	if err := k.stakeEnded(ctx, deviceID); err != nil {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventStakeFailed{
		StakeId: s.Id, DeviceId: deviceID, Returned: res.Payout, Refunded: refunded, Burned: burned})
}

// AfterDeviceScored implements pocpstypes.PocpsHooks; x/stake does nothing.
func (hooks) AfterDeviceScored(context.Context, uint64) error { return nil }

func uloop(v math.Int) sdk.Coins { return sdk.NewCoins(sdk.NewCoin(chaintypes.BondDenom, v)) }

// SellCompute burns the staking fee, locks the collateral and the
// maintenance deposit, and sells whole days of a sealed device into its
// class's pool (PROTOCOL.md §2–3). Errors, changing nothing: invalid
// address, ErrInvalidAmount, ErrInvalidDuration (days outside
// [sell_min_days, sell_max_days]), the device checks of StakeLP, x/pools'
// ErrInsufficientLiquidity (no LP position in the pool) and ErrSlippage,
// insufficient funds for the fee, the collateral or the deposit.
func (ms msgServer) SellCompute(ctx context.Context, msg *types.MsgSellCompute) (*types.MsgSellComputeResponse, error) {
	owner, err := ms.accountKeeper.AddressCodec().StringToBytes(msg.Owner)
	if err != nil {
		return nil, errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "owner: %v", err)
	}
	if msg.MinUloopOut.IsNil() || msg.MinUloopOut.IsNegative() {
		return nil, errorsmod.Wrap(types.ErrInvalidAmount, "min_uloop_out must be a non-negative uloop amount")
	}
	params, err := ms.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	if msg.Days < params.SellMinDays || msg.Days > params.SellMaxDays {
		return nil, errorsmod.Wrapf(types.ErrInvalidDuration, "a sale covers %d to %d whole days, not %d", params.SellMinDays, params.SellMaxDays, msg.Days)
	}
	_, pool, err := ms.committable(ctx, msg.Owner, msg.DeviceId)
	if err != nil {
		return nil, err
	}
	d := time.Duration(msg.Days) * params.DayLength
	seconds := int64(d / time.Second)
	_, spot, err := ms.poolsKeeper.QuoteSell(ctx, pool.Id, seconds)
	if err != nil {
		return nil, err
	}
	// Both rounded up: the seller locks at least the rule's amount.
	collateral := spot.MulInt64(seconds).MulInt64(int64(params.CollateralMultiplier)).Ceil().TruncateInt()
	deposit := params.MaintenanceRate.MulInt64(seconds).Ceil().TruncateInt()
	seq, err := ms.StakeSeq.Next(ctx)
	if err != nil {
		return nil, err
	}
	id := seq + 1
	if err := ms.burnFee(ctx, id, owner, params.StakingFee); err != nil {
		return nil, err
	}
	if locked := collateral.Add(deposit); locked.IsPositive() {
		if err := ms.bankKeeper.SendCoinsFromAccountToModule(ctx, owner, types.ModuleName, uloop(locked)); err != nil {
			return nil, errorsmod.Wrapf(err, "collateral %suloop and maintenance deposit %suloop", collateral, deposit)
		}
	}
	now := sdk.UnwrapSDKContext(ctx).BlockTime().UTC()
	end := now.Add(d)
	proceeds, err := ms.poolsKeeper.OpenSale(ctx, pool.Id, msg.DeviceId, owner, end, msg.MinUloopOut)
	if err != nil {
		return nil, err
	}
	s := types.Stake{
		Id: id, Owner: msg.Owner, DeviceId: msg.DeviceId, PoolId: pool.Id, Kind: types.STAKE_KIND_SALE,
		Start: now, End: end, FeeBurned: params.StakingFee, CommittedSeconds: uint64(seconds), Injected: math.ZeroInt(),
		Collateral: collateral, Deposit: deposit, Status: types.STAKE_STATUS_ACTIVE, Payout: math.ZeroInt(),
	}
	if err := ms.Stakes.Set(ctx, id, s); err != nil {
		return nil, err
	}
	if err := ms.Expiry.Set(ctx, collections.Join(end.Unix(), id)); err != nil {
		return nil, err
	}
	if err := ms.pocpsKeeper.SetDeviceStake(ctx, msg.DeviceId, id); err != nil {
		return nil, err
	}
	if err := ms.stakeStarted(ctx, msg.DeviceId, msg.Owner); err != nil {
		return nil, err
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventStaked{
		StakeId: id, Owner: msg.Owner, DeviceId: msg.DeviceId, PoolId: pool.Id, Kind: s.Kind.String(), End: end}); err != nil {
		return nil, err
	}
	return &types.MsgSellComputeResponse{StakeId: id, Proceeds: proceeds, Collateral: collateral, Deposit: deposit, FeeBurned: params.StakingFee, End: end}, nil
}
