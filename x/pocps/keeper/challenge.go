package keeper

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"time"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/loopin-project/loopin/proof"
	"github.com/loopin-project/loopin/x/pocps/types"
)

// VerifyGasPerByte is charged per byte of proof the chain re-checks, on top
// of the transaction's size: verification hashes about one 32-byte path
// node per 32 bytes of proof (and a GEMM row's column block costs about as
// many PRG blocks as the row has bytes / 4).
const VerifyGasPerByte = 30

// assignment is what issuing challenges reads once: the verifiers with
// fewer than max_missed misses (in address order) and the params. An epoch
// end that challenges many devices loads it once, not once per device.
type assignment struct {
	params    types.Params
	verifiers []sdk.ValAddress
	names     []string
}

// loadAssignment reads the eligible verifiers and the params. The set is
// bounded by the validator set (x/staking max_validators), so reading it is
// bounded by governance.
func (k Keeper) loadAssignment(ctx context.Context) (*assignment, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	a := &assignment{params: params}
	err = k.Verifiers.Walk(ctx, nil, func(val sdk.ValAddress, v types.Verifier) (bool, error) {
		if v.Missed < params.MaxMissed {
			a.verifiers = append(a.verifiers, val)
			a.names = append(a.names, v.Validator)
		}
		return false, nil
	})
	return a, err
}

// pick chooses a verifier for a device of owner from the block's
// randomness among the loaded ones whose operator is not the owner, other
// than exclude. Returns ErrNoVerifier when none is eligible.
func (a *assignment) pick(ctx context.Context, owner sdk.AccAddress, exclude sdk.ValAddress, salt uint64) (string, error) {
	var eligible []string
	for i, val := range a.verifiers {
		if !sdk.AccAddress(val).Equals(owner) && !val.Equals(exclude) {
			eligible = append(eligible, a.names[i])
		}
	}
	if len(eligible) == 0 {
		return "", errorsmod.Wrap(types.ErrNoVerifier, "register a verifier (loopind tx pocps register-verifier) that is not the device owner")
	}
	seed := sha256.New()
	seed.Write([]byte("loopin/pocps/v1/assign"))
	seed.Write(sdk.UnwrapSDKContext(ctx).HeaderHash())
	seed.Write(binary.BigEndian.AppendUint64(nil, salt))
	return eligible[binary.BigEndian.Uint64(seed.Sum(nil)[:8])%uint64(len(eligible))], nil
}

// issueChallenge assigns a new challenge of kind for device to a verifier
// and queues its deadline. Its seed is the hash of the next block. a may be
// nil (it is then loaded); callers issuing many challenges pass one.
func (k Keeper) issueChallenge(ctx context.Context, device types.Device, kind types.ChallengeKind, exclude sdk.ValAddress, a *assignment) (types.Challenge, error) {
	if a == nil {
		var err error
		if a, err = k.loadAssignment(ctx); err != nil {
			return types.Challenge{}, err
		}
	}
	owner, err := k.accountKeeper.AddressCodec().StringToBytes(device.Owner)
	if err != nil {
		return types.Challenge{}, err
	}
	id, err := k.ChallengeSeq.Next(ctx)
	if err != nil {
		return types.Challenge{}, err
	}
	id++
	name, err := a.pick(ctx, owner, exclude, id)
	if err != nil {
		return types.Challenge{}, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	c := types.Challenge{
		Id: id, DeviceId: device.Id, Kind: kind, Verifier: name,
		IssuedHeight: sdkCtx.BlockHeight(), SeedHeight: sdkCtx.BlockHeight() + 1,
		Deadline: sdkCtx.BlockTime().Add(a.params.ChallengeDeadline), Status: types.CHALLENGE_STATUS_PENDING,
	}
	if err := k.Challenges.Set(ctx, id, c); err != nil {
		return types.Challenge{}, err
	}
	if err := k.DeadlineQueue.Set(ctx, collections.Join(c.Deadline.Unix(), id)); err != nil {
		return types.Challenge{}, err
	}
	return c, sdkCtx.EventManager().EmitTypedEvent(&types.EventChallengeIssued{
		ChallengeId: id, DeviceId: device.Id, Kind: kind.String(), Verifier: name,
		SeedHeight: c.SeedHeight, Deadline: c.Deadline.UTC().Format(time.RFC3339),
	})
}

// closeChallenge records a challenge's outcome (the reason and, for a bad
// proof, the re-check's detail) and takes it off the queue.
func (k Keeper) closeChallenge(ctx context.Context, c types.Challenge, status types.ChallengeStatus, reason types.FailureReason, detail string) error {
	c.Status, c.FailureReason, c.Detail = status, reason, detail
	if err := k.Challenges.Set(ctx, c.Id, c); err != nil {
		return err
	}
	if err := k.DeadlineQueue.Remove(ctx, collections.Join(c.Deadline.Unix(), c.Id)); err != nil {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventChallengeResult{
		ChallengeId: c.Id, DeviceId: c.DeviceId, Status: status.String(), FailureReason: reason, Detail: detail,
	})
}

// SubmitSetupResult re-checks a setup proof in full (proof.VerifySetup with
// the seed block's hash) and seals the device when it passes. A proof that
// fails the check, or an empty one (no answer), fails the device. Errors,
// changing nothing: ErrNotAssigned, ErrChallengeNotFound,
// ErrChallengeClosed, ErrWrongKind, ErrTooEarly, ErrDeadlinePassed.
func (k Keeper) SubmitSetupResult(ctx context.Context, msg *types.MsgSubmitSetupResult) (*types.MsgSubmitSetupResultResponse, error) {
	c, val, err := k.assignedPending(ctx, msg.HotKey, msg.ChallengeId, types.CHALLENGE_KIND_SETUP)
	if err != nil {
		return nil, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	seedHash, err := k.BlockHashes.Get(ctx, c.SeedHeight)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, errorsmod.Wrapf(types.ErrTooEarly, "challenge %d is seeded by block %d", c.Id, c.SeedHeight)
	} else if err != nil {
		return nil, err
	}
	device, err := k.device(ctx, c.DeviceId)
	if err != nil {
		return nil, err
	}

	sdkCtx.GasMeter().ConsumeGas(VerifyGasPerByte*uint64(len(msg.Proof)), "pocps: verify setup proof")
	reason, detail := types.FAILURE_REASON_UNSPECIFIED, ""
	if len(msg.Proof) == 0 {
		reason = types.FAILURE_REASON_NO_ANSWER
	} else {
		var setup proof.SetupProof
		if err := setup.UnmarshalBinary(msg.Proof); err != nil {
			reason, detail = types.FAILURE_REASON_BAD_PROOF, err.Error()
		} else {
			var key, seed proof.Hash
			copy(key[:], device.Key)
			copy(seed[:], seedHash)
			if err := proof.VerifySetup(device.Seal.Params.ProofParams(), key, device.Seal.Commitment(), seed, &setup); err != nil {
				reason, detail = types.FAILURE_REASON_BAD_PROOF, err.Error()
			}
		}
	}
	if reason != types.FAILURE_REASON_UNSPECIFIED {
		device.Status = types.DEVICE_STATUS_FAILED
		if err := k.Devices.Set(ctx, device.Id, device); err != nil {
			return nil, err
		}
		if err := k.closeChallenge(ctx, c, types.CHALLENGE_STATUS_FAILED, reason, detail); err != nil {
			return nil, err
		}
		return &types.MsgSubmitSetupResultResponse{Passed: false, FailureReason: reason, Detail: detail}, nil
	}
	device.Status = types.DEVICE_STATUS_SEALED
	device.SealedAt = sdkCtx.BlockTime()
	if err := k.Devices.Set(ctx, device.Id, device); err != nil {
		return nil, err
	}
	if err := k.schedule(ctx, device.Id); err != nil {
		return nil, err
	}
	if err := k.closeChallenge(ctx, c, types.CHALLENGE_STATUS_PASSED, types.FAILURE_REASON_UNSPECIFIED, ""); err != nil {
		return nil, err
	}
	if err := k.countReport(ctx, val); err != nil {
		return nil, err
	}
	if err := sdkCtx.EventManager().EmitTypedEvent(&types.EventDeviceSealed{DeviceId: device.Id}); err != nil {
		return nil, err
	}
	return &types.MsgSubmitSetupResultResponse{Passed: true}, nil
}

// assignedPending loads challenge id and checks that hotKey is the hot key
// of its assigned verifier, that it is pending, of kind, and not past its
// deadline. It returns the challenge and the verifier's operator address.
func (k Keeper) assignedPending(ctx context.Context, hotKey string, id uint64, kind types.ChallengeKind) (types.Challenge, sdk.ValAddress, error) {
	hot, err := k.accountKeeper.AddressCodec().StringToBytes(hotKey)
	if err != nil {
		return types.Challenge{}, nil, errorsmod.Wrapf(types.ErrNotAssigned, "invalid hot key %q", hotKey)
	}
	val, err := k.Verifiers.Indexes.ByHotKey.MatchExact(ctx, hot)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Challenge{}, nil, errorsmod.Wrapf(types.ErrNotAssigned, "%s is no verifier's hot key", hotKey)
	} else if err != nil {
		return types.Challenge{}, nil, err
	}
	c, err := k.Challenges.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return c, nil, errorsmod.Wrapf(types.ErrChallengeNotFound, "challenge %d", id)
	} else if err != nil {
		return c, nil, err
	}
	assigned, err := k.stakingKeeper.ValidatorAddressCodec().StringToBytes(c.Verifier)
	if err != nil {
		return c, nil, err
	}
	if !sdk.ValAddress(assigned).Equals(val) {
		return c, nil, errorsmod.Wrapf(types.ErrNotAssigned, "challenge %d is assigned to %s", c.Id, c.Verifier)
	}
	if c.Status != types.CHALLENGE_STATUS_PENDING {
		return c, nil, errorsmod.Wrapf(types.ErrChallengeClosed, "challenge %d is %s", c.Id, c.Status)
	}
	if c.Kind != kind {
		return c, nil, errorsmod.Wrapf(types.ErrWrongKind, "challenge %d is %s", c.Id, c.Kind)
	}
	if sdk.UnwrapSDKContext(ctx).BlockTime().After(c.Deadline) {
		return c, nil, errorsmod.Wrapf(types.ErrDeadlinePassed, "challenge %d closed at %s", c.Id, c.Deadline)
	}
	return c, val, nil
}

// SubmitChallengeResult takes a verifier's report of a residency and
// throughput challenge (x/pocps/README.md). A pass must come with samples that
// pass the chain's re-check (VerifyResidencySample, VerifyGemmSample); it
// updates W (moving average, weight 1/4) and the last verification. A
// failure "bad proof" must come with samples that fail the re-check; "late"
// and "no answer" are taken on trust. A failure is confirmed by a second,
// independently assigned verifier: after `confirmations` failed reports the
// device fails and the PocpsHooks run (x/stake's failure path). Errors,
// changing nothing: ErrNotAssigned, ErrChallengeNotFound, ErrChallengeClosed,
// ErrWrongKind, ErrDeadlinePassed, ErrInvalidResult, ErrBadSample,
// ErrNoEvidence.
func (k Keeper) SubmitChallengeResult(ctx context.Context, msg *types.MsgSubmitChallengeResult) (*types.MsgSubmitChallengeResultResponse, error) {
	c, val, err := k.assignedPending(ctx, msg.HotKey, msg.ChallengeId, types.CHALLENGE_KIND_RESIDENCY)
	if err != nil {
		return nil, err
	}
	device, err := k.device(ctx, c.DeviceId)
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
		if err := k.Devices.Set(ctx, device.Id, device); err != nil {
			return nil, err
		}
		if err := k.countReport(ctx, val); err != nil {
			return nil, err
		}
		if err := k.closeChallenge(ctx, c, types.CHALLENGE_STATUS_PASSED, types.FAILURE_REASON_UNSPECIFIED, ""); err != nil {
			return nil, err
		}
		return &types.MsgSubmitChallengeResultResponse{}, k.Hooks().AfterDeviceScored(ctx, device.Id)
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
		if err := k.countReport(ctx, val); err != nil {
			return nil, err
		}
	default:
		return nil, errorsmod.Wrapf(types.ErrInvalidResult, "a failure needs failure_reason LATE, NO_ANSWER or BAD_PROOF, got %s", msg.FailureReason)
	}
	if err := k.closeChallenge(ctx, c, types.CHALLENGE_STATUS_FAILED, msg.FailureReason, detail); err != nil {
		return nil, err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	if c.Failures+1 < params.Confirmations {
		next, err := k.issueChallenge(ctx, device, types.CHALLENGE_KIND_RESIDENCY, val, nil)
		if errors.Is(err, types.ErrNoVerifier) {
			return &types.MsgSubmitChallengeResultResponse{}, nil // confirmed at the next scheduled challenge
		} else if err != nil {
			return nil, err
		}
		next.Failures = c.Failures + 1
		if err := k.Challenges.Set(ctx, next.Id, next); err != nil {
			return nil, err
		}
		return &types.MsgSubmitChallengeResultResponse{ConfirmationId: next.Id}, nil
	}
	device.Status = types.DEVICE_STATUS_FAILED
	device.W = math.ZeroInt()
	if err := k.Devices.Set(ctx, device.Id, device); err != nil {
		return nil, err
	}
	if err := sdkCtx.EventManager().EmitTypedEvent(&types.EventDeviceFailed{DeviceId: device.Id, ChallengeId: c.Id, FailureReason: msg.FailureReason}); err != nil {
		return nil, err
	}
	if err := k.Hooks().AfterDeviceFailed(ctx, device.Id); err != nil {
		return nil, err
	}
	return &types.MsgSubmitChallengeResultResponse{DeviceFailed: true}, nil
}
