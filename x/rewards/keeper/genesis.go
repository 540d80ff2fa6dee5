package keeper

import (
	"context"

	"github.com/loopin-project/loopin/x/rewards/types"
)

// InitGenesis validates gs and writes it to the store.
func (k Keeper) InitGenesis(ctx context.Context, gs types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	for _, e := range gs.Epochs {
		if err := k.Epochs.Set(ctx, e.Epoch, e); err != nil {
			return err
		}
	}
	return nil
}

// ExportGenesis reads the module state back into a GenesisState that
// InitGenesis accepts.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: params}
	err = k.Epochs.Walk(ctx, nil, func(_ int64, e types.EpochEmission) (bool, error) {
		gs.Epochs = append(gs.Epochs, e)
		return false, nil
	})
	return gs, err
}
