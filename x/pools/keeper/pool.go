package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/loopin-project/loopin/proof"
	"github.com/loopin-project/loopin/x/pools/types"
)

// LeasedSeconds is the leased GPU-seconds of every pool since genesis,
// each accounted to its last touch (x/rewards reads it at epoch ends, after
// x/pools' own epoch hook has touched every pool).
func (k Keeper) LeasedSeconds(ctx context.Context) (math.Int, error) {
	total := math.ZeroInt()
	err := k.Pools.Walk(ctx, nil, func(_ uint64, p types.Pool) (bool, error) {
		total = total.Add(intOr0(p.LeasedSeconds))
		return false, nil
	})
	return total, err
}

// CreatePool opens an empty, active pool for class (its PoolId is
// ignored) accounted at the block time, stores the class record and returns
// the new pool's id. Errors, changing nothing: ErrInvalidPool, ErrPoolExists.
func (k Keeper) CreatePool(ctx context.Context, class types.GpuClass) (uint64, error) {
	if err := class.Validate(); err != nil {
		return 0, err
	}
	if has, err := k.ClassIndex.Has(ctx, class.Name); err != nil {
		return 0, err
	} else if has {
		return 0, errorsmod.Wrapf(types.ErrPoolExists, "class %q", class.Name)
	}
	seq, err := k.PoolSeq.Next(ctx)
	if err != nil {
		return 0, err
	}
	class.PoolId = seq + 1
	pool := types.NewPool(class.PoolId, class.Name, sdk.UnwrapSDKContext(ctx).BlockTime())
	if err := k.setPool(ctx, pool); err != nil {
		return 0, err
	}
	if err := k.GpuClasses.Set(ctx, class.PoolId, class); err != nil {
		return 0, err
	}
	if err := k.ClassIndex.Set(ctx, class.Name, class.PoolId); err != nil {
		return 0, err
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventPoolCreated{PoolId: pool.Id, GpuClass: pool.GpuClass}); err != nil {
		return 0, err
	}
	return pool.Id, nil
}

// PoolByClass returns the pool of a GPU class; ErrPoolNotFound when none.
func (k Keeper) PoolByClass(ctx context.Context, class string) (types.Pool, error) {
	id, err := k.ClassIndex.Get(ctx, class)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Pool{}, errorsmod.Wrapf(types.ErrPoolNotFound, "no pool for class %q", class)
	} else if err != nil {
		return types.Pool{}, err
	}
	return k.getPool(ctx, id)
}

// ClassInfo is what x/pocps reads about a class: whether its pool takes new
// devices (active), the seal sizes registrations must use, and W_bench.
// Errors: ErrPoolNotFound.
func (k Keeper) ClassInfo(ctx context.Context, class string) (active bool, seal proof.Params, wBench math.Int, err error) {
	pool, err := k.PoolByClass(ctx, class)
	if err != nil {
		return false, proof.Params{}, math.Int{}, err
	}
	gc, err := k.GPUClass(ctx, pool.Id)
	if err != nil {
		return false, proof.Params{}, math.Int{}, err
	}
	return pool.Status == types.POOL_STATUS_ACTIVE, gc.Seal.ProofParams(), gc.WBench, nil
}

// CommittedDevices counts the devices committed to every pool (x/rewards'
// economics). It reads each pool once: O(pools).
func (k Keeper) CommittedDevices(ctx context.Context) (uint64, error) {
	var n uint64
	err := k.Pools.Walk(ctx, nil, func(_ uint64, p types.Pool) (bool, error) {
		n += p.CommittedDevices
		return false, nil
	})
	return n, err
}

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

// SetPoolStatus changes pool poolID's status (governance: retire or
// reactivate). Errors, changing nothing: ErrPoolNotFound.
func (k Keeper) SetPoolStatus(ctx context.Context, poolID uint64, status types.PoolStatus) error {
	pool, err := k.getPool(ctx, poolID)
	if err != nil {
		return err
	}
	pool.Status = status
	if err := k.setPool(ctx, pool); err != nil {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventPoolStatusChanged{PoolId: pool.Id, Status: pool.Status.String()})
}
