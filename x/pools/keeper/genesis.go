package keeper

import (
	"context"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/loopin-project/loopin/x/pools/types"
)

// InitGenesis validates gs and writes it to the store; the Idle index and
// the Queue are rebuilt from the positions and active leases, and the
// PruneQueue from the closed leases (close time + lease_retention).
func (k Keeper) InitGenesis(ctx context.Context, gs types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	// Trades send to the module address directly (collect): create the
	// module account now so no plain account can take its address.
	k.accountKeeper.GetModuleAccount(ctx, types.ModuleName)
	for _, p := range gs.Pools {
		if err := k.Pools.Set(ctx, p.Id, p); err != nil {
			return err
		}
		if err := k.ClassIndex.Set(ctx, p.GpuClass, p.Id); err != nil {
			return err
		}
	}
	for _, c := range gs.GpuClasses {
		if err := k.GpuClasses.Set(ctx, c.PoolId, c); err != nil {
			return err
		}
	}
	if err := k.PoolSeq.Set(ctx, max(gs.NextPoolId, 1)-1); err != nil {
		return err
	}
	for _, pos := range gs.Positions {
		if err := k.Positions.Set(ctx, pos.DeviceId, pos); err != nil {
			return err
		}
		end := pos.End.Unix()
		if err := k.Queue.Set(ctx, commitmentEndKey(pos.PoolId, end, pos.DeviceId)); err != nil {
			return err
		}
		if pos.LeaseId == 0 && pos.FailureStream == nil { // a failed sold device is never idle
			if err := k.Idle.Set(ctx, collections.Join3(pos.PoolId, end, pos.DeviceId)); err != nil {
				return err
			}
		}
	}
	for _, l := range gs.Leases {
		if err := k.Leases.Set(ctx, l.Id, l); err != nil {
			return err
		}
		client, err := k.accountKeeper.AddressCodec().StringToBytes(l.Client)
		if err != nil {
			return err
		}
		if err := k.LeasesByClient.Set(ctx, collections.Join(sdk.AccAddress(client), l.Id)); err != nil {
			return err
		}
		if err := k.LeasesByDevice.Set(ctx, collections.Join(l.DeviceId, l.Id)); err != nil {
			return err
		}
		if l.Status == types.LEASE_STATUS_ACTIVE {
			if err := k.Queue.Set(ctx, leaseEndKey(l.PoolId, l.End.Unix(), l.Id)); err != nil {
				return err
			}
		} else if err := k.queuePrune(ctx, l, gs.Params); err != nil {
			return err
		}
	}
	if err := k.LeaseSeq.Set(ctx, max(gs.NextLeaseId, 1)-1); err != nil {
		return err
	}
	for _, s := range gs.Snapshots {
		if err := k.Snapshots.Set(ctx, collections.Join(s.PoolId, s.Time.Unix()), s.PriceTimeIndex); err != nil {
			return err
		}
	}
	return nil
}

// ExportGenesis reads the module state back into a GenesisState that
// InitGenesis accepts.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: params}
	if err := k.Pools.Walk(ctx, nil, func(_ uint64, p types.Pool) (bool, error) {
		gs.Pools = append(gs.Pools, p)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.GpuClasses.Walk(ctx, nil, func(_ uint64, c types.GpuClass) (bool, error) {
		gs.GpuClasses = append(gs.GpuClasses, c)
		return false, nil
	}); err != nil {
		return nil, err
	}
	seq, err := k.PoolSeq.Peek(ctx)
	if err != nil {
		return nil, err
	}
	gs.NextPoolId = seq + 1
	if err := k.Positions.Walk(ctx, nil, func(_ uint64, p types.Position) (bool, error) {
		gs.Positions = append(gs.Positions, p)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Leases.Walk(ctx, nil, func(_ uint64, l types.Lease) (bool, error) {
		gs.Leases = append(gs.Leases, l)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if seq, err = k.LeaseSeq.Peek(ctx); err != nil {
		return nil, err
	}
	gs.NextLeaseId = seq + 1
	err = k.Snapshots.Walk(ctx, nil, func(key collections.Pair[uint64, int64], pi math.Int) (bool, error) {
		gs.Snapshots = append(gs.Snapshots, types.PriceSnapshot{PoolId: key.K1(), Time: timeUnix(key.K2()), PriceTimeIndex: pi})
		return false, nil
	})
	return gs, err
}
