package keeper

import (
	"context"
	"math/big"
	"time"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	chaintypes "github.com/loopin-project/loopin/types"
	"github.com/loopin-project/loopin/x/pools/types"
)

// BeginBlocker applies the lease ends and commitment ends due by the block
// time, before any transaction reads a pool.
func (k Keeper) BeginBlocker(ctx context.Context) error {
	return k.ProcessQueue(ctx, sdk.UnwrapSDKContext(ctx).BlockTime().Unix())
}

// ProcessQueue applies every lease end and commitment end due by now, in
// time order: the pool is dissipated up to the entry's own time, then the
// lease's device becomes idle, or the position is settled and paid to its
// owner. The work is one step per entry, whatever the number of devices.
func (k Keeper) ProcessQueue(ctx context.Context, now int64) error {
	rng := new(collections.Range[collections.Triple[int64, uint64, uint64]]).
		EndInclusive(collections.Join3(now, ^uint64(0), ^uint64(0)))
	keys, err := k.Queue.Iterate(ctx, rng)
	if err != nil {
		return err
	}
	due, err := keys.Keys()
	if err != nil {
		return err
	}
	for _, key := range due {
		if err := k.Queue.Remove(ctx, key); err != nil {
			return err
		}
		var err error
		if key.K2() == types.QueueLeaseEnd {
			err = k.endLease(ctx, key.K1(), key.K3())
		} else {
			err = k.endCommitment(ctx, key.K1(), key.K3())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// EpochEnd accounts every pool up to the block time at an epoch end
// (x/epochs hook): due queue entries first, then per pool the burn of the
// exchange fees charged since the last epoch end (one BurnCoins for all),
// dissipation (O(1) per pool, price-neutral), a Π snapshot for TWAP windows,
// and the pruning of snapshots older than types.MaxTwapWindow.
func (k Keeper) EpochEnd(ctx context.Context) error {
	now := sdk.UnwrapSDKContext(ctx).BlockTime().Unix()
	if err := k.ProcessQueue(ctx, now); err != nil {
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
		if pending := intOr0(pool.PendingBurnUloop); pending.IsPositive() {
			burn = burn.Add(pending)
			pool.PendingBurnUloop = math.ZeroInt()
			if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventFeeBurned{PoolId: pool.Id, Amount: pending}); err != nil {
				return err
			}
			if pool.Status == types.POOL_STATUS_RETIRED {
				if err := k.setPool(ctx, pool); err != nil {
					return err
				}
			}
		}
		if pool.Status == types.POOL_STATUS_RETIRED {
			continue
		}
		lp, err := k.touch(ctx, &pool)
		if err != nil {
			return err
		}
		removed := new(big.Int).Sub(pool.ReserveUloop.BigInt(), lp.L)
		if err := k.savePool(ctx, pool, lp); err != nil {
			return err
		}
		if err := k.Snapshots.Set(ctx, collections.Join(pool.Id, now), math.NewIntFromBigInt(lp.Pi)); err != nil {
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
