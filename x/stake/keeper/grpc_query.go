package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	"github.com/loopin-project/loopin/x/stake/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Querier serves the x/stake Query service.
type Querier struct {
	Keeper
}

var _ types.QueryServer = Querier{}

// NewQuerier returns the x/stake Query service backed by k.
func NewQuerier(k Keeper) Querier {
	return Querier{Keeper: k}
}

// Params returns the current parameters.
func (q Querier) Params(ctx context.Context, req *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	params, err := q.Keeper.Params.Get(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryParamsResponse{Params: params}, nil
}

// Stake returns one certificate.
func (q Querier) Stake(ctx context.Context, req *types.QueryStakeRequest) (*types.QueryStakeResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	s, err := q.stake(ctx, req.StakeId)
	if errors.Is(err, types.ErrStakeNotFound) {
		return nil, status.Error(codes.NotFound, err.Error())
	} else if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryStakeResponse{Stake: s}, nil
}

// Stakes lists every certificate by id, paginated.
func (q Querier) Stakes(ctx context.Context, req *types.QueryStakesRequest) (*types.QueryStakesResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	stakes, page, err := query.CollectionPaginate(ctx, q.Keeper.Stakes, req.Pagination,
		func(_ uint64, s types.Stake) (types.Stake, error) { return s, nil })
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryStakesResponse{Stakes: stakes, Pagination: page}, nil
}

// StakesByOwner lists an owner's certificates by id, paginated.
func (q Querier) StakesByOwner(ctx context.Context, req *types.QueryStakesByOwnerRequest) (*types.QueryStakesResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	owner, err := q.accountKeeper.AddressCodec().StringToBytes(req.Owner)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "owner: %v", err)
	}
	stakes, page, err := query.CollectionPaginate(ctx, q.Keeper.Stakes.Indexes.ByOwner, req.Pagination,
		func(key collections.Pair[sdk.AccAddress, uint64], _ collections.NoValue) (types.Stake, error) {
			return q.Keeper.Stakes.Get(ctx, key.K2())
		}, query.WithCollectionPaginationPairPrefix[sdk.AccAddress, uint64](owner))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryStakesResponse{Stakes: stakes, Pagination: page}, nil
}

// StakesByDevice lists a device's certificates by id, paginated.
func (q Querier) StakesByDevice(ctx context.Context, req *types.QueryStakesByDeviceRequest) (*types.QueryStakesResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	stakes, page, err := query.CollectionPaginate(ctx, q.Keeper.Stakes.Indexes.ByDevice, req.Pagination,
		func(key collections.Pair[uint64, uint64], _ collections.NoValue) (types.Stake, error) {
			return q.Keeper.Stakes.Get(ctx, key.K2())
		}, query.WithCollectionPaginationPairPrefix[uint64, uint64](req.DeviceId))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryStakesResponse{Stakes: stakes, Pagination: page}, nil
}
