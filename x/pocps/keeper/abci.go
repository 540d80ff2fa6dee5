package keeper

import (
	"context"
	"errors"
	"slices"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/loopin-project/loopin/proof"
	"github.com/loopin-project/loopin/x/pocps/types"
)

// maxPrunePerBlock bounds the old block hashes deleted in one block; one
// is added per block, so a shrunk key_window is caught up with in time.
const maxPrunePerBlock = 4

// BeginBlocker records this block's hash (device-key anchors, challenge
// nonces), fixes the block's draw seed from the beacon, processes the challenges whose deadline passed (a bounded batch
// from the time-keyed queue) and drops at most maxPrunePerBlock hashes older
// than key_window. Its work never grows with the number of devices.
func (k Keeper) BeginBlocker(ctx context.Context) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	height := sdkCtx.BlockHeight()
	if hash := sdkCtx.HeaderHash(); len(hash) > 0 {
		if err := k.BlockHashes.Set(ctx, height, append([]byte(nil), hash...)); err != nil {
			return err
		}
	}
	beacon, err := k.Beacon.Get(ctx)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return err
	}
	seed := proof.BlockDrawSeed(beacon, height)
	if err := k.DrawSeed.Set(ctx, seed[:]); err != nil {
		return err
	}
	if err := k.processDeadlines(ctx); err != nil {
		return err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	cutoff := height - int64(params.KeyWindow)
	if cutoff <= 0 {
		return nil
	}
	it, err := k.BlockHashes.Iterate(ctx, new(collections.Range[int64]).EndExclusive(cutoff))
	if err != nil {
		return err
	}
	var old []int64
	for ; it.Valid() && len(old) < maxPrunePerBlock; it.Next() {
		h, err := it.Key()
		if err != nil {
			it.Close()
			return err
		}
		old = append(old, h)
	}
	if err := it.Close(); err != nil {
		return err
	}
	for _, h := range old {
		if err := k.BlockHashes.Remove(ctx, h); err != nil {
			return err
		}
	}
	return nil
}

// EpochEnd challenges every sealed device due in the ended `loopin`
// epoch and re-queues it challenge_interval epochs later. It touches only
// the devices due now (the schedule is keyed by epoch), never all devices.
func (k Keeper) EpochEnd(ctx context.Context, epoch int64) error {
	if err := k.CurrentEpoch.Set(ctx, epoch); err != nil {
		return err
	}
	// Report counts of epoch − 2 and older are no longer read (x/rewards
	// reads the epoch that just ended).
	if err := k.Reports.Clear(ctx, collections.NewPrefixUntilPairRange[int64, sdk.ValAddress](epoch-2)); err != nil {
		return err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	keys, err := collectKeys(ctx, k.Schedule, new(collections.Range[collections.Pair[int64, uint64]]).
		EndInclusive(collections.Join(epoch, ^uint64(0))))
	if err != nil {
		return err
	}
	var a *assignment // loaded once, at the first due device
	for _, key := range keys {
		if err := k.Schedule.Remove(ctx, key); err != nil {
			return err
		}
		device, err := k.Devices.Get(ctx, key.K2())
		if errors.Is(err, collections.ErrNotFound) {
			continue // deregistered
		} else if err != nil {
			return err
		}
		if device.Status != types.DEVICE_STATUS_SEALED {
			continue // failed: no longer scheduled
		}
		if a == nil {
			if a, err = k.loadAssignment(ctx); err != nil {
				return err
			}
		}
		if _, err := k.issueChallenge(ctx, device, types.CHALLENGE_KIND_RESIDENCY, nil, a, nil); err != nil && !errors.Is(err, types.ErrNoVerifier) {
			return err
		}
		if err := k.Schedule.Set(ctx, collections.Join(epoch+int64(params.ChallengeInterval), device.Id)); err != nil {
			return err
		}
	}
	return nil
}

// maxDeadlinesPerBlock bounds the missed deadlines one block processes; the
// rest wait for the next block (STYLE.md: bounded batches).
const maxDeadlinesPerBlock = 100

// processDeadlines marks the pending challenges whose deadline has passed
// as missed (at most maxDeadlinesPerBlock per block), counts the miss
// against the verifier, and re-issues a missed setup challenge to another
// verifier when there is one.
func (k Keeper) processDeadlines(ctx context.Context) error {
	now := sdk.UnwrapSDKContext(ctx).BlockTime().Unix()
	it, err := k.DeadlineQueue.Iterate(ctx, new(collections.Range[collections.Pair[int64, uint64]]).
		EndExclusive(collections.Join(now, uint64(0))))
	if err != nil {
		return err
	}
	var due []uint64
	for ; it.Valid() && len(due) < maxDeadlinesPerBlock; it.Next() {
		key, err := it.Key()
		if err != nil {
			it.Close()
			return err
		}
		due = append(due, key.K2())
	}
	if err := it.Close(); err != nil {
		return err
	}
	for _, id := range due {
		c, err := k.Challenges.Get(ctx, id)
		if err != nil {
			return err
		}
		if has, err := k.Devices.Has(ctx, c.DeviceId); err != nil {
			return err
		} else if !has {
			// The owner deregistered the device: nobody missed anything.
			if err := k.closeChallenge(ctx, c, types.CHALLENGE_STATUS_MISSED, types.FAILURE_REASON_DEVICE_DEREGISTERED, ""); err != nil {
				return err
			}
			continue
		}
		if err := k.closeChallenge(ctx, c, types.CHALLENGE_STATUS_MISSED, types.FAILURE_REASON_MISSED_DEADLINE, ""); err != nil {
			return err
		}
		valBz, err := k.stakingKeeper.ValidatorAddressCodec().StringToBytes(c.Verifier)
		if err != nil {
			return err
		}
		val := sdk.ValAddress(valBz)
		if v, err := k.Verifiers.Get(ctx, val); err == nil {
			v.Missed++
			if err := k.Verifiers.Set(ctx, val, v); err != nil {
				return err
			}
		}
		if c.Kind == types.CHALLENGE_KIND_SETUP {
			device, err := k.Devices.Get(ctx, c.DeviceId)
			if errors.Is(err, collections.ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			next, err := k.issueChallenge(ctx, device, types.CHALLENGE_KIND_SETUP, append(slices.Clone(c.ReportedBy), c.Verifier), nil, &c)
			if errors.Is(err, types.ErrNoVerifier) {
				continue
			} else if err != nil {
				return err
			}
			// A miss is not a failure report: the count carries over, the
			// verifier that missed is not asked again.
			next.Failures = c.Failures
			if err := k.Challenges.Set(ctx, next.Id, next); err != nil {
				return err
			}
		}
	}
	return nil
}
