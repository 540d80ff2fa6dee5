package keeper

import (
	"context"
	"errors"
	"slices"
	"time"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	chaintypes "github.com/loopin-project/loopin/types"
	"github.com/loopin-project/loopin/x/pocps/types"
)

// This file holds the rules that keep verification switched on
// (docs/pocps.md §15): the registration deposit, misses that are a
// verifier's own and decay, failures that live on the device, re-issued
// challenges, randomized schedule windows, clients' reports and pruning.

// MaxIssuesPerBlock bounds the scheduled challenges one block issues; the
// devices still due wait for the next block (the schedule is keyed by
// epoch, so they are found first).
const MaxIssuesPerBlock = 200

// maxPrunedPerBlock bounds the devices and the challenges one block prunes.
const maxPrunedPerBlock = 100

// decayedMisses is rec's count at epoch: halved once per halfLife epochs
// since rec.Epoch (docs/pocps.md §15).
func decayedMisses(rec types.VerifierMisses, epoch int64, halfLife uint32) uint32 {
	if halfLife == 0 || epoch <= rec.Epoch {
		return rec.Missed
	}
	halvings := (epoch - rec.Epoch) / int64(halfLife)
	if halvings >= 32 {
		return 0
	}
	return rec.Missed >> uint(halvings)
}

// missesOf returns val's decayed misses at the current epoch.
func (k Keeper) missesOf(ctx context.Context, val sdk.ValAddress, params types.Params) (uint32, error) {
	rec, err := k.Misses.Get(ctx, val)
	if errors.Is(err, collections.ErrNotFound) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	epoch, err := k.currentEpoch(ctx)
	if err != nil {
		return 0, err
	}
	return decayedMisses(rec, epoch, params.MissHalfLife), nil
}

// recordMiss adds one missed deadline to the validator named validator
// (decayed to the current epoch first). A validator without a verifier
// record still gets one: the count outlives jailing and re-registration.
func (k Keeper) recordMiss(ctx context.Context, validator string, params types.Params) error {
	valBz, err := k.stakingKeeper.ValidatorAddressCodec().StringToBytes(validator)
	if err != nil {
		return err
	}
	val := sdk.ValAddress(valBz)
	n, err := k.missesOf(ctx, val, params)
	if err != nil {
		return err
	}
	epoch, err := k.currentEpoch(ctx)
	if err != nil {
		return err
	}
	return k.Misses.Set(ctx, val, types.VerifierMisses{Validator: validator, Missed: n + 1, Epoch: epoch})
}

// lockDeposit takes the registration deposit from owner into the module
// account. Errors: insufficient funds (nothing changes).
func (k Keeper) lockDeposit(ctx context.Context, owner sdk.AccAddress, deviceID uint64, amount math.Int) error {
	if !amount.IsPositive() {
		return nil
	}
	if err := k.bankKeeper.SendCoinsFromAccountToModule(ctx, owner, types.ModuleName, chaintypes.Uloop(amount)); err != nil {
		return errorsmod.Wrapf(err, "registration deposit of %suloop (registration_deposit)", amount)
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventDepositLocked{DeviceId: deviceID, Amount: amount})
}

// returnDeposit pays device's locked deposit back to its owner and zeroes
// it on device (the caller saves device).
func (k Keeper) returnDeposit(ctx context.Context, device *types.Device) error {
	amount := intOrZero(device.Deposit)
	device.Deposit = math.ZeroInt()
	if !amount.IsPositive() {
		return nil
	}
	owner, err := k.accountKeeper.AddressCodec().StringToBytes(device.Owner)
	if err != nil {
		return err
	}
	if err := k.bankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, owner, chaintypes.Uloop(amount)); err != nil {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventDepositReturned{DeviceId: device.Id, Amount: amount})
}

// burnDeposit burns device's locked deposit and zeroes it on device (the
// caller saves device).
func (k Keeper) burnDeposit(ctx context.Context, device *types.Device, reason string) error {
	amount := intOrZero(device.Deposit)
	device.Deposit = math.ZeroInt()
	if !amount.IsPositive() {
		return nil
	}
	if err := k.bankKeeper.BurnCoins(ctx, types.ModuleName, chaintypes.Uloop(amount)); err != nil {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventDepositBurned{DeviceId: device.Id, Amount: amount, Reason: reason})
}

func intOrZero(v math.Int) math.Int {
	if v.IsNil() {
		return math.ZeroInt()
	}
	return v
}

// failSetup ends a registration whose setup did not pass: the device is
// FAILED (pruned device_retention later) and its deposit burned, or
// returned when refund is set (no verifier was left to ask: nobody's
// fault).
func (k Keeper) failSetup(ctx context.Context, device types.Device, reason string, refund bool) error {
	var err error
	if refund {
		err = k.returnDeposit(ctx, &device)
	} else {
		err = k.burnDeposit(ctx, &device, reason)
	}
	if err != nil {
		return err
	}
	return k.markFailed(ctx, &device)
}

// markFailed sets device FAILED now, saves it and queues its pruning.
func (k Keeper) markFailed(ctx context.Context, device *types.Device) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	now := sdk.UnwrapSDKContext(ctx).BlockTime()
	device.Status = types.DEVICE_STATUS_FAILED
	device.FailedAt = now
	if err := k.Devices.Set(ctx, device.Id, *device); err != nil {
		return err
	}
	return k.DevicePrune.Set(ctx, collections.Join(now.Add(params.DeviceRetention).Unix(), device.Id))
}

// followUpExclude is who a follow-up of c (a confirmation, a re-issue
// after a miss) is not drawn from: the verifiers c's chain already asked
// and c's own.
func followUpExclude(c types.Challenge) []string {
	return append(slices.Clone(c.ReportedBy), c.Verifier)
}

// union returns a followed by the names of b not in a.
func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// failOnTrustResult records a "late" or "no answer" report of c (residency
// or setup): it closes c and adds the failure to the device, where it stays
// until a pass clears it (docs/pocps.md §15). The failure is confirmed —
// the device fails — once `confirmations` different verifiers reported
// failures in a row, or after max_failures failed reports in a row from
// fewer (the rule when no other verifier can be asked). Otherwise a
// confirmation goes to a verifier that has not reported yet (none left:
// to any eligible verifier but the owner; none at all: the failure waits
// for the next scheduled challenge). It returns the confirmation's id (0:
// none) and whether the device failed.
func (k Keeper) failOnTrustResult(ctx context.Context, c types.Challenge, device types.Device, reason types.FailureReason) (uint64, bool, error) {
	if err := k.closeChallenge(ctx, c, types.CHALLENGE_STATUS_FAILED, reason, ""); err != nil {
		return 0, false, err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return 0, false, err
	}
	device.Failures++
	if !slices.Contains(device.FailureReporters, c.Verifier) {
		device.FailureReporters = append(device.FailureReporters, c.Verifier)
	}
	confirmed := uint32(len(device.FailureReporters)) >= params.Confirmations || device.Failures >= params.MaxFailures
	if confirmed {
		if c.Kind == types.CHALLENGE_KIND_SETUP {
			return 0, true, k.failSetup(ctx, device, "setup failed", false)
		}
		return 0, true, k.failDevice(ctx, device, c.Id, reason)
	}
	if c.Kind == types.CHALLENGE_KIND_SETUP && c.Attempt+1 >= params.MaxSetupAttempts {
		return 0, true, k.failSetup(ctx, device, "setup timed out", false)
	}
	if err := k.Devices.Set(ctx, device.Id, device); err != nil {
		return 0, false, err
	}
	next, err := k.confirm(ctx, device, c)
	if errors.Is(err, types.ErrNoVerifier) {
		if c.Kind == types.CHALLENGE_KIND_SETUP {
			return 0, true, k.failSetup(ctx, device, "no verifier left", true)
		}
		return 0, false, nil // carried to the next scheduled challenge
	} else if err != nil {
		return 0, false, err
	}
	return next.Id, false, nil
}

// confirm issues the follow-up of c to the first eligible verifier of:
// those that neither reported a failure of the device nor were asked in
// c's chain; those that did not report; anyone but the owner. Errors:
// ErrNoVerifier.
func (k Keeper) confirm(ctx context.Context, device types.Device, c types.Challenge) (types.Challenge, error) {
	a, err := k.loadAssignment(ctx)
	if err != nil {
		return types.Challenge{}, err
	}
	var next types.Challenge
	for _, exclude := range [][]string{union(followUpExclude(c), device.FailureReporters), device.FailureReporters, nil} {
		if next, err = k.issueChallenge(ctx, device, c.Kind, exclude, a, &c); !errors.Is(err, types.ErrNoVerifier) {
			return next, err
		}
	}
	return next, err
}

// clearFailures forgets the device's failed reports: it just passed.
func clearFailures(device *types.Device) {
	device.Failures, device.FailureReporters = 0, nil
}

// nextDueEpoch is when a device challenged at the end of epoch is next
// due: a drawn epoch of the next aligned window of interval epochs,
// [(⌊epoch/interval⌋+1)·interval, (⌊epoch/interval⌋+2)·interval), so each
// device is challenged once per window at an epoch nobody knew before the
// draw (docs/pocps.md §15).
func nextDueEpoch(epoch int64, interval uint32, draw uint64) int64 {
	i := int64(interval)
	return (epoch/i+1)*i + int64(draw%uint64(interval))
}

// issueDue issues the residency challenges of the sealed devices due by
// the current epoch, at most MaxIssuesPerBlock (the rest wait for the next
// block), and re-queues each in its next window; one that failed or left
// is dropped.
func (k Keeper) issueDue(ctx context.Context) error {
	epoch, err := k.currentEpoch(ctx)
	if err != nil {
		return err
	}
	keys, err := chaintypes.DueKeys(ctx, k.Schedule, epoch, MaxIssuesPerBlock)
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
			continue // deregistered or pruned
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
		draw, err := k.draw(ctx, "loopin/pocps/v3/schedule", device.Id)
		if err != nil {
			return err
		}
		if err := k.Schedule.Set(ctx, collections.Join(nextDueEpoch(epoch, a.params.ChallengeInterval, draw), device.Id)); err != nil {
			return err
		}
	}
	return nil
}

// prune removes at most maxPrunedPerBlock FAILED devices and as many
// closed challenges whose retention has passed (their history stays in
// events). A failed device some stake still names waits another
// retention.
func (k Keeper) prune(ctx context.Context) error {
	now := sdk.UnwrapSDKContext(ctx).BlockTime()
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	devices, err := chaintypes.DueKeys(ctx, k.DevicePrune, now.Unix(), maxPrunedPerBlock)
	if err != nil {
		return err
	}
	var pruned uint32
	for _, key := range devices {
		if err := k.DevicePrune.Remove(ctx, key); err != nil {
			return err
		}
		d, err := k.Devices.Get(ctx, key.K2())
		if errors.Is(err, collections.ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		if d.Status != types.DEVICE_STATUS_FAILED {
			continue
		}
		if d.StakeId != 0 {
			if err := k.DevicePrune.Set(ctx, collections.Join(now.Add(params.DeviceRetention).Unix(), d.Id)); err != nil {
				return err
			}
			continue
		}
		if err := k.removeDevice(ctx, d.Id); err != nil {
			return err
		}
		pruned++
	}
	challenges, err := chaintypes.DueKeys(ctx, k.ChallengePrune, now.Unix(), maxPrunedPerBlock)
	if err != nil {
		return err
	}
	for _, key := range challenges {
		if err := k.ChallengePrune.Remove(ctx, key); err != nil {
			return err
		}
		if err := k.Challenges.Remove(ctx, key.K2()); err != nil && !errors.Is(err, collections.ErrNotFound) {
			return err
		}
	}
	em := sdk.UnwrapSDKContext(ctx).EventManager()
	if pruned > 0 {
		if err := em.EmitTypedEvent(&types.EventPruned{Kind: "devices", Count: pruned}); err != nil {
			return err
		}
	}
	if n := len(challenges); n > 0 {
		return em.EmitTypedEvent(&types.EventPruned{Kind: "challenges", Count: uint32(n)})
	}
	return nil
}

// ReportLease takes a lessee's "no access" report (docs/pocps.md §15): the
// device serving the active lease gets a residency challenge now, or the
// pending one stands. A device that passed less than report_cooldown ago
// is not challenged again yet. Errors, changing nothing: x/pools'
// ErrLeaseNotFound, ErrNotLessee, ErrLeaseNotActive, ErrDeviceNotFound,
// ErrReportTooSoon, ErrInvalidDevice (not sealed), ErrNoVerifier.
func (k Keeper) ReportLease(ctx context.Context, msg *types.MsgReportLease) (*types.MsgReportLeaseResponse, error) {
	ac := k.accountKeeper.AddressCodec()
	reporter, err := ac.StringToBytes(msg.Client)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrNotLessee, "invalid client address %q: %v", msg.Client, err)
	}
	client, deviceID, active, err := k.poolsKeeper.LeaseInfo(ctx, msg.LeaseId)
	if err != nil {
		return nil, err
	}
	if lessee, err := ac.StringToBytes(client); err != nil || !sdk.AccAddress(lessee).Equals(sdk.AccAddress(reporter)) {
		return nil, errorsmod.Wrapf(types.ErrNotLessee, "lease %d belongs to %s", msg.LeaseId, client)
	}
	if !active {
		return nil, errorsmod.Wrapf(types.ErrLeaseNotActive, "lease %d has ended", msg.LeaseId)
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	pending, err := k.pendingChallenge(ctx, deviceID)
	if err != nil {
		return nil, err
	}
	if pending == 0 {
		last, err := k.LastPass(ctx, deviceID)
		if err != nil {
			return nil, err
		}
		if again := last.Add(params.ReportCooldown); sdk.UnwrapSDKContext(ctx).BlockTime().Before(again) {
			return nil, errorsmod.Wrapf(types.ErrReportTooSoon, "device %d passed a challenge at %s; report again after %s",
				deviceID, last.UTC().Format(time.RFC3339), again.UTC().Format(time.RFC3339))
		}
	}
	id := pending
	if id == 0 {
		if id, err = k.challengeSealed(ctx, deviceID); err != nil {
			return nil, err
		}
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventLeaseReported{
		LeaseId: msg.LeaseId, DeviceId: deviceID, Client: client, ChallengeId: id}); err != nil {
		return nil, err
	}
	return &types.MsgReportLeaseResponse{ChallengeId: id, DeviceId: deviceID}, nil
}
