package keeper

import (
	"context"
	"errors"
	"math/big"
	"time"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	chaintypes "github.com/loopin-project/loopin/types"
	"github.com/loopin-project/loopin/x/pools/types"
)

// BeginBlocker applies the lease ends and commitment ends due by the block
// time, before any transaction reads a pool (at most types.MaxQueueBatch
// per pool, the rest carried to the next block: ProcessQueue), then prunes
// at most types.MaxPruneBatch closed leases whose retention has passed
// (PruneLeases).
func (k Keeper) BeginBlocker(ctx context.Context) error {
	now := sdk.UnwrapSDKContext(ctx).BlockTime().Unix()
	if err := k.ProcessQueue(ctx, now); err != nil {
		return err
	}
	return k.PruneLeases(ctx, now)
}

// ProcessQueue applies, pool by pool, the lease ends and commitment ends
// due by now, each pool's in time order and at most types.MaxQueueBatch of
// them: the pool is dissipated up to the entry's own time, then the lease's
// device becomes idle, or the position is settled and paid to its owner.
// Pools are separate ledgers, so their order does not matter. A pool left
// with due entries gets queue_backlog set (EventQueueBacklog): it is then
// accounted no further than its oldest entry, and trades on it are refused
// (ErrPoolBusy) until a later call has applied them and cleared the flag.
// The work is one seek per pool and one step per entry applied, whatever
// the number of devices and leases.
func (k Keeper) ProcessQueue(ctx context.Context, now int64) error {
	last, err := k.PoolSeq.Peek(ctx)
	if err != nil {
		return err
	}
	for id := uint64(1); id <= last; id++ {
		more, err := k.processPoolQueue(ctx, id, now, types.MaxQueueBatch)
		if err != nil {
			return err
		}
		if err := k.setBacklog(ctx, id, more, now); err != nil {
			return err
		}
	}
	return nil
}

// processPoolQueue applies at most limit of poolID's queue entries due by
// now, in time order, and reports whether due entries remain.
func (k Keeper) processPoolQueue(ctx context.Context, poolID uint64, now int64, limit int) (more bool, err error) {
	it, err := k.Queue.Iterate(ctx, collections.NewPrefixedTripleRange[uint64, int64, uint64](poolID))
	if err != nil {
		return false, err
	}
	var due []collections.Triple[uint64, int64, uint64]
	for ; it.Valid(); it.Next() {
		key, err := it.Key()
		if err != nil {
			it.Close()
			return false, err
		}
		if key.K2() > now {
			break
		}
		if len(due) == limit {
			more = true
			break
		}
		due = append(due, key)
	}
	if err := it.Close(); err != nil {
		return false, err
	}
	for _, key := range due {
		if err := k.Queue.Remove(ctx, key); err != nil {
			return false, err
		}
		kind, id := types.QueueKindID(key.K3())
		if kind == types.QueueLeaseEnd {
			err = k.endLease(ctx, key.K2(), id)
		} else {
			err = k.endCommitment(ctx, key.K2(), id)
		}
		if err != nil {
			return false, err
		}
	}
	return more, nil
}

// setBacklog records whether pool poolID has queue entries due by now left
// over (queue_backlog), emitting EventQueueBacklog when that changes.
func (k Keeper) setBacklog(ctx context.Context, poolID uint64, backlog bool, now int64) error {
	pool, err := k.Pools.Get(ctx, poolID)
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if pool.QueueBacklog == backlog {
		return nil
	}
	pool.QueueBacklog = backlog
	if err := k.setPool(ctx, pool); err != nil {
		return err
	}
	to := now
	if first, found, err := k.firstQueued(ctx, poolID); err != nil {
		return err
	} else if found && first < now {
		to = first
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventQueueBacklog{PoolId: pool.Id, Backlog: backlog, AccountedTo: timeUnix(to)})
}

// PruneLeases removes at most types.MaxPruneBatch closed leases whose
// retention ended by now (PruneQueue), with their LeasesByClient and
// LeasesByDevice entries, emitting EventLeasePruned for each; queries of
// them then answer ErrLeaseNotFound. The rest waits for the next block.
func (k Keeper) PruneLeases(ctx context.Context, now int64) error {
	keys, err := chaintypes.DueKeys(ctx, k.PruneQueue, now, types.MaxPruneBatch)
	if err != nil {
		return err
	}
	for _, key := range keys {
		if err := k.PruneQueue.Remove(ctx, key); err != nil {
			return err
		}
		if err := k.pruneLease(ctx, key.K2()); err != nil {
			return err
		}
	}
	return nil
}

// pruneLease removes closed lease id and its index entries (nothing when
// it is gone or still active).
func (k Keeper) pruneLease(ctx context.Context, id uint64) error {
	l, err := k.Leases.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if l.Status == types.LEASE_STATUS_ACTIVE {
		return nil
	}
	client, err := k.accountKeeper.AddressCodec().StringToBytes(l.Client)
	if err != nil {
		return err
	}
	if err := k.Leases.Remove(ctx, id); err != nil {
		return err
	}
	if err := k.LeasesByClient.Remove(ctx, collections.Join(sdk.AccAddress(client), id)); err != nil {
		return err
	}
	if err := k.LeasesByDevice.Remove(ctx, collections.Join(l.DeviceId, id)); err != nil {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventLeasePruned{LeaseId: id})
}

// queuePrune schedules closed lease l's pruning at its close time plus
// params.LeaseRetention.
func (k Keeper) queuePrune(ctx context.Context, l types.Lease, params types.Params) error {
	return k.PruneQueue.Set(ctx, collections.Join(l.End.Unix()+int64(params.LeaseRetention/time.Second), l.Id))
}

// EpochEnd accounts every pool up to the block time at an epoch end
// (x/epochs hook): due queue entries first (ProcessQueue, bounded), then
// per pool the burn of the exchange fees charged since the last epoch end
// (one BurnCoins for all), dissipation (O(1) per pool, price-neutral), a Π
// snapshot for TWAP windows, and the pruning of snapshots older than
// types.MaxTwapWindow. A retired pool is accounted like any other while it
// holds positions or escrow (its leases still run, and x/rewards reads their
// leased seconds); an empty retired pool is only pruned of old snapshots.
// A pool with a queue
// backlog is accounted, and snapshotted, up to its oldest unapplied entry.
func (k Keeper) EpochEnd(ctx context.Context) error {
	now := sdk.UnwrapSDKContext(ctx).BlockTime().Unix()
	if err := k.ProcessQueue(ctx, now); err != nil {
		return err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	pools, err := k.Pools.Iterate(ctx, nil)
	if err != nil {
		return err
	}
	states, err := pools.Values()
	if err != nil {
		return err
	}
	burn := math.ZeroInt()
	for _, pool := range states {
		burned := false
		if pending := intOr0(pool.PendingBurnUloop); pending.IsPositive() {
			burn, burned = burn.Add(pending), true
			pool.PendingBurnUloop = math.ZeroInt()
			if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventFeeBurned{PoolId: pool.Id, Amount: pending}); err != nil {
				return err
			}
		}
		if pool.Status == types.POOL_STATUS_RETIRED && pool.CommittedDevices == 0 && intOr0(pool.EscrowUloop).IsZero() {
			if burned {
				if err := k.setPool(ctx, pool); err != nil {
					return err
				}
			}
			if err := k.pruneSnapshots(ctx, pool.Id, now-int64(types.MaxTwapWindow/time.Second)); err != nil {
				return err
			}
			continue
		}
		lp, err := k.touchWith(ctx, &pool, params)
		if err != nil {
			return err
		}
		removed := new(big.Int).Sub(pool.ReserveUloop.BigInt(), lp.L)
		if err := k.savePool(ctx, pool, lp); err != nil {
			return err
		}
		if err := k.Snapshots.Set(ctx, collections.Join(pool.Id, lp.Now), math.NewIntFromBigInt(lp.Pi)); err != nil {
			return err
		}
		if err := k.pruneSnapshots(ctx, pool.Id, now-int64(types.MaxTwapWindow/time.Second)); err != nil {
			return err
		}
		if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventDissipated{
			PoolId: pool.Id, UnsoldSeconds: math.NewInt(lp.H), ReserveUloop: math.NewIntFromBigInt(lp.L), SpotPrice: spotDec(lp),
			Removed: math.NewIntFromBigInt(removed)}); err != nil {
			return err
		}
	}
	if burn.IsPositive() {
		return k.bankKeeper.BurnCoins(ctx, types.ModuleName, sdk.NewCoins(sdk.NewCoin(chaintypes.BondDenom, burn)))
	}
	return nil
}

// pruneSnapshots deletes poolID's snapshots older than before, keeping the
// newest of them so a window of exactly MaxTwapWindow still has a start.
func (k Keeper) pruneSnapshots(ctx context.Context, poolID uint64, before int64) error {
	rng := collections.NewPrefixedPairRange[uint64, int64](poolID).EndExclusive(before)
	it, err := k.Snapshots.Iterate(ctx, rng)
	if err != nil {
		return err
	}
	old, err := it.Keys()
	if err != nil {
		return err
	}
	for i := 0; i+1 < len(old); i++ {
		if err := k.Snapshots.Remove(ctx, old[i]); err != nil {
			return err
		}
	}
	return nil
}
