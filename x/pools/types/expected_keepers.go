package types

import (
	"context"
	"time"

	"cosmossdk.io/core/address"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// AccountKeeper is the part of x/auth that x/pools uses.
type AccountKeeper interface {
	// AddressCodec decodes and encodes bech32 account addresses.
	AddressCodec() address.Codec
	// GetModuleAccount returns the module's account, creating it when
	// missing (InitGenesis makes sure the pools account exists, since trades
	// send to its address directly).
	GetModuleAccount(ctx context.Context, moduleName string) sdk.ModuleAccountI
}

// BankKeeper is the part of x/bank that x/pools uses: clients and miners
// pay into the pools module account, payouts and refunds leave it, and
// exchange fees are burned from it.
type BankKeeper interface {
	SendCoins(ctx context.Context, fromAddr, toAddr sdk.AccAddress, amt sdk.Coins) error
	SendCoinsFromModuleToAccount(ctx context.Context, senderModule string, recipientAddr sdk.AccAddress, amt sdk.Coins) error
	BurnCoins(ctx context.Context, moduleName string, amt sdk.Coins) error
}

// LivenessReader tells when a device last proved itself (x/pocps: its last
// passed residency challenge, or its seal), for matching leases to devices
// that are online. A device it does not know reads as the zero time (never).
type LivenessReader interface {
	LastPass(ctx context.Context, deviceID uint64) (time.Time, error)
}
