package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	"github.com/loopin-project/loopin/x/pocps/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Querier serves the x/pocps Query service.
type Querier struct {
	Keeper
}

var _ types.QueryServer = Querier{}

// NewQuerier returns the x/pocps Query service backed by k.
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

// Device returns one device; codes.NotFound when it does not exist.
func (q Querier) Device(ctx context.Context, req *types.QueryDeviceRequest) (*types.QueryDeviceResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	device, err := q.Keeper.Devices.Get(ctx, req.DeviceId)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "device %d not found", req.DeviceId)
	} else if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryDeviceResponse{Device: device}, nil
}

// Devices lists every device, or those of req.GpuClass, by id, paginated.
func (q Querier) Devices(ctx context.Context, req *types.QueryDevicesRequest) (*types.QueryDevicesResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	var keep func(uint64, types.Device) (bool, error)
	if req.GpuClass != "" {
		keep = func(_ uint64, d types.Device) (bool, error) { return d.GpuClass == req.GpuClass, nil }
	}
	devices, page, err := query.CollectionFilteredPaginate(ctx, q.Keeper.Devices, req.Pagination, keep,
		func(_ uint64, d types.Device) (types.Device, error) { return d, nil })
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryDevicesResponse{Devices: devices, Pagination: page}, nil
}

// DevicesByOwner lists one owner's devices by id, paginated.
func (q Querier) DevicesByOwner(ctx context.Context, req *types.QueryDevicesByOwnerRequest) (*types.QueryDevicesByOwnerResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	owner, err := q.accountKeeper.AddressCodec().StringToBytes(req.Owner)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "invalid owner address %q: %v", req.Owner, err)
	}
	devices, page, err := query.CollectionPaginate(ctx, q.Keeper.Devices.Indexes.ByOwner, req.Pagination,
		func(key collections.Pair[sdk.AccAddress, uint64], _ collections.NoValue) (types.Device, error) {
			return q.Keeper.Devices.Get(ctx, key.K2())
		}, query.WithCollectionPaginationPairPrefix[sdk.AccAddress, uint64](owner))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryDevicesByOwnerResponse{Devices: devices, Pagination: page}, nil
}

func statusInvalid(msg string) error { return status.Error(codes.InvalidArgument, msg) }

func paginateVerifiers(ctx context.Context, k Keeper, req *types.QueryVerifiersRequest) ([]types.Verifier, *query.PageResponse, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, nil, err
	}
	return query.CollectionPaginate(ctx, k.Verifiers, req.Pagination,
		func(val sdk.ValAddress, v types.Verifier) (types.Verifier, error) {
			// missed is the validator's decayed count now (Misses).
			m, err := k.missesOf(ctx, val, params)
			v.Missed = m
			return v, err
		})
}

// Challenge returns one challenge; codes.NotFound when it does not exist.
func (q Querier) Challenge(ctx context.Context, req *types.QueryChallengeRequest) (*types.QueryChallengeResponse, error) {
	if req == nil {
		return nil, statusInvalid("empty request")
	}
	c, err := q.Challenges.Get(ctx, req.ChallengeId)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "challenge %d not found", req.ChallengeId)
	} else if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryChallengeResponse{Challenge: c}, nil
}

// ChallengesByDevice lists a device's challenges by id, paginated.
func (q Querier) ChallengesByDevice(ctx context.Context, req *types.QueryChallengesByDeviceRequest) (*types.QueryChallengesByDeviceResponse, error) {
	if req == nil {
		return nil, statusInvalid("empty request")
	}
	cs, page, err := query.CollectionPaginate(ctx, q.Challenges.Indexes.ByDevice, req.Pagination,
		func(key collections.Pair[uint64, uint64], _ collections.NoValue) (types.Challenge, error) {
			return q.Challenges.Get(ctx, key.K2())
		}, query.WithCollectionPaginationPairPrefix[uint64, uint64](req.DeviceId))
	if err != nil {
		return nil, statusInvalid(err.Error())
	}
	return &types.QueryChallengesByDeviceResponse{Challenges: cs, Pagination: page}, nil
}

// PendingChallenges lists the pending challenges assigned to a verifier.
func (q Querier) PendingChallenges(ctx context.Context, req *types.QueryPendingChallengesRequest) (*types.QueryPendingChallengesResponse, error) {
	if req == nil {
		return nil, statusInvalid("empty request")
	}
	val, err := q.stakingKeeper.ValidatorAddressCodec().StringToBytes(req.Verifier)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "invalid validator address %q: %v", req.Verifier, err)
	}
	cs, page, err := query.CollectionFilteredPaginate(ctx, q.Challenges.Indexes.ByVerifier, req.Pagination,
		func(key collections.Pair[sdk.ValAddress, uint64], _ collections.NoValue) (bool, error) {
			c, err := q.Challenges.Get(ctx, key.K2())
			return err == nil && c.Status == types.CHALLENGE_STATUS_PENDING, err
		},
		func(key collections.Pair[sdk.ValAddress, uint64], _ collections.NoValue) (types.Challenge, error) {
			return q.Challenges.Get(ctx, key.K2())
		}, query.WithCollectionPaginationPairPrefix[sdk.ValAddress, uint64](val))
	if err != nil {
		return nil, statusInvalid(err.Error())
	}
	return &types.QueryPendingChallengesResponse{Challenges: cs, Pagination: page}, nil
}

// Score serves Query/Score.
func (q Querier) Score(ctx context.Context, req *types.QueryScoreRequest) (*types.QueryScoreResponse, error) {
	if req == nil {
		return nil, statusInvalid("empty request")
	}
	s, in, err := q.DeviceScore(ctx, req.DeviceId)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "device %d not found", req.DeviceId)
	} else if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryScoreResponse{
		Pot: s.PoT, Pol: s.PoL, Pop: s.PoP, Pow: s.PoW, Pocps: s.PoCPS,
		TimeInProtocolSeconds: int64(in.TimeInProtocol.Seconds()),
		W:                     in.W.String(), WBench: in.WBench.String(),
		CMinted: in.CMinted.String(), CHeld: in.CHeld.String(),
	}, nil
}

// Verifiers lists the registered verifiers, paginated.
func (q Querier) Verifiers(ctx context.Context, req *types.QueryVerifiersRequest) (*types.QueryVerifiersResponse, error) {
	if req == nil {
		return nil, statusInvalid("empty request")
	}
	vs, page, err := paginateVerifiers(ctx, q.Keeper, req)
	if err != nil {
		return nil, statusInvalid(err.Error())
	}
	return &types.QueryVerifiersResponse{Verifiers: vs, Pagination: page}, nil
}
