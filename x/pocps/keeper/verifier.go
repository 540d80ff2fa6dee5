package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
	"github.com/loopin-project/loopin/proof"
	"github.com/loopin-project/loopin/x/pocps/types"
)

// RegisterVerifier registers or updates the verifier sidecar of the
// validator whose operator signs. Errors, changing nothing:
// ErrInvalidVerifier (addresses, endpoint, VRF key), ErrNotBondedValidator,
// ErrHotKeyTaken.
func (k Keeper) RegisterVerifier(ctx context.Context, msg *types.MsgRegisterVerifier) (*types.MsgRegisterVerifierResponse, error) {
	ac := k.accountKeeper.AddressCodec()
	operator, err := ac.StringToBytes(msg.Operator)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidVerifier, "invalid operator address %q: %v", msg.Operator, err)
	}
	hotKey, err := ac.StringToBytes(msg.HotKey)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidVerifier, "invalid hot key address %q: %v", msg.HotKey, err)
	}
	if err := types.ValidateEndpoint(msg.Endpoint); err != nil {
		return nil, errorsmod.Wrap(types.ErrInvalidVerifier, err.Error())
	}
	if err := proof.ValidateVRFKey(msg.VrfKey); err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidVerifier, "vrf_key: %v", err)
	}
	valAddr := sdk.ValAddress(operator)
	valStr, err := k.stakingKeeper.ValidatorAddressCodec().BytesToString(valAddr)
	if err != nil {
		return nil, err
	}
	val, err := k.stakingKeeper.Validator(ctx, valAddr)
	if errors.Is(err, stakingtypes.ErrNoValidatorFound) || (err == nil && val == nil) {
		return nil, errorsmod.Wrapf(types.ErrNotBondedValidator, "%s is not a validator", valStr)
	} else if err != nil {
		return nil, err
	}
	if !val.IsBonded() || val.IsJailed() {
		return nil, errorsmod.Wrapf(types.ErrNotBondedValidator, "validator %s is %s (jailed: %t)", valStr, val.GetStatus(), val.IsJailed())
	}
	if owner, err := k.Verifiers.Indexes.ByHotKey.MatchExact(ctx, hotKey); err == nil && !owner.Equals(valAddr) {
		return nil, errorsmod.Wrapf(types.ErrHotKeyTaken, "hot key %s", msg.HotKey)
	} else if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return nil, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	v := types.Verifier{Validator: valStr, HotKey: msg.HotKey, Endpoint: msg.Endpoint, VrfKey: msg.VrfKey, RegisteredAt: sdkCtx.BlockTime()}
	// Misses live in the Misses map, not here: re-registering, even after
	// jailing removed the record, does not reset them.
	if err := k.Verifiers.Set(ctx, valAddr, v); err != nil {
		return nil, err
	}
	if err := sdkCtx.EventManager().EmitTypedEvent(&types.EventVerifierRegistered{
		Validator: valStr, HotKey: msg.HotKey, Endpoint: msg.Endpoint,
	}); err != nil {
		return nil, err
	}
	return &types.MsgRegisterVerifierResponse{}, nil
}

// removeVerifier deletes the verifier of valAddr, if any, with an event.
func (k Keeper) removeVerifier(ctx context.Context, valAddr sdk.ValAddress, reason string) error {
	v, err := k.Verifiers.Get(ctx, valAddr)
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if err := k.Verifiers.Remove(ctx, valAddr); err != nil {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventVerifierRemoved{Validator: v.Validator, Reason: reason})
}
