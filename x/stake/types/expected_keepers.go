package types

import (
	"context"
	"time"

	"cosmossdk.io/core/address"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"

	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
)

// AccountKeeper is the part of x/auth that x/stake uses.
type AccountKeeper interface {
	// AddressCodec decodes and encodes bech32 account addresses.
	AddressCodec() address.Codec
}

// BankKeeper is the part of x/bank that x/stake uses: the staking fee is
// paid into the stake module account and burned there.
type BankKeeper interface {
	SendCoinsFromAccountToModule(ctx context.Context, senderAddr sdk.AccAddress, recipientModule string, amt sdk.Coins) error
	SendCoinsFromModuleToAccount(ctx context.Context, senderModule string, recipientAddr sdk.AccAddress, amt sdk.Coins) error
	SendCoinsFromModuleToModule(ctx context.Context, senderModule, recipientModule string, amt sdk.Coins) error
	BurnCoins(ctx context.Context, moduleName string, amt sdk.Coins) error
}

// PoolsKeeper is the part of x/pools that x/stake uses. x/stake is the only
// module that adds or removes device time in a pool (x/pools/README.md, x/stake/README.md).
type PoolsKeeper interface {
	// GetParams returns the x/pools parameters.
	GetParams(ctx context.Context) (poolstypes.Params, error)
	// PoolByClass returns the pool of a GPU class.
	PoolByClass(ctx context.Context, class string) (poolstypes.Pool, error)
	// OpenPosition commits a device's time until end as an LP position.
	OpenPosition(ctx context.Context, poolID, deviceID uint64, owner sdk.AccAddress, end time.Time, maxIn math.Int) (math.Int, error)
	// RenewPosition extends a position to newEnd.
	RenewPosition(ctx context.Context, deviceID uint64, newEnd time.Time, maxIn math.Int) (math.Int, error)
	// FailPosition removes a failed device's position; since is when it
	// last passed a challenge (the lease revenue released after it goes back
	// to the client), start the certificate's start (an LP's unsold time
	// returns at no more than its entry price).
	FailPosition(ctx context.Context, deviceID uint64, since, start time.Time) (poolstypes.FailResult, error)
	// FundStream streams amount, already sent to the x/pools module
	// account, to the LP positions that own a failed sold device's time.
	FundStream(ctx context.Context, deviceID uint64, amount math.Int) error
	// OpenSale sells a device's time until end into a pool.
	OpenSale(ctx context.Context, poolID, deviceID uint64, seller sdk.AccAddress, end time.Time, minOut math.Int) (math.Int, error)
	// QuoteSell quotes a sale of seconds of device time and gives the spot price.
	QuoteSell(ctx context.Context, poolID uint64, seconds int64) (proceeds math.Int, spot math.LegacyDec, err error)
}

// PocpsKeeper is the part of x/pocps that x/stake uses: whether a device is
// registered, sealed and of the pool's class, and the device's commitment.
// x/pocps calls back into x/stake only through pocpstypes.PocpsHooks.
type PocpsKeeper interface {
	// GetParams returns the x/pocps parameters.
	GetParams(ctx context.Context) (pocpstypes.Params, error)
	// GetDevice returns a registered device.
	GetDevice(ctx context.Context, id uint64) (pocpstypes.Device, error)
	// SetDeviceStake records the certificate committing a device (0: none).
	SetDeviceStake(ctx context.Context, id, stakeID uint64) error
	// ChallengeDevice issues a residency challenge of a sealed device now
	// (or returns its pending one): the final challenge of a sale. Errors:
	// ErrDeviceNotFound, ErrInvalidDevice (not sealed), ErrNoVerifier.
	ChallengeDevice(ctx context.Context, id uint64) (challengeID uint64, err error)
	// LastPass returns when a device last passed a challenge (or was sealed).
	LastPass(ctx context.Context, id uint64) (time.Time, error)
}

// EpochsKeeper is the part of x/epochs that x/stake uses: the length of
// the `loopin` epoch, the unit of renewals.
type EpochsKeeper interface {
	GetEpochInfo(ctx sdk.Context, identifier string) (epochstypes.EpochInfo, error)
}

// BalanceChecker checks a new maintenance rate β against the reward rate γ
// (x/rewards: β < γ, docs/rewards.md "Balance"), for MsgUpdateParams.
type BalanceChecker interface {
	CheckBalance(ctx context.Context, beta math.LegacyDec) error
}
