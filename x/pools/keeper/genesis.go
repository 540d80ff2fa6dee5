package keeper

import (
	"context"

	"github.com/loopin-project/loopin/x/pools/types"
)

// InitGenesis validates gs and writes it to the store.
func (k Keeper) InitGenesis(ctx context.Context, gs types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	for _, p := range gs.Pools {
		if err := k.Pools.Set(ctx, p.Id, p); err != nil {
			return err
		}
	}
	return k.PoolSeq.Set(ctx, max(gs.NextPoolId, 1)-1)
}

// ExportGenesis reads the module state back into a GenesisState that
// InitGenesis accepts.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: params}
	if err := k.Pools.Walk(ctx, nil, func(_ uint64, p types.Pool) (bool, error) {
		gs.Pools = append(gs.Pools, p)
		return false, nil
	}); err != nil {
		return nil, err
	}
	seq, err := k.PoolSeq.Peek(ctx)
	if err != nil {
		return nil, err
	}
	gs.NextPoolId = seq + 1
	return gs, nil
}
