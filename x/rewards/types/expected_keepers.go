package types

import (
	"context"

	"cosmossdk.io/core/address"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"

	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
	staketypes "github.com/loopin-project/loopin/x/stake/types"
)

// AccountKeeper is the part of x/auth that x/rewards uses.
type AccountKeeper interface {
	// AddressCodec decodes and encodes bech32 account addresses.
	AddressCodec() address.Codec
}

// PoolsKeeper is what x/rewards reads from x/pools (leased GPU-seconds for
// the clients' share, class weights). Read-only.
type PoolsKeeper interface {
	// GetParams returns the x/pools parameters.
	GetParams(ctx context.Context) (poolstypes.Params, error)
	// CommittedDevices counts the devices committed to every pool.
	CommittedDevices(ctx context.Context) (uint64, error)
	// LeasedSeconds is the leased GPU-seconds of every pool since genesis.
	LeasedSeconds(ctx context.Context) (math.Int, error)
}

// EpochsKeeper is what x/rewards reads from x/epochs: the length of the
// `loopin` epoch (γ is per GPU-second).
type EpochsKeeper interface {
	GetEpochInfo(ctx sdk.Context, identifier string) (epochstypes.EpochInfo, error)
}

// StakeKeeper is what x/rewards reads from x/stake: the staking fee α and
// the maintenance rate β of the balance condition T_min = α/(γ−β)
// (whitepaper §5). Read-only.
type StakeKeeper interface {
	// GetParams returns the x/stake parameters.
	GetParams(ctx context.Context) (staketypes.Params, error)
}

// PocpsKeeper is what x/rewards reads from x/pocps: the PoCPS score of each
// device and the accepted challenge reports. Read-only.
type PocpsKeeper interface {
	// GetParams returns the x/pocps parameters.
	GetParams(ctx context.Context) (pocpstypes.Params, error)
	// VerifierReports returns each verifier's operator account and its
	// accepted reports in epoch, in address order.
	VerifierReports(ctx context.Context, epoch int64) ([]sdk.AccAddress, []uint64, error)
	// DeviceScore computes a device's PoCPS score now, with its inputs.
	DeviceScore(ctx context.Context, deviceID uint64) (pocpstypes.Score, pocpstypes.ScoreInputs, error)
	// GetDevice returns a registered device.
	GetDevice(ctx context.Context, id uint64) (pocpstypes.Device, error)
}

// BankKeeper is the part of x/bank that x/rewards uses: minting the epoch
// emission (x/rewards is the only minter) and moving it.
type BankKeeper interface {
	MintCoins(ctx context.Context, moduleName string, amt sdk.Coins) error
	SendCoinsFromModuleToModule(ctx context.Context, senderModule, recipientModule string, amt sdk.Coins) error
	SendCoinsFromModuleToAccount(ctx context.Context, senderModule string, recipient sdk.AccAddress, amt sdk.Coins) error
	GetBalance(ctx context.Context, addr sdk.AccAddress, denom string) sdk.Coin
}
