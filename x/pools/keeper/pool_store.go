package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	"github.com/loopin-project/loopin/x/pools/types"
)

// getPool reads a pool's state (reserves and indices), what trades read and
// write. Errors: ErrPoolNotFound.
func (k Keeper) getPool(ctx context.Context, id uint64) (types.Pool, error) {
	pool, err := k.Pools.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Pool{}, errorsmod.Wrapf(types.ErrPoolNotFound, "pool %d", id)
	}
	return pool, err
}

// setPool writes a pool's state.
func (k Keeper) setPool(ctx context.Context, p types.Pool) error {
	return k.Pools.Set(ctx, p.Id, p)
}

// GPUClass returns the static class record of pool poolID: reference price
// (uloop per GPU-second), W_bench (int8 ops/s), seal sizes and challenge
// deadlines. It is the one reader of GpuClasses. Errors: ErrPoolNotFound.
func (k Keeper) GPUClass(ctx context.Context, poolID uint64) (types.GpuClass, error) {
	c, err := k.GpuClasses.Get(ctx, poolID)
	if errors.Is(err, collections.ErrNotFound) {
		return types.GpuClass{}, errorsmod.Wrapf(types.ErrPoolNotFound, "pool %d", poolID)
	}
	return c, err
}
