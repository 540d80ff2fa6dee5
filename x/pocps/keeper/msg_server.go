package keeper

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/loopin-project/loopin/x/pocps/types"
)

type msgServer struct {
	Keeper
}

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the x/pocps Msg service backed by k.
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

// SubmitSetupResult handles MsgSubmitSetupResult: Keeper.SubmitSetupResult.
func (ms msgServer) SubmitSetupResult(ctx context.Context, msg *types.MsgSubmitSetupResult) (*types.MsgSubmitSetupResultResponse, error) {
	return ms.Keeper.SubmitSetupResult(ctx, msg)
}

// SubmitChallengeResult handles MsgSubmitChallengeResult: Keeper.SubmitChallengeResult.
func (ms msgServer) SubmitChallengeResult(ctx context.Context, msg *types.MsgSubmitChallengeResult) (*types.MsgSubmitChallengeResultResponse, error) {
	return ms.Keeper.SubmitChallengeResult(ctx, msg)
}

// RegisterDevice handles MsgRegisterDevice: Keeper.RegisterDevice.
func (ms msgServer) RegisterDevice(ctx context.Context, msg *types.MsgRegisterDevice) (*types.MsgRegisterDeviceResponse, error) {
	return ms.Keeper.RegisterDevice(ctx, msg)
}

// UpdateDevice handles MsgUpdateDevice: Keeper.UpdateDevice.
func (ms msgServer) UpdateDevice(ctx context.Context, msg *types.MsgUpdateDevice) (*types.MsgUpdateDeviceResponse, error) {
	return ms.Keeper.UpdateDevice(ctx, msg)
}

// DeregisterDevice handles MsgDeregisterDevice: Keeper.DeregisterDevice.
func (ms msgServer) DeregisterDevice(ctx context.Context, msg *types.MsgDeregisterDevice) (*types.MsgDeregisterDeviceResponse, error) {
	return ms.Keeper.DeregisterDevice(ctx, msg)
}

// RegisterVerifier handles MsgRegisterVerifier: Keeper.RegisterVerifier.
func (ms msgServer) RegisterVerifier(ctx context.Context, msg *types.MsgRegisterVerifier) (*types.MsgRegisterVerifierResponse, error) {
	return ms.Keeper.RegisterVerifier(ctx, msg)
}
