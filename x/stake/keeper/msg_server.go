package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/loopin-project/loopin/x/stake/types"
)

type msgServer struct {
	Keeper
}

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the x/stake Msg service backed by k.
func NewMsgServerImpl(k Keeper) types.MsgServer {
	return msgServer{Keeper: k}
}

// UpdateParams replaces all parameters. Errors: ErrInvalidSigner when the
// sender is not the authority, ErrInvalidParams when Validate fails or
// sale_grace_period is below types.MinSaleGracePeriod of x/pocps'
// challenge_interval and challenge_deadline and the `loopin` epoch, and
// x/rewards' ErrBalance; whatever the error, nothing changes.
func (ms msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if err := ms.checkAuthority(ctx, msg.Authority); err != nil {
		return nil, err
	}
	if err := msg.Params.Validate(); err != nil {
		return nil, err
	}
	if err := ms.checkGrace(ctx, msg.Params); err != nil {
		return nil, err
	}
	if ms.balance != nil {
		if err := ms.balance.CheckBalance(ctx, msg.Params.MaintenanceRate); err != nil {
			return nil, err
		}
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

// StakeLP burns the staking fee and commits a sealed device's time to its
// class's pool as an LP position (x/stake/README.md). Errors, changing
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
	return ms.Keeper.StakeLP(ctx, owner, msg.DeviceId, msg.Duration, msg.MaxUloopIn)
}

// RenewStake extends an active certificate by whole `loopin` epochs before
// its end. Errors, changing nothing: ErrInvalidAmount, ErrStakeNotFound,
// ErrDeviceNotOwned, ErrStakeEnded, ErrInvalidDuration (0 epochs), and
// x/pools' ErrPoolNotActive (retiring pool), ErrSlippage, insufficient funds.
func (ms msgServer) RenewStake(ctx context.Context, msg *types.MsgRenewStake) (*types.MsgRenewStakeResponse, error) {
	owner, err := ms.accountKeeper.AddressCodec().StringToBytes(msg.Owner)
	if err != nil {
		return nil, errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "owner: %v", err)
	}
	if msg.MaxUloopIn.IsNil() || msg.MaxUloopIn.IsNegative() {
		return nil, errorsmod.Wrap(types.ErrInvalidAmount, "max_uloop_in must be a non-negative uloop amount")
	}
	return ms.Keeper.RenewStake(ctx, owner, msg.StakeId, msg.Epochs, msg.MaxUloopIn)
}

// SellCompute burns the staking fee, locks the collateral and the
// maintenance deposit, and sells whole days of a sealed device into its
// class's pool (x/pools/README.md, x/stake/README.md). Errors, changing nothing: invalid
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
	return ms.Keeper.SellCompute(ctx, owner, msg.DeviceId, msg.Days, msg.MinUloopOut)
}
