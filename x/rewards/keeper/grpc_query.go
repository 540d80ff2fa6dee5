package keeper

import (
	"context"
	"errors"
	"time"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	chaintypes "github.com/loopin-project/loopin/types"
	"github.com/loopin-project/loopin/x/rewards/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func (q Querier) amountOf(ctx context.Context, m collections.Map[sdk.AccAddress, math.Int], address string) (math.Int, error) {
	addr, err := q.accountKeeper.AddressCodec().StringToBytes(address)
	if err != nil {
		return math.Int{}, status.Errorf(codes.InvalidArgument, "invalid address %q: %v", address, err)
	}
	amt, err := m.Get(ctx, addr)
	if errors.Is(err, collections.ErrNotFound) {
		return math.ZeroInt(), nil
	} else if err != nil {
		return math.Int{}, status.Error(codes.Internal, err.Error())
	}
	return amt, nil
}

// Pending serves Query/Pending.
func (q Querier) Pending(ctx context.Context, req *types.QueryPendingRequest) (*types.QueryPendingResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	amt, err := q.amountOf(ctx, q.Keeper.Pending, req.Address)
	if err != nil {
		return nil, err
	}
	return &types.QueryPendingResponse{Amount: amt}, nil
}

// Minted serves Query/Minted.
func (q Querier) Minted(ctx context.Context, req *types.QueryMintedRequest) (*types.QueryMintedResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	amt, err := q.amountOf(ctx, q.Keeper.Minted, req.Address)
	if err != nil {
		return nil, err
	}
	return &types.QueryMintedResponse{Amount: amt}, nil
}

// Economics serves Query/Economics.
func (q Querier) Economics(ctx context.Context, req *types.QueryEconomicsRequest) (*types.QueryEconomicsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	params, err := q.Keeper.Params.Get(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	sp, err := q.stakeKeeper.GetParams(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	secs, err := q.epochSeconds(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	devices, err := q.poolsKeeper.CommittedDevices(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	epoch := int64(1)
	if info, err := q.epochsKeeper.GetEpochInfo(sdk.UnwrapSDKContext(ctx), chaintypes.EpochIdentifier); err == nil {
		epoch = max(info.CurrentEpoch, 1)
	}
	resp := &types.QueryEconomicsResponse{
		StakingFee: sp.StakingFee, MaintenanceRate: sp.MaintenanceRate,
		Gamma: Gamma(params, epoch, devices, secs), CommittedDevices: devices, EpochSeconds: uint64(secs),
	}
	tmin, ok := TMin(sp.StakingFee, resp.MaintenanceRate, resp.Gamma)
	if !ok {
		resp.Warning = true
		resp.WarningMessage = "β ≥ γ: the maintenance rate eats the whole reward rate, no stake pays back its staking fee"
		return resp, nil
	}
	resp.TMinSeconds = uint64(tmin)
	resp.TMin = (time.Duration(tmin) * time.Second).String()
	return resp, nil
}

// Epoch serves Query/Epoch.
func (q Querier) Epoch(ctx context.Context, req *types.QueryEpochRequest) (*types.QueryEpochResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	rec, err := q.Epochs.Get(ctx, req.Epoch)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, q.epochNotFound(ctx, req.Epoch)
	} else if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryEpochResponse{Emission: rec}, nil
}

// AllEpochs lists the epoch records kept by number, paginated
// (pagination.reverse for the newest first).
func (q Querier) AllEpochs(ctx context.Context, req *types.QueryAllEpochsRequest) (*types.QueryAllEpochsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	epochs, page, err := query.CollectionPaginate(ctx, q.Keeper.Epochs, req.Pagination,
		func(_ int64, e types.EpochEmission) (types.EpochEmission, error) { return e, nil })
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryAllEpochsResponse{Epochs: epochs, Pagination: page}, nil
}

// epochNotFound is the NotFound error for an epoch without a record: one
// older than the oldest record kept was pruned (epoch_retention).
func (q Querier) epochNotFound(ctx context.Context, epoch int64) error {
	it, err := q.Epochs.Iterate(ctx, nil)
	if err != nil {
		return status.Error(codes.Internal, err.Error())
	}
	defer it.Close()
	if it.Valid() {
		oldest, err := it.Key()
		if err != nil {
			return status.Error(codes.Internal, err.Error())
		}
		if epoch >= 1 && epoch < oldest {
			retention := uint64(0)
			if params, err := q.Keeper.Params.Get(ctx); err == nil {
				retention = params.EpochRetention
			}
			return status.Errorf(codes.NotFound, "the record of epoch %d was pruned: x/rewards keeps the last %d epochs (epoch_retention), the oldest kept is epoch %d",
				epoch, retention, oldest)
		}
	}
	return status.Errorf(codes.NotFound, "no emission recorded for epoch %d", epoch)
}

// Querier serves the x/rewards Query service.
type Querier struct {
	Keeper
}

var _ types.QueryServer = Querier{}

// NewQuerier returns the x/rewards Query service backed by k.
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
