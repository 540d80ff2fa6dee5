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
// distribution pays it out); the verifiers' share is credited to the
// verifiers in proportion to their accepted reports of the epoch; the
// miners' and clients' shares close their streams' periods (weight ×
// seconds, collected lazily by each account); what nobody can collect goes
// to the sink, which the module holds. Its cost is bounded by the number of
// verifiers and of accounts that ended in the epoch.
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
	// Verifiers: their share in proportion to accepted reports this epoch.
	paid, err := k.payVerifiers(ctx, epoch, rec.Verifiers)
	if err != nil {
		return err
	}
	// Miners and clients: their streams' periods close with their pots;
	// accounts collect lazily (stream.go). What no account can collect
	// (no device or lease this epoch, truncation) goes to the sink.
	miners, err := k.closePeriod(ctx, types.StreamMiners, rec.Miners)
	if err != nil {
		return err
	}
	clients, err := k.closePeriod(ctx, types.StreamClients, rec.Clients)
	if err != nil {
		return err
	}
	rec.Sink = minted.Sub(rec.Validators).Sub(paid).Sub(miners).Sub(clients)
	if err := k.Epochs.Set(ctx, epoch, rec); err != nil {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventEpochEmission{Emission: rec})
}

// BeforeEpochStart does nothing.
func (epochHooks) BeforeEpochStart(context.Context, string, int64) error { return nil }

// payVerifiers credits pot to the verifiers by accepted reports in epoch:
// ⌊pot·count/total⌋ each, added to Pending and Minted (C_minted). It returns
// what was credited; the rest goes to the sink.
func (k Keeper) payVerifiers(ctx context.Context, epoch int64, pot math.Int) (math.Int, error) {
	accounts, counts, err := k.pocpsKeeper.VerifierReports(ctx, epoch)
	if err != nil {
		return math.Int{}, err
	}
	var total uint64
	for _, c := range counts {
		total += c
	}
	paid := math.ZeroInt()
	if total == 0 || !pot.IsPositive() {
		return paid, nil
	}
	for i, acc := range accounts {
		amt := pot.Mul(math.NewIntFromUint64(counts[i])).Quo(math.NewIntFromUint64(total))
		if err := k.credit(ctx, acc, amt); err != nil {
			return math.Int{}, err
		}
		paid = paid.Add(amt)
	}
	return paid, nil
}

// credit adds amt to addr's pending rewards and to its C_minted.
func (k Keeper) credit(ctx context.Context, addr sdk.AccAddress, amt math.Int) error {
	if !amt.IsPositive() {
		return nil
	}
	for _, m := range []collections.Map[sdk.AccAddress, math.Int]{k.Pending, k.Minted} {
		cur, err := m.Get(ctx, addr)
		if errors.Is(err, collections.ErrNotFound) {
			cur = math.ZeroInt()
		} else if err != nil {
			return err
		}
		if err := m.Set(ctx, addr, cur.Add(amt)); err != nil {
			return err
		}
	}
	return nil
}

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
