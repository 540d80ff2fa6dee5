package keeper

import (
	"context"
	"errors"
	"math/big"
	"time"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	"github.com/loopin-project/loopin/x/pools/ledger"
	"github.com/loopin-project/loopin/x/pools/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// grpcErr turns a keeper error into a gRPC status: registered "not found"
// errors become NotFound, other registered errors InvalidArgument.
func grpcErr(err error) error {
	switch {
	case errors.Is(err, types.ErrPoolNotFound), errors.Is(err, types.ErrLeaseNotFound), errors.Is(err, types.ErrPositionNotFound),
		errors.Is(err, types.ErrDeviceNotInPool):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, types.ErrInvalidDuration), errors.Is(err, types.ErrNoIdleDevice), errors.Is(err, types.ErrInsufficientLiquidity),
		errors.Is(err, types.ErrLeaseEnded), errors.Is(err, types.ErrPoolNotActive), errors.Is(err, types.ErrPoolBusy),
		errors.Is(err, types.ErrDeviceNotIdle), errors.Is(err, types.ErrNotCovered), errors.Is(err, types.ErrCommitmentEndsEarly),
		errors.Is(err, types.ErrPriceImpact):
		return status.Error(codes.FailedPrecondition, err.Error())
	case errors.Is(err, types.ErrInvalidTime), errors.Is(err, types.ErrInvalidAmount):
		return status.Error(codes.InvalidArgument, err.Error())
	}
	return status.Error(codes.Internal, err.Error())
}

// poolNow resolves a pool and its ledger accounted to the query's block time.
func (q Querier) poolNow(ctx context.Context, name string) (types.Pool, *ledger.Pool, error) {
	if name == "" {
		return types.Pool{}, nil, status.Error(codes.InvalidArgument, "give a GPU class, e.g. rtx-4090 (loopind q pools pools lists them)")
	}
	pool, err := q.PoolByClass(ctx, name)
	if err != nil {
		return types.Pool{}, nil, grpcErr(err)
	}
	lp, err := q.touch(ctx, &pool)
	if err != nil {
		return types.Pool{}, nil, grpcErr(err)
	}
	return pool, lp, nil
}

// SpotPrice returns L/H accounted to now, per GPU-second and per GPU-hour.
func (q Querier) SpotPrice(ctx context.Context, req *types.QuerySpotPriceRequest) (*types.QuerySpotPriceResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	_, lp, err := q.poolNow(ctx, req.GpuClass)
	if err != nil {
		return nil, err
	}
	spot := spotDec(lp)
	return &types.QuerySpotPriceResponse{SpotPrice: spot, PerGpuHour: spot.MulInt64(3600), UnsoldSeconds: math.NewInt(lp.H), ReserveUloop: math.NewIntFromBigInt(lp.L)}, nil
}

// Twap returns the time-weighted average price from the latest epoch-end
// snapshot at or before now − window to now.
func (q Querier) Twap(ctx context.Context, req *types.QueryTwapRequest) (*types.QueryTwapResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	window := req.Window
	if err := types.ValidateDuration("window", window); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	if window > types.MaxTwapWindow {
		return nil, status.Errorf(codes.InvalidArgument, "window %s is longer than the %s of snapshots kept", window, types.MaxTwapWindow)
	}
	pool, lp, err := q.poolNow(ctx, req.GpuClass)
	if err != nil {
		return nil, err
	}
	target := lp.Now - int64(window/time.Second)
	it, err := q.Snapshots.Iterate(ctx, collections.NewPrefixedPairRange[uint64, int64](pool.Id).EndInclusive(target).Descending())
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	defer it.Close()
	if !it.Valid() {
		return nil, status.Errorf(codes.FailedPrecondition, "pool %s has no price snapshot %s old yet (snapshots are taken at epoch ends)", pool.GpuClass, window)
	}
	kv, err := it.KeyValue()
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	from := kv.Key.K2()
	if from == lp.Now {
		return nil, status.Error(codes.FailedPrecondition, "the window must end after the snapshot it starts from")
	}
	dec, err := twapDec(kv.Value.BigInt(), lp.Pi, lp.Now-from)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryTwapResponse{Twap: dec, PerGpuHour: dec.MulInt64(3600), From: time.Unix(from, 0).UTC(), To: time.Unix(lp.Now, 0).UTC()}, nil
}

// twapDec is ledger.TWAP between two readings of Π taken dt seconds apart
// as a LegacyDec in uloop per GPU-second, rounded down (Π is scaled by
// 10^30, LegacyDec by 10^18).
func twapDec(piStart, piEnd *big.Int, dt int64) (math.LegacyDec, error) {
	twap, err := ledger.TWAP(piStart, piEnd, dt)
	if err != nil {
		return math.LegacyDec{}, err
	}
	return math.LegacyNewDecFromBigIntWithPrec(twap.Quo(twap, big.NewInt(1_000_000_000_000)), math.LegacyPrecision), nil
}

// math0 is a time before every snapshot.
const math0 = int64(-1 << 62)

// MaxPricePoints bounds Query/PriceHistory's points: each costs one
// snapshot seek. DefaultPricePoints is used when points is 0.
const (
	MaxPricePoints     = 1000
	DefaultPricePoints = 100
)

// PriceHistory splits the window ending now (or, on a younger pool, the
// time since its first snapshot) into points equal intervals and reads Π
// at each boundary: the latest snapshot at or before it, and Π accounted to
// now at the end. Consecutive readings of the same snapshot merge, so the result has
// at most points intervals, each the TWAP between two readings. It costs
// points + 1 seeks whatever the number of snapshots kept. Errors:
// InvalidArgument for a bad window or points, NotFound for an unknown pool.
func (q Querier) PriceHistory(ctx context.Context, req *types.QueryPriceHistoryRequest) (*types.QueryPriceHistoryResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if err := types.ValidateDuration("window", req.Window); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	if req.Window > types.MaxTwapWindow {
		return nil, status.Errorf(codes.InvalidArgument, "window %s is longer than the %s of snapshots kept", req.Window, types.MaxTwapWindow)
	}
	points := int64(req.Points)
	if points == 0 {
		points = DefaultPricePoints
	}
	if points > MaxPricePoints {
		return nil, status.Errorf(codes.InvalidArgument, "points %d is more than %d", points, MaxPricePoints)
	}
	pool, lp, err := q.poolNow(ctx, req.GpuClass)
	if err != nil {
		return nil, err
	}
	resp := &types.QueryPriceHistoryResponse{Points: []types.PricePoint{}, SpotPerGpuHour: spotDec(lp).MulInt64(3600)}
	type reading struct {
		t  int64
		pi *big.Int
	}
	var readings []reading
	add := func(t int64, pi *big.Int) {
		if n := len(readings); n > 0 && readings[n-1].t >= t {
			return
		}
		readings = append(readings, reading{t, pi})
	}
	// On a chain younger than the window, the intervals split the time
	// since the pool's first snapshot instead.
	first, firstPi, found, err := q.snapshotAt(ctx, pool.Id, math0)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if !found || first >= lp.Now {
		return resp, nil
	}
	start := max(lp.Now-int64(req.Window/time.Second), first)
	window := lp.Now - start
	if start == first {
		add(first, firstPi)
	}
	for j := int64(0); j < points; j++ {
		// The boundary j·window/points after start, rounded down.
		b := start + j*window/points
		t, pi, found, err := q.snapshotAt(ctx, pool.Id, b)
		if err != nil {
			return nil, status.Error(codes.Internal, err.Error())
		}
		if found && t < lp.Now {
			add(t, pi)
		}
	}
	if len(readings) == 0 {
		return resp, nil
	}
	add(lp.Now, lp.Pi)
	for i := 1; i < len(readings); i++ {
		dec, err := twapDec(readings[i-1].pi, readings[i].pi, readings[i].t-readings[i-1].t)
		if err != nil {
			return nil, status.Error(codes.Internal, err.Error())
		}
		resp.Points = append(resp.Points, types.PricePoint{From: time.Unix(readings[i-1].t, 0).UTC(), To: time.Unix(readings[i].t, 0).UTC(),
			PerGpuHour: dec.MulInt64(3600)})
	}
	return resp, nil
}

// snapshotAt returns poolID's latest snapshot at or before t (unix
// seconds), or its earliest one when none is that old (math0 asks for the
// earliest); found is false when the pool has no snapshot.
func (q Querier) snapshotAt(ctx context.Context, poolID uint64, t int64) (int64, *big.Int, bool, error) {
	for _, rng := range []*collections.PairRange[uint64, int64]{
		collections.NewPrefixedPairRange[uint64, int64](poolID).EndInclusive(t).Descending(),
		collections.NewPrefixedPairRange[uint64, int64](poolID),
	} {
		it, err := q.Snapshots.Iterate(ctx, rng)
		if err != nil {
			return 0, nil, false, err
		}
		if it.Valid() {
			kv, err := it.KeyValue()
			it.Close()
			if err != nil {
				return 0, nil, false, err
			}
			return kv.Key.K2(), kv.Value.BigInt(), true, nil
		}
		it.Close()
	}
	return 0, nil, false, nil
}

// EstimateBuy quotes what MsgBuyLease with the same duration, device_id
// and min_commitment_end would do now, changing nothing: the device it
// would be on (pick), price, fee, total, per GPU-hour and price impact, or
// the error the purchase would fail with (retired pool, backlog, duration,
// no such device, ...).
func (q Querier) EstimateBuy(ctx context.Context, req *types.QueryEstimateBuyRequest) (*types.QueryEstimateBuyResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if err := types.ValidateMinCommitmentEnd(req.MinCommitmentEnd); err != nil {
		return nil, grpcErr(err)
	}
	pool, lp, params, err := q.tradeNow(ctx, req.GpuClass, "a purchase")
	if err != nil {
		return nil, err
	}
	h, err := leaseDuration(params, req.Duration)
	if err != nil {
		return nil, grpcErr(err)
	}
	pos, end, err := q.pick(ctx, pool, lp.Now, h, params.MatchLivenessWindow, types.DeviceChoice{DeviceID: req.DeviceId, MinCommitmentEnd: req.MinCommitmentEnd})
	if err != nil {
		return nil, grpcErr(err)
	}
	price, fee, err := lp.QuoteBuy(h)
	if err != nil {
		return nil, grpcErr(ledgerErr(err))
	}
	total := new(big.Int).Add(price, fee)
	return &types.QueryEstimateBuyResponse{Price: math.NewIntFromBigInt(price), Fee: math.NewIntFromBigInt(fee), Total: math.NewIntFromBigInt(total),
		PerGpuHour: perGPUHour(total, h), PriceImpact: buyImpact(lp, h), DeviceId: pos.DeviceId, Seconds: uint64(h), CommitmentEnd: timeUnix(end)}, nil
}

// tradeNow resolves a pool for a quote of a trade at the block time
// (what, e.g. "a purchase", for the error): the pool and its ledger
// accounted to now, and the params; a retired pool or one with a queue
// backlog is refused with the error the trade would meet.
func (q Querier) tradeNow(ctx context.Context, name, what string) (types.Pool, *ledger.Pool, types.Params, error) {
	pool, lp, err := q.poolNow(ctx, name)
	if err != nil {
		return types.Pool{}, nil, types.Params{}, err
	}
	if pool.Status == types.POOL_STATUS_RETIRED {
		return types.Pool{}, nil, types.Params{}, grpcErr(errorsmod.Wrapf(types.ErrPoolNotActive, "pool %s is retired", pool.GpuClass))
	}
	if pool.QueueBacklog {
		return types.Pool{}, nil, types.Params{}, grpcErr(errorsmod.Wrapf(types.ErrPoolBusy, "pool %s: %s waits for due lease and commitment ends to be applied", pool.GpuClass, what))
	}
	params, err := q.Keeper.Params.Get(ctx)
	if err != nil {
		return types.Pool{}, nil, types.Params{}, grpcErr(err)
	}
	return pool, lp, params, nil
}

// perGPUHour is amount uloop for h GPU-seconds, per GPU-hour.
func perGPUHour(amount *big.Int, h int64) math.LegacyDec {
	return math.LegacyNewDecFromBigInt(amount).MulInt64(3600).QuoInt64(h)
}

// buyImpact is the spot-price impact of buying h of lp's unsold time: L
// stays and H falls by h, so spot after / spot before − 1 = H/(H−h) − 1.
func buyImpact(lp *ledger.Pool, h int64) math.LegacyDec {
	return math.LegacyNewDec(lp.H).QuoInt64(lp.H - h).Sub(math.LegacyOneDec())
}

// EstimateTerminate quotes what MsgTerminateLease would refund now.
func (q Querier) EstimateTerminate(ctx context.Context, req *types.QueryEstimateTerminateRequest) (*types.QueryEstimateTerminateResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	l, err := q.lease(ctx, req.LeaseId)
	if err != nil {
		return nil, grpcErr(err)
	}
	pool, err := q.getPool(ctx, l.PoolId)
	if err != nil {
		return nil, grpcErr(err)
	}
	if pool.QueueBacklog {
		return nil, grpcErr(errorsmod.Wrapf(types.ErrPoolBusy, "pool %s: a termination waits for due lease and commitment ends to be applied", pool.GpuClass))
	}
	lp, err := q.touch(ctx, &pool)
	if err != nil {
		return nil, grpcErr(err)
	}
	pos, err := q.Keeper.Position(ctx, l.DeviceId)
	if err != nil {
		return nil, grpcErr(err)
	}
	vl := toLease(l)
	refund, fee, err := lp.QuoteTerminate(toDevice(pos), vl)
	if err != nil {
		return nil, grpcErr(ledgerErr(err))
	}
	return &types.QueryEstimateTerminateResponse{Refund: math.NewIntFromBigInt(refund), Fee: math.NewIntFromBigInt(fee), UnusedSeconds: uint64(vl.End - lp.Now)}, nil
}

// Lease returns one lease.
func (q Querier) Lease(ctx context.Context, req *types.QueryLeaseRequest) (*types.QueryLeaseResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	l, err := q.lease(ctx, req.LeaseId)
	if err != nil {
		return nil, grpcErr(err)
	}
	return &types.QueryLeaseResponse{Lease: l}, nil
}

// LeasesByClient lists a client's leases by id, paginated.
func (q Querier) LeasesByClient(ctx context.Context, req *types.QueryLeasesByClientRequest) (*types.QueryLeasesResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	client, err := q.accountKeeper.AddressCodec().StringToBytes(req.Client)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "client: %v", err)
	}
	leases, page, err := query.CollectionPaginate(ctx, q.Keeper.LeasesByClient, req.Pagination,
		func(key collections.Pair[sdk.AccAddress, uint64], _ collections.NoValue) (types.Lease, error) {
			return q.Leases.Get(ctx, key.K2())
		}, query.WithCollectionPaginationPairPrefix[sdk.AccAddress, uint64](client))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryLeasesResponse{Leases: leases, Pagination: page}, nil
}

// LeasesByDevice lists a device's leases by id, paginated.
func (q Querier) LeasesByDevice(ctx context.Context, req *types.QueryLeasesByDeviceRequest) (*types.QueryLeasesResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	leases, page, err := query.CollectionPaginate(ctx, q.Keeper.LeasesByDevice, req.Pagination,
		func(key collections.Pair[uint64, uint64], _ collections.NoValue) (types.Lease, error) {
			return q.Leases.Get(ctx, key.K2())
		}, query.WithCollectionPaginationPairPrefix[uint64, uint64](req.DeviceId))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryLeasesResponse{Leases: leases, Pagination: page}, nil
}

// AllLeases lists every lease kept by id, paginated (pagination.reverse
// for the newest first).
func (q Querier) AllLeases(ctx context.Context, req *types.QueryAllLeasesRequest) (*types.QueryLeasesResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	leases, page, err := query.CollectionPaginate(ctx, q.Keeper.Leases, req.Pagination,
		func(_ uint64, l types.Lease) (types.Lease, error) { return l, nil })
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryLeasesResponse{Leases: leases, Pagination: page}, nil
}

// Capacity returns a pool's capacity book.
func (q Querier) Capacity(ctx context.Context, req *types.QueryCapacityRequest) (*types.QueryCapacityResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	pool, lp, err := q.poolNow(ctx, req.GpuClass)
	if err != nil {
		return nil, err
	}
	resp := &types.QueryCapacityResponse{PoolId: pool.Id, UnsoldSeconds: math.NewInt(lp.H), CommittedDevices: pool.CommittedDevices,
		IdleDevices: uint64(lp.Idle + lp.IdleSold), LeasedDevices: pool.CommittedDevices - uint64(lp.Idle+lp.IdleSold)}
	deviceID, end, found, err := q.matchIdle(ctx, pool.Id)
	if err != nil {
		return nil, grpcErr(err)
	}
	if found && end > lp.Now {
		resp.LongestLeaseSeconds, resp.LongestLeaseDevice = uint64(end-lp.Now), deviceID
	}
	return resp, nil
}

// Position returns a device's position and what it has earned so far.
func (q Querier) Position(ctx context.Context, req *types.QueryPositionRequest) (*types.QueryPositionResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	pos, err := q.Keeper.Position(ctx, req.DeviceId)
	if err != nil {
		return nil, grpcErr(err)
	}
	pool, err := q.getPool(ctx, pos.PoolId)
	if err != nil {
		return nil, grpcErr(err)
	}
	lp, err := q.touch(ctx, &pool)
	if err != nil {
		return nil, grpcErr(err)
	}
	dev := toDevice(pos)
	var vl *ledger.Lease
	if dev.Lease != 0 {
		l, err := q.lease(ctx, dev.Lease)
		if err != nil {
			return nil, grpcErr(err)
		}
		vl = toLease(l)
	}
	earned := new(big.Int).Add(dev.Owed, lp.Accrued(dev, vl))
	return &types.QueryPositionResponse{Position: pos, Earned: math.NewIntFromBigInt(earned)}, nil
}

// Querier serves the x/pools Query service.
type Querier struct {
	Keeper
}

var _ types.QueryServer = Querier{}

// NewQuerier returns the x/pools Query service backed by k.
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
