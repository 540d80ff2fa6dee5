package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	chaintypes "github.com/loopin-project/loopin/types"
	"github.com/loopin-project/loopin/x/rewards/types"
)

// Emission returns the uloop minted at the end of epoch (≥ 1):
//
//	epoch_emission · (1 − decay_rate)^⌊(epoch − 1)/decay_interval⌋
//
// rounded down. The power is LegacyDec's (repeated squaring, deterministic).
func Emission(p types.Params, epoch int64) math.Int {
	steps := uint64(epoch-1) / p.DecayInterval
	factor := math.LegacyOneDec().Sub(p.DecayRate).Power(steps)
	return factor.MulInt(p.EpochEmission).TruncateInt()
}

// share is ⌊amount · fraction⌋.
func share(amount math.Int, fraction math.LegacyDec) math.Int {
	return fraction.MulInt(amount).TruncateInt()
}

// EpochHooks returns the x/epochs callbacks of x/rewards.
func (k Keeper) EpochHooks() epochstypes.EpochHooks { return epochHooks{k} }

type epochHooks struct{ k Keeper }

// AfterEpochEnd mints the epoch's emission to the x/rewards module account
// and splits it: the validators' share goes to the fee collector (x/
// distribution pays it out); the miners', verifiers' and clients' shares go
// to their recipients — none exist yet (x/stake, the verifier payouts and
// leases come with their issues), so they go to the sink, which the module
// holds; truncation remainders too. O(1) per epoch.
func (h epochHooks) AfterEpochEnd(ctx context.Context, identifier string, epoch int64) error {
	if identifier != chaintypes.EpochIdentifier || epoch < 1 {
		return nil
	}
	k := h.k
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	minted := Emission(params, epoch)
	rec := types.EpochEmission{
		Epoch: epoch, Minted: minted,
		Validators: share(minted, params.ValidatorShare),
		Miners:     share(minted, params.MinerShare),
		Verifiers:  share(minted, params.VerifierShare),
		Clients:    share(minted, params.ClientShare),
	}
	// Recipients of the miners', verifiers' and clients' shares arrive with
	// x/stake, verifier payouts and leases; until then those shares, and the
	// truncation remainder, go to the sink.
	rec.Sink = minted.Sub(rec.Validators)
	if minted.IsPositive() {
		coins := sdk.NewCoins(sdk.NewCoin(chaintypes.BondDenom, minted))
		if err := k.bankKeeper.MintCoins(ctx, types.ModuleName, coins); err != nil {
			return err
		}
		if rec.Validators.IsPositive() {
			if err := k.bankKeeper.SendCoinsFromModuleToModule(ctx, types.ModuleName, authtypes.FeeCollectorName,
				sdk.NewCoins(sdk.NewCoin(chaintypes.BondDenom, rec.Validators))); err != nil {
				return err
			}
		}
	}
	if err := k.Epochs.Set(ctx, epoch, rec); err != nil {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventEpochEmission{Emission: rec})
}

// BeforeEpochStart does nothing.
func (epochHooks) BeforeEpochStart(context.Context, string, int64) error { return nil }

// Epoch serves Query/Epoch.
func (q Querier) Epoch(ctx context.Context, req *types.QueryEpochRequest) (*types.QueryEpochResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	rec, err := q.Epochs.Get(ctx, req.Epoch)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "no emission recorded for epoch %d", req.Epoch)
	} else if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryEpochResponse{Emission: rec}, nil
}
