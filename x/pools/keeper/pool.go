package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/loopin-project/loopin/proof"
	"github.com/loopin-project/loopin/x/pools/types"
)

// CreatePool opens an empty active pool for a new class. Errors, changing
// nothing: ErrInvalidSigner, ErrInvalidPool, ErrPoolExists.
func (ms msgServer) CreatePool(ctx context.Context, msg *types.MsgCreatePool) (*types.MsgCreatePoolResponse, error) {
	if err := ms.checkAuthority(ctx, msg.Authority); err != nil {
		return nil, err
	}
	id, err := ms.Keeper.CreatePool(ctx, msg.Class)
	if err != nil {
		return nil, err
	}
	return &types.MsgCreatePoolResponse{PoolId: id}, nil
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

// SetPoolStatus changes a pool's status. Errors, changing nothing:
// ErrInvalidSigner, ErrPoolNotFound, ErrInvalidPool (unspecified status).
func (ms msgServer) SetPoolStatus(ctx context.Context, msg *types.MsgSetPoolStatus) (*types.MsgSetPoolStatusResponse, error) {
	if err := ms.checkAuthority(ctx, msg.Authority); err != nil {
		return nil, err
	}
	if _, ok := types.PoolStatus_name[int32(msg.Status)]; !ok || msg.Status == types.POOL_STATUS_UNSPECIFIED {
		return nil, errorsmod.Wrapf(types.ErrInvalidPool, "status %d is not active, retiring or retired", msg.Status)
	}
	pool, err := ms.getPool(ctx, msg.PoolId)
	if err != nil {
		return nil, err
	}
	pool.Status = msg.Status
	if err := ms.setPool(ctx, pool); err != nil {
		return nil, err
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventPoolStatusChanged{PoolId: pool.Id, Status: pool.Status.String()}); err != nil {
		return nil, err
	}
	return &types.MsgSetPoolStatusResponse{}, nil
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

// Pools lists every pool by id, paginated.
func (q Querier) Pools(ctx context.Context, req *types.QueryPoolsRequest) (*types.QueryPoolsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	pools, page, err := query.CollectionPaginate(ctx, q.Keeper.Pools, req.Pagination,
		func(_ uint64, p types.Pool) (types.Pool, error) { return p, nil })
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryPoolsResponse{Pools: pools, Pagination: page}, nil
}

// Pool returns one pool's state and class record, by GPU class or, with
// gpu_class empty, by pool id.
func (q Querier) Pool(ctx context.Context, req *types.QueryPoolRequest) (*types.QueryPoolResponse, error) {
	if req == nil || (req.GpuClass == "" && req.PoolId == 0) {
		return nil, status.Error(codes.InvalidArgument, "give a GPU class (e.g. rtx-4090) or --pool-id")
	}
	var pool types.Pool
	var err error
	if req.GpuClass != "" {
		pool, err = q.PoolByClass(ctx, req.GpuClass)
	} else {
		pool, err = q.getPool(ctx, req.PoolId)
	}
	var class types.GpuClass
	if err == nil {
		class, err = q.GPUClass(ctx, pool.Id)
	}
	if errors.Is(err, types.ErrPoolNotFound) {
		return nil, status.Error(codes.NotFound, err.Error())
	} else if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryPoolResponse{Pool: pool, Class: class}, nil
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
