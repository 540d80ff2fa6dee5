package keeper

import (
	"context"
	"errors"
	"strconv"

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
	if msg.Authority != ms.authority {
		return nil, errorsmod.Wrapf(types.ErrInvalidSigner, "expected %s, got %s", ms.authority, msg.Authority)
	}
	pool := msg.Pool
	pool.Status, pool.H, pool.L, pool.Pi, pool.Escrow = types.POOL_STATUS_ACTIVE, math.ZeroInt(), math.ZeroInt(), math.ZeroInt(), math.ZeroInt()
	pool.Idle, pool.Devices, pool.IdleSold = 0, 0, 0
	pool.HSold, pool.J, pool.K, pool.Orphaned = math.ZeroInt(), math.ZeroInt(), math.ZeroInt(), math.ZeroInt()
	pool.AccountedAt = sdk.UnwrapSDKContext(ctx).BlockTime()
	if err := pool.Validate(); err != nil {
		return nil, err
	}
	if has, err := ms.ClassIndex.Has(ctx, pool.GpuClass); err != nil {
		return nil, err
	} else if has {
		return nil, errorsmod.Wrapf(types.ErrPoolExists, "class %q", pool.GpuClass)
	}
	id, err := ms.PoolSeq.Next(ctx)
	if err != nil {
		return nil, err
	}
	pool.Id = id + 1
	if err := ms.setPool(ctx, pool); err != nil {
		return nil, err
	}
	if err := ms.ClassIndex.Set(ctx, pool.GpuClass, pool.Id); err != nil {
		return nil, err
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventPoolCreated{PoolId: pool.Id, GpuClass: pool.GpuClass}); err != nil {
		return nil, err
	}
	return &types.MsgCreatePoolResponse{PoolId: pool.Id}, nil
}

// SetPoolStatus changes a pool's status. Errors, changing nothing:
// ErrInvalidSigner, ErrPoolNotFound, ErrInvalidPool (unspecified status).
func (ms msgServer) SetPoolStatus(ctx context.Context, msg *types.MsgSetPoolStatus) (*types.MsgSetPoolStatusResponse, error) {
	if msg.Authority != ms.authority {
		return nil, errorsmod.Wrapf(types.ErrInvalidSigner, "expected %s, got %s", ms.authority, msg.Authority)
	}
	if _, ok := types.PoolStatus_name[int32(msg.Status)]; !ok || msg.Status == types.POOL_STATUS_UNSPECIFIED {
		return nil, errorsmod.Wrapf(types.ErrInvalidPool, "status %d is not active, retiring or retired", msg.Status)
	}
	pool, err := ms.poolState(ctx, msg.PoolId)
	if err != nil {
		return nil, err
	}
	pool.Status = msg.Status
	if err := ms.setPoolState(ctx, pool); err != nil {
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
	return pool.Status == types.POOL_STATUS_ACTIVE, pool.Seal.ProofParams(), pool.WBench, nil
}

// Pools lists every pool by id, paginated.
func (q Querier) Pools(ctx context.Context, req *types.QueryPoolsRequest) (*types.QueryPoolsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	pools, page, err := query.CollectionPaginate(ctx, q.Keeper.Pools, req.Pagination,
		func(_ uint64, p types.Pool) (types.Pool, error) { return q.withStatics(ctx, p) })
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryPoolsResponse{Pools: pools, Pagination: page}, nil
}

// Pool returns one pool by id or by GPU class.
func (q Querier) Pool(ctx context.Context, req *types.QueryPoolRequest) (*types.QueryPoolResponse, error) {
	if req == nil || req.Pool == "" {
		return nil, status.Error(codes.InvalidArgument, "give a pool id or a GPU class")
	}
	var pool types.Pool
	var err error
	if id, perr := strconv.ParseUint(req.Pool, 10, 64); perr == nil {
		pool, err = q.getPool(ctx, id)
	} else {
		pool, err = q.PoolByClass(ctx, req.Pool)
	}
	if errors.Is(err, types.ErrPoolNotFound) {
		return nil, status.Error(codes.NotFound, err.Error())
	} else if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryPoolResponse{Pool: pool}, nil
}

// CommittedDevices counts the devices committed to every pool (x/rewards'
// economics). It reads each pool once: O(pools).
func (k Keeper) CommittedDevices(ctx context.Context) (uint64, error) {
	var n uint64
	err := k.Pools.Walk(ctx, nil, func(_ uint64, p types.Pool) (bool, error) {
		n += p.Devices
		return false, nil
	})
	return n, err
}
