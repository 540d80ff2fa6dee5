package keeper

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/loopin-project/loopin/x/pocps/types"
)

// InitGenesis validates gs and writes it to the store.
func (k Keeper) InitGenesis(ctx context.Context, gs types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	for _, d := range gs.Devices {
		if err := k.Devices.Set(ctx, d.Id, d); err != nil {
			return err
		}
		// LastPasses is derived, not exported: the devices carry it.
		if last := lastPassOf(d); !last.IsZero() {
			if err := k.recordPass(ctx, d.Id, last); err != nil {
				return err
			}
		}
		if d.Status == types.DEVICE_STATUS_FAILED {
			if err := k.DevicePrune.Set(ctx, collections.Join(d.FailedAt.Add(gs.Params.DeviceRetention).Unix(), d.Id)); err != nil {
				return err
			}
		}
	}
	for _, m := range gs.Misses {
		valAddr, err := k.stakingKeeper.ValidatorAddressCodec().StringToBytes(m.Validator)
		if err != nil {
			return fmt.Errorf("misses of %q: %w", m.Validator, err)
		}
		if err := k.Misses.Set(ctx, valAddr, m); err != nil {
			return err
		}
	}
	for _, v := range gs.Verifiers {
		valAddr, err := k.stakingKeeper.ValidatorAddressCodec().StringToBytes(v.Validator)
		if err != nil {
			return fmt.Errorf("verifier %q: %w", v.Validator, err)
		}
		if err := k.Verifiers.Set(ctx, valAddr, v); err != nil {
			return err
		}
	}
	for _, c := range gs.Challenges {
		if err := k.Challenges.Set(ctx, c.Id, c); err != nil {
			return err
		}
		if c.Status == types.CHALLENGE_STATUS_PENDING {
			if err := k.DeadlineQueue.Set(ctx, collections.Join(c.Deadline.Unix(), c.Id)); err != nil {
				return err
			}
		} else if err := k.ChallengePrune.Set(ctx, collections.Join(c.ClosedAt.Add(gs.Params.ChallengeRetention).Unix(), c.Id)); err != nil {
			return err
		}
	}
	if err := k.ChallengeSeq.Set(ctx, max(gs.NextChallengeId, 1)-1); err != nil {
		return err
	}
	for _, e := range gs.Schedule {
		if err := k.Schedule.Set(ctx, collections.Join(e.DueEpoch, e.DeviceId)); err != nil {
			return err
		}
	}
	if len(gs.Beacon) > 0 {
		if err := k.Beacon.Set(ctx, gs.Beacon); err != nil {
			return err
		}
	}
	if err := k.CurrentEpoch.Set(ctx, gs.CurrentEpoch); err != nil {
		return err
	}
	// The sequence holds next id − 1 (ids start at 1).
	return k.DeviceSeq.Set(ctx, max(gs.NextDeviceId, 1)-1)
}

// ExportGenesis reads the module state back into a GenesisState that
// InitGenesis accepts.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: params}
	if err := k.Devices.Walk(ctx, nil, func(_ uint64, d types.Device) (bool, error) {
		gs.Devices = append(gs.Devices, d)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Verifiers.Walk(ctx, nil, func(_ sdk.ValAddress, v types.Verifier) (bool, error) {
		gs.Verifiers = append(gs.Verifiers, v)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Misses.Walk(ctx, nil, func(_ sdk.ValAddress, m types.VerifierMisses) (bool, error) {
		gs.Misses = append(gs.Misses, m)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Challenges.Walk(ctx, nil, func(_ uint64, c types.Challenge) (bool, error) {
		gs.Challenges = append(gs.Challenges, c)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Schedule.Walk(ctx, nil, func(key collections.Pair[int64, uint64]) (bool, error) {
		gs.Schedule = append(gs.Schedule, types.ScheduleEntry{DueEpoch: key.K1(), DeviceId: key.K2()})
		return false, nil
	}); err != nil {
		return nil, err
	}
	if gs.Beacon, err = k.Beacon.Get(ctx); err != nil && !errors.Is(err, collections.ErrNotFound) {
		return nil, err
	}
	if gs.CurrentEpoch, err = k.currentEpoch(ctx); err != nil {
		return nil, err
	}
	cseq, err := k.ChallengeSeq.Peek(ctx)
	if err != nil {
		return nil, err
	}
	gs.NextChallengeId = cseq + 1
	seq, err := k.DeviceSeq.Peek(ctx)
	if err != nil {
		return nil, err
	}
	gs.NextDeviceId = seq + 1
	return gs, nil
}
