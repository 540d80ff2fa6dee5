package keeper

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"

	chaintypes "github.com/loopin-project/loopin/types"
)

// BeginBlocker applies the lease ends and commitment ends due by the block
// time, before any transaction reads a pool.
func (k Keeper) BeginBlocker(ctx context.Context) error {
	return k.ProcessQueue(ctx, sdk.UnwrapSDKContext(ctx).BlockTime().Unix())
}

// EpochHooks returns the x/epochs hooks of x/pools: dissipation at each
// `loopin` epoch end.
func (k Keeper) EpochHooks() epochstypes.EpochHooks { return epochHooks{k} }

type epochHooks struct{ k Keeper }

// AfterEpochEnd dissipates every pool up to the block time (EpochEnd).
func (h epochHooks) AfterEpochEnd(ctx context.Context, identifier string, _ int64) error {
	if identifier != chaintypes.EpochIdentifier {
		return nil
	}
	return h.k.EpochEnd(ctx)
}

// BeforeEpochStart implements epochstypes.EpochHooks; x/pools does nothing.
func (epochHooks) BeforeEpochStart(context.Context, string, int64) error { return nil }
