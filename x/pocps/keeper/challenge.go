package keeper

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"time"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/loopin-project/loopin/proof"
	"github.com/loopin-project/loopin/x/pocps/types"
)

// VerifyGasPerByte is charged per byte of proof the chain re-checks, on top
// of the transaction's size: verification hashes about one 32-byte path
// node per 32 bytes of proof (and a GEMM row's column block costs about as
// many PRG blocks as the row has bytes / 4).
const VerifyGasPerByte = 30

// maxDeadlinesPerBlock bounds the missed deadlines one block processes; the
// rest wait for the next block (STYLE.md: bounded batches).
const maxDeadlinesPerBlock = 100

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

// device loads device id, mapping "not found" to ErrDeviceNotFound (the
// owner may have deregistered it while a challenge was pending).
func (k Keeper) device(ctx context.Context, id uint64) (types.Device, error) {
	d, err := k.Devices.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return d, errorsmod.Wrapf(types.ErrDeviceNotFound, "device %d was deregistered", id)
	}
	return d, err
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
func (ms msgServer) SubmitSetupResult(ctx context.Context, msg *types.MsgSubmitSetupResult) (*types.MsgSubmitSetupResultResponse, error) {
	c, val, err := ms.assignedPending(ctx, msg.HotKey, msg.ChallengeId, types.CHALLENGE_KIND_SETUP)
	if err != nil {
		return nil, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	seedHash, err := ms.BlockHashes.Get(ctx, c.SeedHeight)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, errorsmod.Wrapf(types.ErrTooEarly, "challenge %d is seeded by block %d", c.Id, c.SeedHeight)
	} else if err != nil {
		return nil, err
	}
	device, err := ms.device(ctx, c.DeviceId)
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
		if err := ms.Devices.Set(ctx, device.Id, device); err != nil {
			return nil, err
		}
		if err := ms.closeChallenge(ctx, c, types.CHALLENGE_STATUS_FAILED, reason, detail); err != nil {
			return nil, err
		}
		return &types.MsgSubmitSetupResultResponse{Passed: false, FailureReason: reason, Detail: detail}, nil
	}
	device.Status = types.DEVICE_STATUS_SEALED
	device.SealedAt = sdkCtx.BlockTime()
	if err := ms.Devices.Set(ctx, device.Id, device); err != nil {
		return nil, err
	}
	if err := ms.schedule(ctx, device.Id); err != nil {
		return nil, err
	}
	if err := ms.closeChallenge(ctx, c, types.CHALLENGE_STATUS_PASSED, types.FAILURE_REASON_UNSPECIFIED, ""); err != nil {
		return nil, err
	}
	if err := ms.countReport(ctx, val); err != nil {
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
			if _, err := k.issueChallenge(ctx, device, types.CHALLENGE_KIND_SETUP, val, nil); err != nil && !errors.Is(err, types.ErrNoVerifier) {
				return err
			}
		}
	}
	return nil
}
