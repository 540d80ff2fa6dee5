package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	chaintypes "github.com/loopin-project/loopin/types"
	"github.com/loopin-project/loopin/x/rewards/types"
)

// ClaimRewards pays the claimant its pending rewards from the module
// account. Errors, changing nothing: ErrInvalidAddress, ErrNothingToClaim.
func (ms msgServer) ClaimRewards(ctx context.Context, msg *types.MsgClaimRewards) (*types.MsgClaimRewardsResponse, error) {
	addr, err := ms.accountKeeper.AddressCodec().StringToBytes(msg.Claimant)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidAddress, "%q: %v", msg.Claimant, err)
	}
	amt, err := ms.Pending.Get(ctx, addr)
	if errors.Is(err, collections.ErrNotFound) || (err == nil && !amt.IsPositive()) {
		return nil, errorsmod.Wrapf(types.ErrNothingToClaim, "%s has no pending rewards", msg.Claimant)
	} else if err != nil {
		return nil, err
	}
	if err := ms.Pending.Remove(ctx, addr); err != nil {
		return nil, err
	}
	if err := ms.bankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, addr, sdk.NewCoins(sdk.NewCoin(chaintypes.BondDenom, amt))); err != nil {
		return nil, err
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventRewardsClaimed{Claimant: msg.Claimant, Amount: amt.String()}); err != nil {
		return nil, err
	}
	return &types.MsgClaimRewardsResponse{Amount: amt}, nil
}

func (q Querier) amountOf(ctx context.Context, m collections.Map[sdk.AccAddress, math.Int], address string) (math.Int, error) {
	addr, err := q.accountKeeper.AddressCodec().StringToBytes(address)
	if err != nil {
		return math.Int{}, status.Errorf(codes.InvalidArgument, "invalid address %q: %v", address, err)
	}
	amt, err := m.Get(ctx, addr)
	if errors.Is(err, collections.ErrNotFound) {
		return math.ZeroInt(), nil
	} else if err != nil {
		return math.Int{}, status.Error(codes.Internal, err.Error())
	}
	return amt, nil
}

// Pending serves Query/Pending.
func (q Querier) Pending(ctx context.Context, req *types.QueryPendingRequest) (*types.QueryPendingResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	amt, err := q.amountOf(ctx, q.Keeper.Pending, req.Address)
	if err != nil {
		return nil, err
	}
	return &types.QueryPendingResponse{Amount: amt}, nil
}

// Minted serves Query/Minted.
func (q Querier) Minted(ctx context.Context, req *types.QueryMintedRequest) (*types.QueryMintedResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	amt, err := q.amountOf(ctx, q.Keeper.Minted, req.Address)
	if err != nil {
		return nil, err
	}
	return &types.QueryMintedResponse{Amount: amt}, nil
}

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
