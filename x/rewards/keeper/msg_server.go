package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/loopin-project/loopin/x/rewards/types"
)

// ClaimRewards pays the claimant its pending rewards from the module
// account. Errors, changing nothing: ErrInvalidAddress, ErrNothingToClaim.
func (ms msgServer) ClaimRewards(ctx context.Context, msg *types.MsgClaimRewards) (*types.MsgClaimRewardsResponse, error) {
	addr, err := ms.accountKeeper.AddressCodec().StringToBytes(msg.Claimant)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidAddress, "%q: %v", msg.Claimant, err)
	}
	return ms.Keeper.ClaimRewards(ctx, addr)
}

type msgServer struct {
	Keeper
}

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the x/rewards Msg service backed by k.
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
	sp, err := ms.stakeKeeper.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	if err := ms.checkBalance(ctx, msg.Params, sp.MaintenanceRate); err != nil {
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
