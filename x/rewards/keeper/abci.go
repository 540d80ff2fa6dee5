package keeper

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	chaintypes "github.com/loopin-project/loopin/types"
	"github.com/loopin-project/loopin/x/rewards/types"
)

// EpochEnd mints the epoch's emission to the x/rewards module account
// and splits it: the validators' share goes to the fee collector (x/
// distribution pays it out); the verifiers' share is credited to the
// verifiers in proportion to their accepted reports of the epoch; the
// miners' and clients' shares close their streams' periods (weight ×
// seconds, collected lazily by each account); what nobody can collect goes
// to the sink, which the module holds. Last, records nothing can read any
// more are pruned (prune.go), a bounded number. Its cost is bounded by the
// number of verifiers and of accounts that ended in the epoch.
func (k Keeper) EpochEnd(ctx context.Context, epoch int64) error {
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
	// What the clients' rebate cap withheld since the last epoch end is
	// recorded apart (EpochEmission.withheld); like the sink, the module
	// keeps it.
	miners, withheldMiners, err := k.closePeriod(ctx, types.StreamMiners, rec.Miners)
	if err != nil {
		return err
	}
	clients, withheldClients, err := k.closePeriod(ctx, types.StreamClients, rec.Clients)
	if err != nil {
		return err
	}
	rec.Sink = minted.Sub(rec.Validators).Sub(paid).Sub(miners).Sub(clients)
	rec.Withheld = withheldMiners.Add(withheldClients)
	if err := k.Epochs.Set(ctx, epoch, rec); err != nil {
		return err
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventEpochEmission{Emission: rec}); err != nil {
		return err
	}
	// Pruning is housekeeping: should it fail, the mint stands and the
	// records wait for the next epoch end.
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	cacheCtx, write := sdkCtx.CacheContext()
	if err := k.prune(cacheCtx, params, epoch); err != nil {
		sdkCtx.Logger().Error("x/rewards: pruning failed, retried at the next epoch end", "epoch", epoch, "err", err)
		return nil
	}
	write()
	return nil
}
