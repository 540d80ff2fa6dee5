package keeper

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
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
// fewer than max_missed (decayed) misses (in address order) and the params. An epoch
// end that challenges many devices loads it once, not once per device.
type assignment struct {
	params    types.Params
	verifiers []sdk.ValAddress
	names     []string
	vrfKeys   map[string][]byte
}

// loadAssignment reads the eligible verifiers and the params. The set is
// bounded by the validator set (x/staking max_validators), so reading it is
// bounded by governance.
func (k Keeper) loadAssignment(ctx context.Context) (*assignment, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	a := &assignment{params: params, vrfKeys: map[string][]byte{}}
	err = k.Verifiers.Walk(ctx, nil, func(val sdk.ValAddress, v types.Verifier) (bool, error) {
		missed, err := k.missesOf(ctx, val, params)
		if err != nil {
			return true, err
		}
		if missed < params.MaxMissed {
			a.verifiers = append(a.verifiers, val)
			a.names = append(a.names, v.Validator)
			a.vrfKeys[v.Validator] = v.VrfKey
		}
		return false, nil
	})
	return a, err
}

// pick chooses a verifier for a device of owner among the loaded ones
// whose operator is not the owner and not in exclude (validator operator
// addresses), from seed (a draw seed: proof.BlockDrawSeed, the beacon at
// some block's BeginBlock, which neither that block's proposer nor its
// transactions move) and salt. Returns ErrNoVerifier when none is eligible.
func (a *assignment) pick(seed []byte, owner sdk.AccAddress, exclude []string, salt uint64) (string, error) {
	var eligible []string
	for i, val := range a.verifiers {
		if !sdk.AccAddress(val).Equals(owner) && !slices.Contains(exclude, a.names[i]) {
			eligible = append(eligible, a.names[i])
		}
	}
	if len(eligible) == 0 {
		return "", errorsmod.Wrap(types.ErrNoVerifier, "register a verifier (loopind tx pocps register-verifier) that is not the device owner")
	}
	return eligible[drawFrom(seed, "loopin/pocps/v2/assign", salt)%uint64(len(eligible))], nil
}

// blockDrawSeed is the current block's draw seed (DrawSeed, fixed at
// BeginBlock).
func (k Keeper) blockDrawSeed(ctx context.Context) ([]byte, error) {
	seed, err := k.DrawSeed.Get(ctx)
	if errors.Is(err, collections.ErrNotFound) {
		// Before the first BeginBlock (genesis transactions): the empty
		// beacon's seed for this height.
		s := proof.BlockDrawSeed(nil, sdk.UnwrapSDKContext(ctx).BlockHeight())
		return s[:], nil
	}
	return seed, err
}

// drawFrom is u64(SHA-256(tag ‖ seed ‖ u64 salt)[0:8]).
func drawFrom(seed []byte, tag string, salt uint64) uint64 {
	h := sha256.New()
	h.Write([]byte(tag))
	h.Write(seed)
	h.Write(binary.BigEndian.AppendUint64(nil, salt))
	return binary.BigEndian.Uint64(h.Sum(nil)[:8])
}

// draw returns a u64 of the current block's draw seed for tag and salt.
func (k Keeper) draw(ctx context.Context, tag string, salt uint64) (uint64, error) {
	seed, err := k.blockDrawSeed(ctx)
	if err != nil {
		return 0, err
	}
	return drawFrom(seed, tag, salt), nil
}

// issueChallenge assigns a new challenge of kind for device to a verifier
// not in exclude (recorded as the challenge's reported_by) and queues its
// deadline. The verifier is drawn from the current block's draw seed with
// the device id and the challenge's place in its chain as salt, or, for a
// follow-up of challenge prev (a confirmation, a re-issued setup), from
// prev's draw seed with the same salt: fixed when the chain's first
// challenge was issued, whenever the reports come. Its public nonce is derived from the chain id, its id and this
// block's hash (proof.ChallengeNonce); what the device works on comes from
// the verifier's VRF proof of it (proof.SecretsFromVRF).
// a may be nil (it is then loaded); callers issuing many challenges pass
// one. Errors: ErrNoVerifier.
func (k Keeper) issueChallenge(ctx context.Context, device types.Device, kind types.ChallengeKind, exclude []string, a *assignment, prev *types.Challenge) (types.Challenge, error) {
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
	// The salt names the device and the place in its chain of challenges,
	// not the global challenge counter, which other transactions move.
	attempt := uint32(0)
	if prev != nil {
		attempt = prev.Attempt + 1
	}
	salt := device.Id<<10 | uint64(attempt&0x3ff)
	seed := []byte(nil)
	if prev != nil && len(prev.DrawSeed) > 0 {
		seed = prev.DrawSeed
	} else if seed, err = k.blockDrawSeed(ctx); err != nil {
		return types.Challenge{}, err
	}
	name, err := a.pick(seed, owner, exclude, salt)
	if err != nil {
		return types.Challenge{}, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	nonce := proof.ChallengeNonce(sdkCtx.ChainID(), id, sdkCtx.HeaderHash())
	c := types.Challenge{
		Id: id, DeviceId: device.Id, Kind: kind, Verifier: name,
		IssuedHeight: sdkCtx.BlockHeight(), Nonce: nonce[:], ReportedBy: exclude, DrawSeed: seed, VrfKey: a.vrfKeys[name],
		Attempt: attempt, Failures: device.Failures,
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
		Deadline: c.Deadline.UTC().Format(time.RFC3339),
	})
}

// closeChallenge records a challenge's outcome (the reason and, for a bad
// proof, the re-check's detail), takes it off the deadline queue and
// queues its pruning challenge_retention later.
func (k Keeper) closeChallenge(ctx context.Context, c types.Challenge, status types.ChallengeStatus, reason types.FailureReason, detail string) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	c.Status, c.FailureReason, c.Detail = status, reason, detail
	c.ClosedAt = sdk.UnwrapSDKContext(ctx).BlockTime()
	if err := k.Challenges.Set(ctx, c.Id, c); err != nil {
		return err
	}
	if err := k.DeadlineQueue.Remove(ctx, collections.Join(c.Deadline.Unix(), c.Id)); err != nil {
		return err
	}
	if err := k.ChallengePrune.Set(ctx, collections.Join(c.ClosedAt.Add(params.ChallengeRetention).Unix(), c.Id)); err != nil {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventChallengeResult{
		ChallengeId: c.Id, DeviceId: c.DeviceId, Status: status.String(), FailureReason: reason, Detail: detail,
	})
}

// challengeSecret checks a report's VRF proof against the assigned
// verifier's registered key and the challenge (proof.VRFMessage), mixes
// it into the beacon and returns the challenge's secrets. Errors: ErrBadVRF.
func (k Keeper) challengeSecrets(ctx context.Context, c types.Challenge, v types.Verifier, vrfProof []byte) (proof.Secrets, error) {
	var nonce proof.Hash
	copy(nonce[:], c.Nonce)
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	sdkCtx.GasMeter().ConsumeGas(VerifyVRFGas, "pocps: verify VRF proof")
	key := c.VrfKey
	if len(key) == 0 {
		key = v.VrfKey // a challenge imported from a genesis without the key
	}
	if err := proof.VerifyVRF(key, proof.VRFMessage(sdkCtx.ChainID(), c.Id, nonce), vrfProof); err != nil {
		return proof.Secrets{}, errorsmod.Wrapf(types.ErrBadVRF, "challenge %d: %v", c.Id, err)
	}
	beacon, err := k.Beacon.Get(ctx)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return proof.Secrets{}, err
	}
	next := proof.NextBeacon(beacon, vrfProof)
	if err := k.Beacon.Set(ctx, next[:]); err != nil {
		return proof.Secrets{}, err
	}
	return proof.SecretsFromVRF(vrfProof), nil
}

// VerifyVRFGas is charged for checking a VRF proof: two pairings on
// BLS12-381, 3.4 ms of one dev-2c core (BenchmarkVerifyVRF), priced like
// the SDK's signature checks (1 000 gas for a 50 µs secp256k1 check).
const VerifyVRFGas = 70_000

// SubmitSetupResult re-checks a setup proof in full (proof.VerifySetup with
// the SetupSeed of the verifier's VRF proof) and seals the
// device when it passes. A device-signed proof that fails the check fails
// the device at once; an empty proof (no answer) is taken on trust and
// re-issued to another verifier until `confirmations` verifiers said so.
// Errors, changing nothing: ErrNotAssigned, ErrChallengeNotFound,
// ErrChallengeClosed, ErrWrongKind, ErrDeadlinePassed, ErrBadVRF,
// ErrBadSignature (a proof the device did not sign for this seed).
func (k Keeper) SubmitSetupResult(ctx context.Context, msg *types.MsgSubmitSetupResult) (*types.MsgSubmitSetupResultResponse, error) {
	c, val, v, err := k.assignedPending(ctx, msg.HotKey, msg.ChallengeId, types.CHALLENGE_KIND_SETUP)
	if err != nil {
		return nil, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	device, err := k.device(ctx, c.DeviceId)
	if err != nil {
		return nil, err
	}
	secrets, err := k.challengeSecrets(ctx, c, v, msg.VrfProof)
	if err != nil {
		return nil, err
	}
	seed := secrets.SetupSeed

	sdkCtx.GasMeter().ConsumeGas(VerifyGasPerByte*uint64(len(msg.Proof)), "pocps: verify setup proof")
	if len(msg.Proof) == 0 {
		return &types.MsgSubmitSetupResultResponse{Passed: false, FailureReason: types.FAILURE_REASON_NO_ANSWER},
			k.failOnTrust(ctx, c, device, types.FAILURE_REASON_NO_ANSWER)
	}
	if err := proof.VerifyAnswer(device.DevicePubkey, msg.DeviceSignature, sdkCtx.ChainID(), c.Id, proof.AnswerSetup, proof.SetupPayload(seed, msg.Proof)); err != nil {
		return nil, errorsmod.Wrapf(types.ErrBadSignature, "setup proof of challenge %d: %v", c.Id, err)
	}
	reason, detail := types.FAILURE_REASON_UNSPECIFIED, ""
	var setup proof.SetupProof
	if err := setup.UnmarshalBinary(msg.Proof); err != nil {
		reason, detail = types.FAILURE_REASON_BAD_PROOF, err.Error()
	} else {
		var key proof.Hash
		copy(key[:], device.Key)
		if err := proof.VerifySetup(device.Seal.Params.ProofParams(), key, device.Seal.Commitment(), seed, &setup); err != nil {
			reason, detail = types.FAILURE_REASON_BAD_PROOF, err.Error()
		}
	}
	if err := k.countReport(ctx, val); err != nil {
		return nil, err
	}
	if reason != types.FAILURE_REASON_UNSPECIFIED {
		// Device-signed evidence: the device fails on this report alone
		// and its deposit is burned.
		if err := k.failSetup(ctx, device, "setup failed", false); err != nil {
			return nil, err
		}
		if err := k.closeChallenge(ctx, c, types.CHALLENGE_STATUS_FAILED, reason, detail); err != nil {
			return nil, err
		}
		return &types.MsgSubmitSetupResultResponse{Passed: false, FailureReason: reason, Detail: detail}, nil
	}
	device.Status = types.DEVICE_STATUS_SEALED
	device.SealedAt = sdkCtx.BlockTime()
	clearFailures(&device)
	if err := k.returnDeposit(ctx, &device); err != nil {
		return nil, err
	}
	if err := k.Devices.Set(ctx, device.Id, device); err != nil {
		return nil, err
	}
	if err := k.recordPass(ctx, device.Id, lastPassOf(device)); err != nil {
		return nil, err
	}
	if err := k.schedule(ctx, device.Id); err != nil {
		return nil, err
	}
	if err := k.closeChallenge(ctx, c, types.CHALLENGE_STATUS_PASSED, types.FAILURE_REASON_UNSPECIFIED, ""); err != nil {
		return nil, err
	}
	if err := sdkCtx.EventManager().EmitTypedEvent(&types.EventDeviceSealed{DeviceId: device.Id}); err != nil {
		return nil, err
	}
	return &types.MsgSubmitSetupResultResponse{Passed: true}, nil
}

// assignedPending loads challenge id and checks that hotKey is the hot key
// of its assigned verifier, that it is pending, of kind, and not past its
// deadline. It returns the challenge, the verifier's operator address and
// its record.
func (k Keeper) assignedPending(ctx context.Context, hotKey string, id uint64, kind types.ChallengeKind) (types.Challenge, sdk.ValAddress, types.Verifier, error) {
	var none types.Verifier
	hot, err := k.accountKeeper.AddressCodec().StringToBytes(hotKey)
	if err != nil {
		return types.Challenge{}, nil, none, errorsmod.Wrapf(types.ErrNotAssigned, "invalid hot key %q", hotKey)
	}
	val, err := k.Verifiers.Indexes.ByHotKey.MatchExact(ctx, hot)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Challenge{}, nil, none, errorsmod.Wrapf(types.ErrNotAssigned, "%s is no verifier's hot key", hotKey)
	} else if err != nil {
		return types.Challenge{}, nil, none, err
	}
	c, err := k.Challenges.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return c, nil, none, errorsmod.Wrapf(types.ErrChallengeNotFound, "challenge %d", id)
	} else if err != nil {
		return c, nil, none, err
	}
	assigned, err := k.stakingKeeper.ValidatorAddressCodec().StringToBytes(c.Verifier)
	if err != nil {
		return c, nil, none, err
	}
	if !sdk.ValAddress(assigned).Equals(val) {
		return c, nil, none, errorsmod.Wrapf(types.ErrNotAssigned, "challenge %d is assigned to %s", c.Id, c.Verifier)
	}
	if c.Status != types.CHALLENGE_STATUS_PENDING {
		return c, nil, none, errorsmod.Wrapf(types.ErrChallengeClosed, "challenge %d is %s", c.Id, c.Status)
	}
	if c.Kind != kind {
		return c, nil, none, errorsmod.Wrapf(types.ErrWrongKind, "challenge %d is %s", c.Id, c.Kind)
	}
	if sdk.UnwrapSDKContext(ctx).BlockTime().After(c.Deadline) {
		return c, nil, none, errorsmod.Wrapf(types.ErrDeadlinePassed, "challenge %d closed at %s", c.Id, c.Deadline)
	}
	v, err := k.Verifiers.Get(ctx, val)
	if err != nil {
		return c, nil, none, err
	}
	return c, val, v, nil
}

// SubmitChallengeResult takes a verifier's report of a residency and
// throughput challenge (x/pocps/README.md, docs/pocps.md §14). Every
// commitment and opening must carry the device's signature over this
// challenge, and the audit secret is the assigned verifier's VRF output.
// A pass must come with the first signed walks and rows in audit order,
// each passing the chain's re-check (proof.VerifyWalkAt, proof.VerifyRowAt);
// it updates W (moving average, weight 1/4, W at most types.MaxWMultiple ×
// W_bench) and the last verification. "bad proof" must come with a signed
// opening that fails the re-check (for a row: its paths, the chain's
// column block or the entry the report names, proof.CheckRowEntry); the
// device fails at once. "late" and "no answer" are taken on trust: after
// `confirmations` such reports from different verifiers the device fails
// and the PocpsHooks run (x/stake's failure path). Errors, changing
// nothing: ErrNotAssigned, ErrChallengeNotFound, ErrChallengeClosed,
// ErrWrongKind, ErrDeadlinePassed, ErrBadVRF, ErrBadSignature,
// ErrInvalidResult, ErrBadSample, ErrNoEvidence.
func (k Keeper) SubmitChallengeResult(ctx context.Context, msg *types.MsgSubmitChallengeResult) (*types.MsgSubmitChallengeResultResponse, error) {
	c, val, v, err := k.assignedPending(ctx, msg.HotKey, msg.ChallengeId, types.CHALLENGE_KIND_RESIDENCY)
	if err != nil {
		return nil, err
	}
	device, err := k.device(ctx, c.DeviceId)
	if err != nil {
		return nil, err
	}
	// The stateless checks (lengths, the verdict's form, w) are
	// MsgSubmitChallengeResult.ValidateBasic's, run before every handler.
	secrets, err := k.challengeSecrets(ctx, c, v, msg.VrfProof)
	if err != nil {
		return nil, err
	}
	c.TranscriptHash = msg.TranscriptHash
	sdkCtx := sdk.UnwrapSDKContext(ctx)

	switch {
	case msg.Passed:
		_, _, wBench, err := k.poolsKeeper.ClassInfo(ctx, device.GpuClass)
		if err != nil {
			return nil, err
		}
		if limit := wBench.MulRaw(types.MaxWMultiple); msg.W.GT(limit) {
			return nil, errorsmod.Wrapf(types.ErrInvalidResult, "w %s ops/s is above %d × the class's W_bench (%s)", msg.W, types.MaxWMultiple, limit)
		}
		ev, err := k.checkEvidence(ctx, c, device, secrets, msg)
		if err != nil {
			return nil, err
		}
		if ev.failed != nil {
			return nil, errorsmod.Wrap(types.ErrBadSample, ev.failed.Error())
		}
		if !ev.prefix {
			return nil, errorsmod.Wrap(types.ErrInvalidResult, "a pass opens the first audited walks and rows, in audit order (positions 0, 1, …)")
		}
		if device.W.IsNil() || device.W.IsZero() {
			device.W = msg.W
		} else {
			device.W = device.W.MulRaw(wEWMA - 1).Add(msg.W).QuoRaw(wEWMA)
		}
		device.LastVerified = sdkCtx.BlockTime()
		clearFailures(&device)
		if err := k.Devices.Set(ctx, device.Id, device); err != nil {
			return nil, err
		}
		if err := k.recordPass(ctx, device.Id, device.LastVerified); err != nil {
			return nil, err
		}
		if err := k.countReport(ctx, val); err != nil {
			return nil, err
		}
		if err := k.closeChallenge(ctx, c, types.CHALLENGE_STATUS_PASSED, types.FAILURE_REASON_UNSPECIFIED, ""); err != nil {
			return nil, err
		}
		return &types.MsgSubmitChallengeResultResponse{}, k.Hooks().AfterDeviceScored(ctx, device.Id)

	case msg.FailureReason == types.FAILURE_REASON_BAD_PROOF:
		ev, err := k.checkEvidence(ctx, c, device, secrets, msg)
		if err != nil {
			return nil, err
		}
		if ev.failed == nil {
			return nil, errorsmod.Wrap(types.ErrNoEvidence, "every device-signed opening passes the re-check")
		}
		// Device-signed evidence the chain checked: an accepted report, and
		// the device fails on it alone.
		if err := k.countReport(ctx, val); err != nil {
			return nil, err
		}
		if err := k.closeChallenge(ctx, c, types.CHALLENGE_STATUS_FAILED, msg.FailureReason, ev.failed.Error()); err != nil {
			return nil, err
		}
		return &types.MsgSubmitChallengeResultResponse{DeviceFailed: true}, k.failDevice(ctx, device, c.Id, msg.FailureReason)

	case msg.FailureReason == types.FAILURE_REASON_LATE, msg.FailureReason == types.FAILURE_REASON_NO_ANSWER:
		next, failed, err := k.failOnTrustResult(ctx, c, device, msg.FailureReason)
		if err != nil {
			return nil, err
		}
		return &types.MsgSubmitChallengeResultResponse{DeviceFailed: failed, ConfirmationId: next}, nil
	default:
		return nil, errorsmod.Wrapf(types.ErrInvalidResult, "a failure needs failure_reason LATE, NO_ANSWER or BAD_PROOF, got %s", msg.FailureReason)
	}
}

// evidence is what checkEvidence found: the first opening that fails the
// re-check (nil: all pass) and whether the openings are the audit's first
// positions in order (a pass must be).
type evidence struct {
	failed error
	prefix bool
}

// checkEvidence checks every device signature of a report (commitments
// and openings: an unsigned or wrongly signed one refuses the report with
// ErrBadSignature, since it proves nothing about the device) and re-checks
// each opening. Decoding errors of signed openings are the device's and
// count as failures. Gas: VerifyGasPerByte per byte of openings.
func (k Keeper) checkEvidence(ctx context.Context, c types.Challenge, device types.Device, sec proof.Secrets, msg *types.MsgSubmitChallengeResult) (evidence, error) {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	chainID, pub := sdkCtx.ChainID(), device.DevicePubkey
	p := device.Seal.Params.ProofParams()
	sealRoot := device.Seal.Commitment().SealRoot()
	nonce, seed := sec.ResidencyNonce, sec.GemmSeed
	var resRoot proof.Hash
	if len(msg.ResidencyRoot) != 32 {
		return evidence{}, errorsmod.Wrap(types.ErrInvalidResult, "residency_root must be 32 bytes")
	}
	copy(resRoot[:], msg.ResidencyRoot)
	if err := proof.VerifyAnswer(pub, msg.ResidencyRootSignature, chainID, c.Id, proof.AnswerResidencyRoot, proof.RootPayload(nonce, resRoot)); err != nil {
		return evidence{}, errorsmod.Wrapf(types.ErrBadSignature, "residency root: %v", err)
	}
	roots := make([]proof.Hash, len(msg.GemmRoots))
	for i, r := range msg.GemmRoots {
		if len(r) != 32 {
			return evidence{}, errorsmod.Wrapf(types.ErrInvalidResult, "gemm root %d must be 32 bytes", i)
		}
		copy(roots[i][:], r)
	}
	if len(roots) > 0 {
		if err := proof.VerifyAnswer(pub, msg.GemmRootsSignature, chainID, c.Id, proof.AnswerGemmRoots, proof.RootPayload(seed, roots...)); err != nil {
			return evidence{}, errorsmod.Wrapf(types.ErrBadSignature, "gemm roots: %v", err)
		}
	} else if len(msg.GemmOpenings) > 0 {
		return evidence{}, errorsmod.Wrap(types.ErrInvalidResult, "gemm openings without the signed gemm roots")
	}
	var bytes uint64
	for _, o := range msg.ResidencyOpenings {
		bytes += uint64(len(o.Opening))
	}
	for _, o := range msg.GemmOpenings {
		bytes += uint64(len(o.Opening))
	}
	sdkCtx.GasMeter().ConsumeGas(VerifyGasPerByte*bytes, "pocps: verify challenge openings")

	ev := evidence{prefix: true}
	resCommit, gemmCommit := proof.RootPayload(nonce, resRoot), proof.RootPayload(seed, roots...)
	for i, o := range msg.ResidencyOpenings {
		if err := proof.VerifyAnswer(pub, o.Signature, chainID, c.Id, proof.AnswerResidencyOpening, proof.OpeningPayload(sec.ResidencySecret, o.Position, resCommit, o.Opening)); err != nil {
			return evidence{}, errorsmod.Wrapf(types.ErrBadSignature, "residency opening %d: %v", i, err)
		}
		ev.prefix = ev.prefix && o.Position == uint32(i)
		if ev.failed != nil {
			continue
		}
		var rp proof.ResidencyProof
		if err := rp.UnmarshalBinary(o.Opening); err != nil || len(rp.Walks) != 1 {
			ev.failed = fmt.Errorf("residency opening at position %d is not one encoded walk (%v)", o.Position, err)
			continue
		}
		if err := proof.VerifyWalkAt(p, sealRoot, nonce, resRoot, sec.ResidencySecret, o.Position, rp.Walks[0]); err != nil {
			ev.failed = fmt.Errorf("residency: %w", err)
		}
	}
	for i, o := range msg.GemmOpenings {
		if err := proof.VerifyAnswer(pub, o.Signature, chainID, c.Id, proof.AnswerGemmOpening, proof.OpeningPayload(sec.GemmSecret, o.Position, gemmCommit, o.Opening)); err != nil {
			return evidence{}, errorsmod.Wrapf(types.ErrBadSignature, "gemm opening %d: %v", i, err)
		}
		if !msg.Passed && o.Column >= p.GemmDim {
			// The column is the verifier's claim, not the device's answer.
			return evidence{}, errorsmod.Wrapf(types.ErrInvalidResult, "gemm opening %d names column %d of a %d-column row", i, o.Column, p.GemmDim)
		}
		ev.prefix = ev.prefix && o.Position == uint32(i)
		if ev.failed != nil {
			continue
		}
		var gp proof.GemmProof
		if err := gp.UnmarshalBinary(o.Opening); err != nil || len(gp.Rows) != 1 {
			ev.failed = fmt.Errorf("gemm opening at position %d is not one encoded row (%v)", o.Position, err)
			continue
		}
		if err := proof.VerifyRowAt(p, sealRoot, seed, roots, sec.GemmSecret, sec.Columns, o.Position, gp.Rows[0]); err != nil {
			ev.failed = fmt.Errorf("gemm: %w", err)
		} else if !msg.Passed {
			if err := proof.CheckRowEntry(p, sealRoot, seed, roots, sec.GemmSecret, o.Position, gp.Rows[0], o.Column); err != nil {
				ev.failed = fmt.Errorf("gemm: %w", err)
			}
		}
	}
	return ev, nil
}

// failOnTrust is failOnTrustResult for a setup report, whose response
// says only that it failed.
func (k Keeper) failOnTrust(ctx context.Context, c types.Challenge, device types.Device, reason types.FailureReason) error {
	_, _, err := k.failOnTrustResult(ctx, c, device, reason)
	return err
}

// failDevice marks a device FAILED (W reset, out of the schedule at its
// next due epoch, pruned device_retention later), emits EventDeviceFailed and runs
// PocpsHooks.AfterDeviceFailed (x/stake's failure path, then x/rewards).
func (k Keeper) failDevice(ctx context.Context, device types.Device, challengeID uint64, reason types.FailureReason) error {
	device.W = math.ZeroInt()
	if err := k.markFailed(ctx, &device); err != nil {
		return err
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventDeviceFailed{DeviceId: device.Id, ChallengeId: challengeID, FailureReason: reason}); err != nil {
		return err
	}
	return k.Hooks().AfterDeviceFailed(ctx, device.Id)
}
