package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"
	chaintypes "github.com/loopin-project/loopin/types"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	"github.com/loopin-project/loopin/x/stake/types"
)

// BeginBlocker runs the three time-keyed queues of x/stake, each a bounded
// batch, oldest first, the rest carried to the next block:
//   - Expiry: at most types.MaxExpiriesPerBlock certificates whose end has
//     come; an LP stake expires, a sale enters its grace (startGrace);
//   - Release: at most types.MaxReleasesPerBlock sales whose grace is over
//     get their collateral and deposit back and free their device;
//   - Prune: at most types.MaxPrunesPerBlock ended certificates past
//     stake_retention are removed from state.
//
// x/pools has settled and paid an LP position, and taken a sale's time out
// of its pool, at the end itself (its own queue runs first). A block's work
// never grows with the number of stakes.
func (k Keeper) BeginBlocker(ctx context.Context) error {
	now := sdk.UnwrapSDKContext(ctx).BlockTime().Unix()
	due, err := chaintypes.DueKeys(ctx, k.Expiry, now, types.MaxExpiriesPerBlock)
	if err != nil {
		return err
	}
	for _, key := range due {
		s, err := k.stake(ctx, key.K2())
		if err != nil {
			return err
		}
		if err := k.expire(ctx, s); err != nil {
			return err
		}
	}
	if due, err = chaintypes.DueKeys(ctx, k.Release, now, types.MaxReleasesPerBlock); err != nil {
		return err
	}
	for _, key := range due {
		s, err := k.stake(ctx, key.K2())
		if err != nil {
			return err
		}
		if err := k.release(ctx, s); err != nil {
			return err
		}
	}
	if due, err = chaintypes.DueKeys(ctx, k.Prune, now, types.MaxPrunesPerBlock); err != nil {
		return err
	}
	for _, key := range due {
		if err := k.prune(ctx, key); err != nil {
			return err
		}
	}
	return nil
}

// expire ends active certificate s at its end, taking it off Expiry. An LP
// stake expires (x/pools pays its position) and frees its device. A sale
// enters its grace (startGrace). Either way the miners' reward account of
// the device ends (AfterStakeEnded).
func (k Keeper) expire(ctx context.Context, s types.Stake) error {
	if err := k.Expiry.Remove(ctx, collections.Join(s.End.Unix(), s.Id)); err != nil {
		return err
	}
	if err := k.stakeEnded(ctx, s.DeviceId); err != nil {
		return err
	}
	if s.Kind == types.STAKE_KIND_SALE {
		return k.startGrace(ctx, s)
	}
	s.Status = types.STAKE_STATUS_EXPIRED
	if err := k.closeStake(ctx, s); err != nil {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventStakeExpired{StakeId: s.Id, Returned: s.Payout})
}

// startGrace moves sale s, whose end has come, into its grace: status
// GRACE until release_at = end + sale_grace_period (queued in Release),
// collateral and deposit still locked, the device still committed (it can
// neither deregister nor commit again), and a final residency challenge of
// the device from x/pocps. A final challenge that cannot be issued (no
// verifier, device not sealed or gone) is reported by
// EventFinalChallengeSkipped and does not fail the block; the scheduled
// challenges of the grace still count.
func (k Keeper) startGrace(ctx context.Context, s types.Stake) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	s.Status = types.STAKE_STATUS_GRACE
	s.ReleaseAt = s.End.Add(params.SaleGracePeriod)
	if s.FinalChallengeId, err = k.finalChallenge(ctx, s); err != nil {
		return err
	}
	if err := k.Stakes.Set(ctx, s.Id, s); err != nil {
		return err
	}
	if err := k.Release.Set(ctx, collections.Join(s.ReleaseAt.Unix(), s.Id)); err != nil {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventStakeGraceStarted{
		StakeId: s.Id, DeviceId: s.DeviceId, ReleaseAt: s.ReleaseAt, FinalChallengeId: s.FinalChallengeId})
}

// finalChallenge asks x/pocps for a residency challenge of s's device now
// (its pending one if it has one) in a cached context, written only on
// success. It returns the challenge id, or 0 with EventFinalChallengeSkipped
// when x/pocps answers ErrNoVerifier, ErrInvalidDevice or
// ErrDeviceNotFound; any other error is returned.
func (k Keeper) finalChallenge(ctx context.Context, s types.Stake) (uint64, error) {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	cacheCtx, write := sdkCtx.CacheContext()
	id, err := k.pocpsKeeper.ChallengeDevice(cacheCtx, s.DeviceId)
	switch {
	case err == nil:
		write()
		return id, nil
	case errors.Is(err, pocpstypes.ErrNoVerifier), errors.Is(err, pocpstypes.ErrInvalidDevice), errors.Is(err, pocpstypes.ErrDeviceNotFound):
		return 0, sdkCtx.EventManager().EmitTypedEvent(&types.EventFinalChallengeSkipped{StakeId: s.Id, DeviceId: s.DeviceId, Reason: err.Error()})
	default:
		return 0, err
	}
}

// release ends the grace of sale s: no verification failed, so its
// collateral and deposit are paid back to the owner (s.Payout), it expires
// and its device is freed.
func (k Keeper) release(ctx context.Context, s types.Stake) error {
	if err := k.Release.Remove(ctx, collections.Join(s.ReleaseAt.Unix(), s.Id)); err != nil {
		return err
	}
	s.Status = types.STAKE_STATUS_EXPIRED
	s.Payout = s.Collateral.Add(s.Deposit)
	if s.Payout.IsPositive() {
		owner, err := k.accountKeeper.AddressCodec().StringToBytes(s.Owner)
		if err != nil {
			return err
		}
		if err := k.bankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, owner, chaintypes.Uloop(s.Payout)); err != nil {
			return err
		}
	}
	if err := k.closeStake(ctx, s); err != nil {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventStakeExpired{StakeId: s.Id, Returned: s.Payout})
}

// closeStake saves s, which has just ended (EXPIRED or FAILED), with
// prune_at = now + stake_retention, queues it in Prune and frees its
// device (a deregistered device needs nothing).
func (k Keeper) closeStake(ctx context.Context, s types.Stake) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	s.PruneAt = sdk.UnwrapSDKContext(ctx).BlockTime().UTC().Add(params.StakeRetention)
	if err := k.Stakes.Set(ctx, s.Id, s); err != nil {
		return err
	}
	if err := k.Prune.Set(ctx, collections.Join(s.PruneAt.Unix(), s.Id)); err != nil {
		return err
	}
	if err := k.pocpsKeeper.SetDeviceStake(ctx, s.DeviceId, 0); err != nil && !errors.Is(err, pocpstypes.ErrDeviceNotFound) {
		return err
	}
	return nil
}

// prune removes the ended certificate of Prune entry key from Stakes and
// its owner and device indexes (EventStakePruned).
func (k Keeper) prune(ctx context.Context, key collections.Pair[int64, uint64]) error {
	if err := k.Prune.Remove(ctx, key); err != nil {
		return err
	}
	if err := k.Stakes.Remove(ctx, key.K2()); err != nil && !errors.Is(err, collections.ErrNotFound) {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventStakePruned{StakeId: key.K2()})
}
