package types

import (
	"context"

	"cosmossdk.io/core/address"

	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
)

// AccountKeeper is the part of x/auth that x/stake uses.
type AccountKeeper interface {
	// AddressCodec decodes and encodes bech32 account addresses.
	AddressCodec() address.Codec
}

// PoolsKeeper is the part of x/pools that x/stake uses. x/stake is the only
// module that adds or removes device time in a pool (PROTOCOL.md §2–3); the
// pool's time-side API joins this interface with x/stake's messages.
type PoolsKeeper interface {
	// GetParams returns the x/pools parameters.
	GetParams(ctx context.Context) (poolstypes.Params, error)
}

// PocpsKeeper is the part of x/pocps that x/stake uses: whether a device is
// registered, sealed and of the pool's class. x/pocps calls back into x/stake
// only through pocpstypes.PocpsHooks, never directly.
type PocpsKeeper interface {
	// GetParams returns the x/pocps parameters.
	GetParams(ctx context.Context) (pocpstypes.Params, error)
}
