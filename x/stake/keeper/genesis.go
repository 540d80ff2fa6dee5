package keeper

import (
	"context"

	"cosmossdk.io/collections"
	"github.com/loopin-project/loopin/x/stake/types"
)

// InitGenesis validates gs and writes it to the store; the expiry queue is
// rebuilt from the active certificates.
func (k Keeper) InitGenesis(ctx context.Context, gs types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	for _, s := range gs.Stakes {
		if err := k.Stakes.Set(ctx, s.Id, s); err != nil {
			return err
		}
		if s.Status == types.STAKE_STATUS_ACTIVE {
			if err := k.Expiry.Set(ctx, collections.Join(s.End.Unix(), s.Id)); err != nil {
				return err
			}
		}
	}
	return k.StakeSeq.Set(ctx, max(gs.NextStakeId, 1)-1)
}

// ExportGenesis reads the module state back into a GenesisState that
// InitGenesis accepts.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: params}
	if err := k.Stakes.Walk(ctx, nil, func(_ uint64, s types.Stake) (bool, error) {
		gs.Stakes = append(gs.Stakes, s)
		return false, nil
	}); err != nil {
		return nil, err
	}
	seq, err := k.StakeSeq.Peek(ctx)
	if err != nil {
		return nil, err
	}
	gs.NextStakeId = seq + 1
	return gs, nil
}
