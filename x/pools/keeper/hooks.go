package keeper

import (
	"context"

	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"
	chaintypes "github.com/loopin-project/loopin/types"
	"github.com/loopin-project/loopin/x/pools/types"
)

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

// leaseEnded calls the AfterLeaseEnded hook, if any.
func (k Keeper) leaseEnded(ctx context.Context, l types.Lease) error {
	if k.hooks != nil {
		return k.hooks.AfterLeaseEnded(ctx, l)
	}
	return nil
}
