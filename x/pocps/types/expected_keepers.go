package types

import (
	"context"

	"cosmossdk.io/core/address"
	"cosmossdk.io/math"

	"github.com/loopin-project/loopin/proof"

	sdk "github.com/cosmos/cosmos-sdk/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
)

// AccountKeeper is the part of x/auth that x/pocps uses.
type AccountKeeper interface {
	// AddressCodec decodes and encodes bech32 account addresses.
	AddressCodec() address.Codec
}

// StakingKeeper is the part of x/staking that x/pocps uses: whether a
// verifier's validator is bonded and not jailed.
type StakingKeeper interface {
	// Validator returns the validator with operator address addr.
	Validator(ctx context.Context, addr sdk.ValAddress) (stakingtypes.ValidatorI, error)
	// ValidatorAddressCodec encodes loopinvaloper1… addresses.
	ValidatorAddressCodec() address.Codec
}

// LoyaltyKeeper gives the inputs of PoL for an owner: C_minted (uloop ever
// minted to it, kept by x/rewards) and C_held (uloop it still holds, liquid
// and locked). The app provides it; x/pocps does not import the modules
// behind it (x/rewards reads x/pocps, not the other way).
type LoyaltyKeeper interface {
	Minted(ctx context.Context, owner sdk.AccAddress) (math.Int, error)
	Held(ctx context.Context, owner sdk.AccAddress) (math.Int, error)
}

// PoolsKeeper is what x/pocps reads from x/pools about a GPU class: whether
// its pool takes new devices, the seal sizes devices of the class must use,
// and its benchmark throughput W_bench (int8 ops/s). It returns an error
// when the class has no pool.
type PoolsKeeper interface {
	ClassInfo(ctx context.Context, class string) (active bool, seal proof.Params, wBench math.Int, err error)
	// LeaseInfo returns lease id's client (bech32), the device serving it
	// and whether it is active. Errors: x/pools' ErrLeaseNotFound.
	LeaseInfo(ctx context.Context, id uint64) (client string, deviceID uint64, active bool, err error)
}

// BankKeeper is the part of x/bank that x/pocps uses: the registration
// deposit is locked in, returned from and burned by the x/pocps module
// account (Burner).
type BankKeeper interface {
	SendCoinsFromAccountToModule(ctx context.Context, senderAddr sdk.AccAddress, recipientModule string, amt sdk.Coins) error
	SendCoinsFromModuleToAccount(ctx context.Context, senderModule string, recipientAddr sdk.AccAddress, amt sdk.Coins) error
	BurnCoins(ctx context.Context, moduleName string, amt sdk.Coins) error
}
