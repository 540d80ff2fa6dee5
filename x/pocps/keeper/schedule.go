package keeper

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"

	"github.com/loopin-project/loopin/proof"
	chaintypes "github.com/loopin-project/loopin/types"
	"github.com/loopin-project/loopin/x/pocps/types"
)

// schedule queues device for a challenge within the next
// challenge_interval epochs, at an offset drawn from the block hash.
func (k Keeper) schedule(ctx context.Context, deviceID uint64) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	epoch, err := k.currentEpoch(ctx)
	if err != nil {
		return err
	}
	h := sha256.New()
	h.Write([]byte("loopin/pocps/v1/schedule"))
	h.Write(sdk.UnwrapSDKContext(ctx).HeaderHash())
	h.Write(binary.BigEndian.AppendUint64(nil, deviceID))
	offset := int64(binary.BigEndian.Uint64(h.Sum(nil)[:8]) % uint64(params.ChallengeInterval))
	return k.Schedule.Set(ctx, collections.Join(epoch+1+offset, deviceID))
}

func (k Keeper) currentEpoch(ctx context.Context) (int64, error) {
	e, err := k.CurrentEpoch.Get(ctx)
	if errors.Is(err, collections.ErrNotFound) {
		return 0, nil
	}
	return e, err
}

// countReport credits val with one accepted report in the epoch in progress.
func (k Keeper) countReport(ctx context.Context, val sdk.ValAddress) error {
	epoch, err := k.currentEpoch(ctx)
	if err != nil {
		return err
	}
	key := collections.Join(epoch+1, val)
	n, err := k.Reports.Get(ctx, key)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return err
	}
	return k.Reports.Set(ctx, key, n+1)
}

// VerifierReports returns, for a `loopin` epoch, each verifier's operator
// account and its number of accepted reports, in address order. Its cost is
// bounded by the number of verifiers (the validator set).
func (k Keeper) VerifierReports(ctx context.Context, epoch int64) (accounts []sdk.AccAddress, counts []uint64, err error) {
	rng := collections.NewPrefixedPairRange[int64, sdk.ValAddress](epoch)
	err = k.Reports.Walk(ctx, rng, func(key collections.Pair[int64, sdk.ValAddress], n uint64) (bool, error) {
		accounts = append(accounts, sdk.AccAddress(key.K2()))
		counts = append(counts, n)
		return false, nil
	})
	return accounts, counts, err
}

// EpochHooks returns the x/epochs callbacks of x/pocps.
func (k Keeper) EpochHooks() epochstypes.EpochHooks { return epochHooks{k} }

type epochHooks struct{ k Keeper }

// AfterEpochEnd challenges every sealed device due in the ended `loopin`
// epoch and re-queues it challenge_interval epochs later. It touches only
// the devices due now (the schedule is keyed by epoch), never all devices.
func (h epochHooks) AfterEpochEnd(ctx context.Context, identifier string, epoch int64) error {
	if identifier != chaintypes.EpochIdentifier {
		return nil
	}
	k := h.k
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
		if _, err := k.issueChallenge(ctx, device, types.CHALLENGE_KIND_RESIDENCY, nil, a); err != nil && !errors.Is(err, types.ErrNoVerifier) {
			return err
		}
		if err := k.Schedule.Set(ctx, collections.Join(epoch+int64(params.ChallengeInterval), device.Id)); err != nil {
			return err
		}
	}
	return nil
}

// BeforeEpochStart does nothing.
func (epochHooks) BeforeEpochStart(context.Context, string, int64) error { return nil }

func collectKeys(ctx context.Context, set collections.KeySet[collections.Pair[int64, uint64]], rng collections.Ranger[collections.Pair[int64, uint64]]) ([]collections.Pair[int64, uint64], error) {
	it, err := set.Iterate(ctx, rng)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	return it.Keys()
}

// wEWMA is the weight of a new measurement in the device's W: 1/4.
const wEWMA = 4

// SubmitChallengeResult takes a verifier's report of a residency and
// throughput challenge (PROTOCOL.md §4). A pass must come with samples that
// pass the chain's re-check (VerifyResidencySample, VerifyGemmSample); it
// updates W (moving average, weight 1/4) and the last verification. A
// failure "bad proof" must come with samples that fail the re-check; "late"
// and "no answer" are taken on trust. A failure is confirmed by a second,
// independently assigned verifier: after `confirmations` failed reports the
// device fails and the PocpsHooks run (x/stake's failure path). Errors,
// changing nothing: ErrNotAssigned, ErrChallengeNotFound, ErrChallengeClosed,
// ErrWrongKind, ErrDeadlinePassed, ErrInvalidResult, ErrBadSample,
// ErrNoEvidence.
func (ms msgServer) SubmitChallengeResult(ctx context.Context, msg *types.MsgSubmitChallengeResult) (*types.MsgSubmitChallengeResultResponse, error) {
	c, val, err := ms.assignedPending(ctx, msg.HotKey, msg.ChallengeId, types.CHALLENGE_KIND_RESIDENCY)
	if err != nil {
		return nil, err
	}
	device, err := ms.device(ctx, c.DeviceId)
	if err != nil {
		return nil, err
	}
	if n := len(msg.TranscriptHash); n != 0 && n != 32 {
		return nil, errorsmod.Wrapf(types.ErrInvalidResult, "transcript_hash must be 32 bytes (SHA-256) or empty, got %d", n)
	}
	c.TranscriptHash = msg.TranscriptHash
	p := device.Seal.Params.ProofParams()
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	sdkCtx.GasMeter().ConsumeGas(VerifyGasPerByte*uint64(len(msg.ResidencySample)+len(msg.GemmSample)), "pocps: verify challenge samples")

	samplesErr := func() error {
		var nonce, seed, secret, resRoot, blockSeed proof.Hash
		for _, f := range []struct {
			dst  *proof.Hash
			src  []byte
			name string
		}{{&nonce, msg.Nonce, "nonce"}, {&seed, msg.GemmSeed, "gemm_seed"}, {&secret, msg.VerifierSecret, "verifier_secret"}, {&resRoot, msg.ResidencyRoot, "residency_root"}} {
			if len(f.src) != 32 {
				return errorsmod.Wrapf(types.ErrInvalidResult, "%s must be 32 bytes", f.name)
			}
			copy(f.dst[:], f.src)
		}
		roots := make([]proof.Hash, len(msg.GemmRoots))
		for i, r := range msg.GemmRoots {
			if len(r) != 32 {
				return errorsmod.Wrapf(types.ErrInvalidResult, "gemm root %d must be 32 bytes", i)
			}
			copy(roots[i][:], r)
		}
		var res proof.ResidencyProof
		var gemm proof.GemmProof
		if err := res.UnmarshalBinary(msg.ResidencySample); err != nil {
			return errorsmod.Wrap(types.ErrInvalidResult, err.Error())
		}
		if err := gemm.UnmarshalBinary(msg.GemmSample); err != nil {
			return errorsmod.Wrap(types.ErrInvalidResult, err.Error())
		}
		sealRoot := device.Seal.Commitment().SealRoot()
		copy(blockSeed[:], sdkCtx.HeaderHash())
		if err := proof.VerifyResidencySample(p, sealRoot, nonce, resRoot, secret, res.Walks); err != nil {
			return err
		}
		return proof.VerifyGemmSample(p, sealRoot, seed, roots, secret, blockSeed, gemm.Rows)
	}

	if msg.Passed {
		if err := samplesErr(); err != nil {
			if errorsmod.IsOf(err, types.ErrInvalidResult) {
				return nil, err
			}
			return nil, errorsmod.Wrap(types.ErrBadSample, err.Error())
		}
		if msg.W.IsNil() || msg.W.IsNegative() {
			return nil, errorsmod.Wrap(types.ErrInvalidResult, "w must be a non-negative number of ops/s")
		}
		if device.W.IsNil() || device.W.IsZero() {
			device.W = msg.W
		} else {
			device.W = device.W.MulRaw(wEWMA - 1).Add(msg.W).QuoRaw(wEWMA)
		}
		device.LastVerified = sdkCtx.BlockTime()
		if err := ms.Devices.Set(ctx, device.Id, device); err != nil {
			return nil, err
		}
		if err := ms.countReport(ctx, val); err != nil {
			return nil, err
		}
		if err := ms.closeChallenge(ctx, c, types.CHALLENGE_STATUS_PASSED, types.FAILURE_REASON_UNSPECIFIED, ""); err != nil {
			return nil, err
		}
		return &types.MsgSubmitChallengeResultResponse{}, ms.Hooks().AfterDeviceScored(ctx, device.Id)
	}

	detail := ""
	switch msg.FailureReason {
	case types.FAILURE_REASON_LATE, types.FAILURE_REASON_NO_ANSWER:
	case types.FAILURE_REASON_BAD_PROOF:
		err := samplesErr()
		if err == nil {
			return nil, errorsmod.Wrap(types.ErrNoEvidence, "the submitted samples pass the re-check")
		}
		if errorsmod.IsOf(err, types.ErrInvalidResult) {
			return nil, err
		}
		detail = err.Error()
		// Evidence-backed failures are accepted reports; "late" and "no
		// answer" are taken on trust and earn nothing.
		if err := ms.countReport(ctx, val); err != nil {
			return nil, err
		}
	default:
		return nil, errorsmod.Wrapf(types.ErrInvalidResult, "a failure needs failure_reason LATE, NO_ANSWER or BAD_PROOF, got %s", msg.FailureReason)
	}
	if err := ms.closeChallenge(ctx, c, types.CHALLENGE_STATUS_FAILED, msg.FailureReason, detail); err != nil {
		return nil, err
	}
	params, err := ms.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	if c.Failures+1 < params.Confirmations {
		next, err := ms.issueChallenge(ctx, device, types.CHALLENGE_KIND_RESIDENCY, val, nil)
		if errors.Is(err, types.ErrNoVerifier) {
			return &types.MsgSubmitChallengeResultResponse{}, nil // confirmed at the next scheduled challenge
		} else if err != nil {
			return nil, err
		}
		next.Failures = c.Failures + 1
		if err := ms.Challenges.Set(ctx, next.Id, next); err != nil {
			return nil, err
		}
		return &types.MsgSubmitChallengeResultResponse{ConfirmationId: next.Id}, nil
	}
	device.Status = types.DEVICE_STATUS_FAILED
	device.W = math.ZeroInt()
	if err := ms.Devices.Set(ctx, device.Id, device); err != nil {
		return nil, err
	}
	if err := sdkCtx.EventManager().EmitTypedEvent(&types.EventDeviceFailed{DeviceId: device.Id, ChallengeId: c.Id, FailureReason: msg.FailureReason}); err != nil {
		return nil, err
	}
	if err := ms.Hooks().AfterDeviceFailed(ctx, device.Id); err != nil {
		return nil, err
	}
	return &types.MsgSubmitChallengeResultResponse{DeviceFailed: true}, nil
}
