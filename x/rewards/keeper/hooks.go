package keeper

import (
	"context"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"
	chaintypes "github.com/loopin-project/loopin/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
	"github.com/loopin-project/loopin/x/rewards/types"
)

// Loyalty adapts the keeper to x/pocps's LoyaltyKeeper.
type Loyalty struct{ K Keeper }

// Minted is C_minted.
func (l Loyalty) Minted(ctx context.Context, owner sdk.AccAddress) (math.Int, error) {
	return l.K.MintedTo(ctx, owner)
}

// Held is C_held.
func (l Loyalty) Held(ctx context.Context, owner sdk.AccAddress) (math.Int, error) {
	return l.K.HeldBy(ctx, owner)
}

// EpochHooks returns the x/epochs callbacks of x/rewards.
func (k Keeper) EpochHooks() epochstypes.EpochHooks { return epochHooks{k} }

type epochHooks struct{ k Keeper }

// AfterEpochEnd runs EpochEnd at the end of a `loopin` epoch.
func (h epochHooks) AfterEpochEnd(ctx context.Context, identifier string, epoch int64) error {
	if identifier != chaintypes.EpochIdentifier || epoch < 1 {
		return nil
	}
	return h.k.EpochEnd(ctx, epoch)
}

// BeforeEpochStart does nothing.
func (epochHooks) BeforeEpochStart(context.Context, string, int64) error { return nil }

// PoolsHooks returns x/rewards' lease callbacks: the clients' stream.
func (k Keeper) PoolsHooks() poolsHooks { return poolsHooks{k} }

type poolsHooks struct{ k Keeper }

// AfterLeaseEnded pays the lease's client for its GPU-seconds (PayLease).
func (h poolsHooks) AfterLeaseEnded(ctx context.Context, l poolstypes.Lease) error {
	return h.k.PayLease(ctx, l)
}

// StakeHooks returns x/rewards' commitment callbacks: the miners' stream.
func (k Keeper) StakeHooks() stakeHooks { return stakeHooks{k} }

type stakeHooks struct{ k Keeper }

// AfterStakeStarted weighs the newly committed device by its score.
func (h stakeHooks) AfterStakeStarted(ctx context.Context, deviceID uint64, owner string) error {
	w, _, err := h.k.minerWeight(ctx, deviceID)
	if err != nil {
		return err
	}
	return h.k.setWeight(ctx, types.StreamMiners, deviceID, owner, w)
}

// AfterStakeEnded ends the device's account.
func (h stakeHooks) AfterStakeEnded(ctx context.Context, deviceID uint64) error {
	return h.k.setWeight(ctx, types.StreamMiners, deviceID, "", math.ZeroInt())
}

// PocpsHooks returns x/rewards' verification callbacks: a passed challenge
// re-weighs a committed device.
func (k Keeper) PocpsHooks() pocpsHooks { return pocpsHooks{k} }

type pocpsHooks struct{ k Keeper }

// AfterDeviceScored re-weighs the device if it earns (is committed).
func (h pocpsHooks) AfterDeviceScored(ctx context.Context, deviceID uint64) error {
	if has, err := h.k.RewardAccounts.Has(ctx, collections.Join(types.StreamMiners, deviceID)); err != nil || !has {
		return err
	}
	a, err := h.k.RewardAccounts.Get(ctx, collections.Join(types.StreamMiners, deviceID))
	if err != nil || a.Ended {
		return err
	}
	w, owner, err := h.k.minerWeight(ctx, deviceID)
	if err != nil {
		return err
	}
	return h.k.setWeight(ctx, types.StreamMiners, deviceID, owner, w)
}

// AfterDeviceFailed does nothing: x/stake's failure path ends the stake,
// which ends the account.
func (pocpsHooks) AfterDeviceFailed(context.Context, uint64) error { return nil }
