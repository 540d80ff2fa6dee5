package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	"github.com/loopin-project/loopin/x/pools/types"
)

// splitPool separates a pool's static parameters from what trades change.
func splitPool(p types.Pool) (state, static types.Pool) {
	state = p
	state.ReferencePrice, state.WBench = math.LegacyDec{}, math.Int{}
	state.Seal, state.ResidencyDeadline, state.GemmDeadline = types.ClassSealParams{}, 0, 0
	static = types.Pool{Id: p.Id, ReferencePrice: p.ReferencePrice, WBench: p.WBench, Seal: p.Seal,
		ResidencyDeadline: p.ResidencyDeadline, GemmDeadline: p.GemmDeadline}
	return state, static
}

// mergePool puts a pool's static parameters back into its state.
func mergePool(state, static types.Pool) types.Pool {
	state.ReferencePrice, state.WBench, state.Seal = static.ReferencePrice, static.WBench, static.Seal
	state.ResidencyDeadline, state.GemmDeadline = static.ResidencyDeadline, static.GemmDeadline
	return state
}

// setPool writes a whole pool (creation, genesis).
func (k Keeper) setPool(ctx context.Context, p types.Pool) error {
	state, static := splitPool(p)
	if err := k.Pools.Set(ctx, p.Id, state); err != nil {
		return err
	}
	return k.PoolStatics.Set(ctx, p.Id, static)
}

// setPoolState writes what trades change, not the static parameters.
func (k Keeper) setPoolState(ctx context.Context, p types.Pool) error {
	state, _ := splitPool(p)
	return k.Pools.Set(ctx, p.Id, state)
}

// poolState reads a pool without its static parameters (a trade's read).
// Errors: ErrPoolNotFound.
func (k Keeper) poolState(ctx context.Context, id uint64) (types.Pool, error) {
	pool, err := k.Pools.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Pool{}, errorsmod.Wrapf(types.ErrPoolNotFound, "pool %d", id)
	}
	return pool, err
}

// withStatics merges the static parameters into a pool state.
func (k Keeper) withStatics(ctx context.Context, state types.Pool) (types.Pool, error) {
	static, err := k.PoolStatics.Get(ctx, state.Id)
	if err != nil {
		return types.Pool{}, err
	}
	return mergePool(state, static), nil
}

// getPool reads a whole pool. Errors: ErrPoolNotFound.
func (k Keeper) getPool(ctx context.Context, id uint64) (types.Pool, error) {
	state, err := k.poolState(ctx, id)
	if err != nil {
		return types.Pool{}, err
	}
	return k.withStatics(ctx, state)
}
