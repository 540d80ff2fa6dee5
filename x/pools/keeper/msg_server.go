package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/loopin-project/loopin/x/pools/types"
)

// BuyLease matches the idle device with the longest remaining commitment
// (or takes the one device_id names) and sells its time at the
// quote ⌈L·ln(H/(H−h))⌉ (docs/pools.md "Price rule"). Errors, changing nothing:
// invalid address, ErrInvalidAmount, ErrInvalidTime, ErrDeadlinePassed,
// ErrPoolNotFound, ErrPoolNotActive (retired), ErrPoolBusy,
// ErrInvalidDuration, ErrNoIdleDevice, ErrDeviceNotInPool,
// ErrDeviceNotIdle, ErrNotCovered, ErrCommitmentEndsEarly,
// ErrInsufficientLiquidity, ErrSlippage, insufficient funds.
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
	if err := types.ValidateMinCommitmentEnd(msg.MinCommitmentEnd); err != nil {
		return nil, err
	}
	return ms.Keeper.BuyLease(ctx, client, msg.GpuClass, msg.Duration, msg.MaxUloopIn,
		types.DeviceChoice{DeviceID: msg.DeviceId, MinCommitmentEnd: msg.MinCommitmentEnd})
}

// ExtendLease buys more time on the lease's device at the path-independent
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
	return ms.Keeper.ExtendLease(ctx, client, msg.LeaseId, msg.Duration, msg.MaxUloopIn)
}

// TerminateLease ends a lease now: the unused time returns to the pool,
// the client gets the unreleased escrow less the exchange fee (burned).
// Errors, changing nothing: ErrInvalidAmount, ErrDeadlinePassed,
// ErrLeaseNotFound, ErrNotLeaseClient, ErrLeaseEnded, ErrSlippage.
func (ms msgServer) TerminateLease(ctx context.Context, msg *types.MsgTerminateLease) (*types.MsgTerminateLeaseResponse, error) {
	client, err := ms.accountKeeper.AddressCodec().StringToBytes(msg.Client)
	if err != nil {
		return nil, errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "client: %v", err)
	}
	if err := checkAmount("min_refund", msg.MinRefund); err != nil {
		return nil, err
	}
	if err := checkDeadline(ctx, msg.Deadline); err != nil {
		return nil, err
	}
	return ms.Keeper.TerminateLease(ctx, client, msg.LeaseId, msg.MinRefund)
}

type msgServer struct {
	Keeper
}

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the x/pools Msg service backed by k.
func NewMsgServerImpl(k Keeper) types.MsgServer {
	return msgServer{Keeper: k}
}

// UpdateParams replaces all parameters. Errors: ErrInvalidSigner when the
// sender is not the authority, ErrInvalidParams when Validate fails; either
// way nothing changes.
func (ms msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if err := ms.checkAuthority(ctx, msg.Authority); err != nil {
		return nil, err
	}
	if err := msg.Params.Validate(); err != nil {
		return nil, err
	}
	if err := ms.Params.Set(ctx, msg.Params); err != nil {
		return nil, err
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventParamsUpdated{
		Authority: msg.Authority,
		Params:    msg.Params,
	}); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, nil
}

// CreatePool opens an empty active pool for a new class. Errors, changing
// nothing: ErrInvalidSigner, ErrInvalidPool, ErrPoolExists.
func (ms msgServer) CreatePool(ctx context.Context, msg *types.MsgCreatePool) (*types.MsgCreatePoolResponse, error) {
	if err := ms.checkAuthority(ctx, msg.Authority); err != nil {
		return nil, err
	}
	id, err := ms.Keeper.CreatePool(ctx, msg.Class)
	if err != nil {
		return nil, err
	}
	return &types.MsgCreatePoolResponse{PoolId: id}, nil
}

// SetPoolStatus changes a pool's status. Errors, changing nothing:
// ErrInvalidSigner, ErrPoolNotFound, ErrInvalidPool (unspecified status).
func (ms msgServer) SetPoolStatus(ctx context.Context, msg *types.MsgSetPoolStatus) (*types.MsgSetPoolStatusResponse, error) {
	if err := ms.checkAuthority(ctx, msg.Authority); err != nil {
		return nil, err
	}
	if _, ok := types.PoolStatus_name[int32(msg.Status)]; !ok || msg.Status == types.POOL_STATUS_UNSPECIFIED {
		return nil, errorsmod.Wrapf(types.ErrInvalidPool, "status %d is not active, retiring or retired", msg.Status)
	}
	if err := ms.Keeper.SetPoolStatus(ctx, msg.PoolId, msg.Status); err != nil {
		return nil, err
	}
	return &types.MsgSetPoolStatusResponse{}, nil
}
