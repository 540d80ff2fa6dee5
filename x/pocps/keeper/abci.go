package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/loopin-project/loopin/proof"
	chaintypes "github.com/loopin-project/loopin/types"
	"github.com/loopin-project/loopin/x/pocps/types"
)

// maxPrunePerBlock bounds the old block hashes deleted in one block; one
// is added per block, so a shrunk key_window is caught up with in time.
const maxPrunePerBlock = 4

// BeginBlocker records this block's hash (device-key anchors, challenge
// nonces), fixes the block's draw seed from the beacon, processes the
// challenges whose deadline passed, issues the scheduled challenges an
// epoch end left over, prunes devices and challenges past retention (each
// a bounded batch from a time-keyed queue) and drops at most
// maxPrunePerBlock hashes older than key_window. Its work never grows with
// the number of devices.
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
	if err := k.issueDue(ctx); err != nil {
		return err
	}
	if err := k.prune(ctx); err != nil {
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

// EpochEnd records the ended `loopin` epoch, drops report counts no
// longer read, and issues the challenges of the devices due by it (at most
// MaxIssuesPerBlock; BeginBlock issues the rest in the next blocks). It
// touches only the devices due now (the schedule is keyed by epoch).
func (k Keeper) EpochEnd(ctx context.Context, epoch int64) error {
	if err := k.CurrentEpoch.Set(ctx, epoch); err != nil {
		return err
	}
	// Report counts of epoch − 2 and older are no longer read (x/rewards
	// reads the epoch that just ended).
	if err := k.Reports.Clear(ctx, collections.NewPrefixUntilPairRange[int64, sdk.ValAddress](epoch-2)); err != nil {
		return err
	}
	return k.issueDue(ctx)
}

// maxDeadlinesPerBlock bounds the missed deadlines one block processes; the
// rest wait for the next block (STYLE.md: bounded batches).
const maxDeadlinesPerBlock = 100

// processDeadlines marks the pending challenges whose deadline has passed
// as missed (at most maxDeadlinesPerBlock per block) and counts the miss
// against the verifier: a report of a silent or wrong device is never a
// miss, only no report is. A missed challenge is re-issued to a verifier
// its chain has not asked; a setup gets max_setup_attempts in all, then
// times out (the device fails, its deposit is burned); a residency or
// confirmation challenge with nobody left to ask waits for the device's
// next scheduled challenge, its failures kept on the device.
func (k Keeper) processDeadlines(ctx context.Context) error {
	now := sdk.UnwrapSDKContext(ctx).BlockTime().Unix()
	// Deadlines strictly before now: a report at the deadline's second
	// still lands (assignedPending refuses only after it).
	due, err := chaintypes.DueKeys(ctx, k.DeadlineQueue, now-1, maxDeadlinesPerBlock)
	if err != nil {
		return err
	}
	if len(due) == 0 {
		return nil
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	// First every miss is closed and counted, so that a verifier which
	// reached max_missed in this batch gets none of its re-issues.
	var missed []types.Challenge
	for _, key := range due {
		c, err := k.Challenges.Get(ctx, key.K2())
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
		if err := k.recordMiss(ctx, c.Verifier, params); err != nil {
			return err
		}
		missed = append(missed, c)
	}
	var a *assignment // loaded once, at the first re-issue
	for _, c := range missed {
		device, err := k.Devices.Get(ctx, c.DeviceId)
		if err != nil {
			return err
		}
		setup := c.Kind == types.CHALLENGE_KIND_SETUP && device.Status == types.DEVICE_STATUS_UNSEALED
		residency := c.Kind == types.CHALLENGE_KIND_RESIDENCY && device.Status == types.DEVICE_STATUS_SEALED
		if setup && c.Attempt+1 >= params.MaxSetupAttempts {
			if err := k.failSetup(ctx, device, "setup timed out", false); err != nil {
				return err
			}
			continue
		}
		if !setup && !residency {
			continue // sealed, failed or timed out meanwhile
		}
		if a == nil {
			if a, err = k.loadAssignment(ctx); err != nil {
				return err
			}
		}
		exclude := followUpExclude(c)
		if residency {
			exclude = union(exclude, device.FailureReporters)
		}
		_, err = k.issueChallenge(ctx, device, c.Kind, exclude, a, &c)
		switch {
		case errors.Is(err, types.ErrNoVerifier) && setup:
			if err := k.failSetup(ctx, device, "no verifier left", true); err != nil {
				return err
			}
		case errors.Is(err, types.ErrNoVerifier):
			// Nobody left to ask: the device's next scheduled challenge.
		case err != nil:
			return err
		}
	}
	return nil
}
