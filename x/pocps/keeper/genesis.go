package keeper

import (
	"context"
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/loopin-project/loopin/x/pocps/types"
)

// InitGenesis validates gs and writes it to the store.
func (k Keeper) InitGenesis(ctx context.Context, gs types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	for _, d := range gs.Devices {
		if err := k.Devices.Set(ctx, d.Id, d); err != nil {
			return err
		}
	}
	for _, v := range gs.Verifiers {
		valAddr, err := k.stakingKeeper.ValidatorAddressCodec().StringToBytes(v.Validator)
		if err != nil {
			return fmt.Errorf("verifier %q: %w", v.Validator, err)
		}
		if err := k.Verifiers.Set(ctx, valAddr, v); err != nil {
			return err
		}
	}
	// The sequence holds next id − 1 (ids start at 1).
	return k.DeviceSeq.Set(ctx, max(gs.NextDeviceId, 1)-1)
}

// ExportGenesis reads the module state back into a GenesisState that
// InitGenesis accepts.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: params}
	if err := k.Devices.Walk(ctx, nil, func(_ uint64, d types.Device) (bool, error) {
		gs.Devices = append(gs.Devices, d)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Verifiers.Walk(ctx, nil, func(_ sdk.ValAddress, v types.Verifier) (bool, error) {
		gs.Verifiers = append(gs.Verifiers, v)
		return false, nil
	}); err != nil {
		return nil, err
	}
	seq, err := k.DeviceSeq.Peek(ctx)
	if err != nil {
		return nil, err
	}
	gs.NextDeviceId = seq + 1
	return gs, nil
}
