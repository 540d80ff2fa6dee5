package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	chaintypes "github.com/loopin-project/loopin/types"
	"github.com/loopin-project/loopin/x/rewards/types"
)

// MintedTo is C_minted of addr (x/pocps's LoyaltyKeeper, for PoL).
func (k Keeper) MintedTo(ctx context.Context, addr sdk.AccAddress) (math.Int, error) {
	amt, err := k.Minted.Get(ctx, addr)
	if errors.Is(err, collections.ErrNotFound) {
		return math.ZeroInt(), nil
	}
	return amt, err
}

// HeldBy is C_held of addr for PoL: its liquid uloop plus its unclaimed
// rewards (collateral locked in x/stake joins this with x/stake).
func (k Keeper) HeldBy(ctx context.Context, addr sdk.AccAddress) (math.Int, error) {
	pending, err := k.Pending.Get(ctx, addr)
	if errors.Is(err, collections.ErrNotFound) {
		pending = math.ZeroInt()
	} else if err != nil {
		return math.Int{}, err
	}
	return k.bankKeeper.GetBalance(ctx, addr, chaintypes.BondDenom).Amount.Add(pending), nil
}

// ClaimRewards pays addr its pending rewards (uloop) from the x/rewards
// module account. Errors, changing nothing: ErrNothingToClaim.
func (k Keeper) ClaimRewards(ctx context.Context, addr sdk.AccAddress) (*types.MsgClaimRewardsResponse, error) {
	amt, err := k.Pending.Get(ctx, addr)
	if errors.Is(err, collections.ErrNotFound) || (err == nil && !amt.IsPositive()) {
		return nil, errorsmod.Wrapf(types.ErrNothingToClaim, "%s has no pending rewards", addr.String())
	} else if err != nil {
		return nil, err
	}
	if err := k.Pending.Remove(ctx, addr); err != nil {
		return nil, err
	}
	if err := k.bankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, addr, sdk.NewCoins(sdk.NewCoin(chaintypes.BondDenom, amt))); err != nil {
		return nil, err
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventRewardsClaimed{Claimant: addr.String(), Amount: amt.String()}); err != nil {
		return nil, err
	}
	return &types.MsgClaimRewardsResponse{Amount: amt}, nil
}
