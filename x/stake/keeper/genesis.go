package keeper

import (
	"context"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/loopin-project/loopin/x/stake/types"
)

// InitGenesis validates gs and writes it to the store; the queues are
// rebuilt from the certificates: Expiry from the active ones (by end),
// Release from the sales in their grace (by release_at), Prune from the
// ended ones (by prune_at; an ended certificate without one, from a
// genesis written before pruning, gets the genesis time + stake_retention).
func (k Keeper) InitGenesis(ctx context.Context, gs types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	genesisTime := sdk.UnwrapSDKContext(ctx).BlockTime().UTC()
	for _, s := range gs.Stakes {
		var err error
		switch s.Status {
		case types.STAKE_STATUS_ACTIVE:
			err = k.Expiry.Set(ctx, collections.Join(s.End.Unix(), s.Id))
		case types.STAKE_STATUS_GRACE:
			err = k.Release.Set(ctx, collections.Join(s.ReleaseAt.Unix(), s.Id))
		case types.STAKE_STATUS_EXPIRED, types.STAKE_STATUS_FAILED:
			if s.PruneAt.IsZero() {
				s.PruneAt = genesisTime.Add(gs.Params.StakeRetention)
			}
			err = k.Prune.Set(ctx, collections.Join(s.PruneAt.Unix(), s.Id))
		}
		if err != nil {
			return err
		}
		if err := k.Stakes.Set(ctx, s.Id, s); err != nil {
			return err
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
