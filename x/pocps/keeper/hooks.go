package keeper

import (
	"context"

	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
	chaintypes "github.com/loopin-project/loopin/types"
	"github.com/loopin-project/loopin/x/pocps/types"
)

// Hooks returns the callbacks given to NewKeeper, or a no-op set when none were.
func (k Keeper) Hooks() types.PocpsHooks {
	if k.hooks == nil {
		return types.MultiPocpsHooks{}
	}
	return k.hooks
}

// EpochHooks returns the x/epochs callbacks of x/pocps.
func (k Keeper) EpochHooks() epochstypes.EpochHooks { return epochHooks{k} }

type epochHooks struct{ k Keeper }

// AfterEpochEnd runs EpochEnd at the end of a `loopin` epoch.
func (h epochHooks) AfterEpochEnd(ctx context.Context, identifier string, epoch int64) error {
	if identifier != chaintypes.EpochIdentifier {
		return nil
	}
	return h.k.EpochEnd(ctx, epoch)
}

// BeforeEpochStart does nothing.
func (epochHooks) BeforeEpochStart(context.Context, string, int64) error { return nil }

// StakingHooks returns the x/staking callbacks of x/pocps: a validator that
// begins unbonding (which includes being jailed) or is removed stops being
// a verifier.
func (k Keeper) StakingHooks() stakingtypes.StakingHooks { return stakingHooks{k} }

type stakingHooks struct{ k Keeper }

var _ stakingtypes.StakingHooks = stakingHooks{}

func (h stakingHooks) AfterValidatorBeginUnbonding(ctx context.Context, _ sdk.ConsAddress, valAddr sdk.ValAddress) error {
	return h.k.removeVerifier(ctx, valAddr, "validator began unbonding or was jailed")
}

func (h stakingHooks) AfterValidatorRemoved(ctx context.Context, _ sdk.ConsAddress, valAddr sdk.ValAddress) error {
	return h.k.removeVerifier(ctx, valAddr, "validator removed")
}

func (stakingHooks) AfterValidatorCreated(context.Context, sdk.ValAddress) error { return nil }

func (stakingHooks) BeforeValidatorModified(context.Context, sdk.ValAddress) error { return nil }

func (stakingHooks) AfterValidatorBonded(context.Context, sdk.ConsAddress, sdk.ValAddress) error {
	return nil
}

func (stakingHooks) BeforeDelegationCreated(context.Context, sdk.AccAddress, sdk.ValAddress) error {
	return nil
}

func (stakingHooks) BeforeDelegationSharesModified(context.Context, sdk.AccAddress, sdk.ValAddress) error {
	return nil
}

func (stakingHooks) BeforeDelegationRemoved(context.Context, sdk.AccAddress, sdk.ValAddress) error {
	return nil
}

func (stakingHooks) AfterDelegationModified(context.Context, sdk.AccAddress, sdk.ValAddress) error {
	return nil
}

func (stakingHooks) BeforeValidatorSlashed(context.Context, sdk.ValAddress, math.LegacyDec) error {
	return nil
}

func (stakingHooks) AfterUnbondingInitiated(context.Context, uint64) error { return nil }
