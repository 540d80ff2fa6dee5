package keeper

import (
	"context"
	"time"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	chaintypes "github.com/loopin-project/loopin/types"
	"github.com/loopin-project/loopin/x/rewards/types"
)

// epochSeconds is the length of the `loopin` epoch in seconds.
func (k Keeper) epochSeconds(ctx context.Context) (int64, error) {
	info, err := k.epochsKeeper.GetEpochInfo(sdk.UnwrapSDKContext(ctx), chaintypes.EpochIdentifier)
	if err != nil {
		return 0, err
	}
	if info.Duration < time.Second {
		return 0, errorsmod.Wrapf(types.ErrInvalidParams, "the %s epoch lasts %s", chaintypes.EpochIdentifier, info.Duration)
	}
	return int64(info.Duration / time.Second), nil
}

// MinerPot is the miners' share of epoch's emission, ⌊miner_share ×
// Emission(epoch)⌋ uloop: what x/rewards streams to the committed devices
// over that epoch (abci.go).
func MinerPot(p types.Params, epoch int64) math.Int {
	return share(Emission(p, epoch), p.MinerShare)
}

// Gamma is the reward rate γ of whitepaper §5 in uloop per GPU-second:
// the miners' share of an epoch's emission over devices × epoch seconds
// (devices at least 1). It is the bound for β at genesis and in parameter
// changes with devices = 1 (the most a single device can earn), and the
// realized rate in the Economics query.
func Gamma(p types.Params, epoch int64, devices uint64, epochSeconds int64) math.LegacyDec {
	pot := MinerPot(p, max(epoch, 1))
	return math.LegacyNewDecFromInt(pot).QuoInt64(int64(max(devices, 1)) * epochSeconds)
}

// TMin is the balance condition of whitepaper §5: the shortest stake, in
// seconds, whose rewards at the rate gamma repay the staking fee alpha
// (uloop) and the maintenance rate beta (uloop per GPU-second) over its
// length, ⌈α/(γ−β)⌉ (rounded up: a stake of TMin seconds breaks even). ok
// is false when β ≥ γ: no stake pays back.
func TMin(alpha math.Int, beta, gamma math.LegacyDec) (seconds int64, ok bool) {
	if beta.GTE(gamma) {
		return 0, false
	}
	return math.LegacyNewDecFromInt(alpha).Quo(gamma.Sub(beta)).Ceil().TruncateInt64(), true
}

// CheckBalance returns ErrBalance when the maintenance rate beta (uloop per
// GPU-second) is not below γ for one device under the current x/rewards
// params (the most any device can earn: T_min would be infinite for all).
// x/stake calls it when governance changes beta; InitGenesis and
// MsgUpdateParams call checkBalance with the new x/rewards params.
func (k Keeper) CheckBalance(ctx context.Context, beta math.LegacyDec) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	return k.checkBalance(ctx, params, beta)
}

func (k Keeper) checkBalance(ctx context.Context, params types.Params, beta math.LegacyDec) error {
	secs, err := k.epochSeconds(ctx)
	if err != nil {
		return err
	}
	gamma := Gamma(params, 1, 1, secs)
	if beta.GTE(gamma) {
		return errorsmod.Wrapf(types.ErrBalance,
			"maintenance_rate β = %s uloop/GPU-s must be below the reward rate γ = %s uloop/GPU-s (miner_share × epoch_emission / %d s epoch, one device)",
			beta, gamma, secs)
	}
	return nil
}
