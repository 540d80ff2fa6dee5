package keeper

import (
	"context"
	"math/big"

	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	chaintypes "github.com/loopin-project/loopin/types"
	"github.com/loopin-project/loopin/x/pools/types"
)

func coins(amt *big.Int) sdk.Coins {
	return sdk.NewCoins(sdk.NewCoin(chaintypes.BondDenom, math.NewIntFromBigInt(amt)))
}

// pay sends amt uloop from the module account to addr (nothing when 0).
func (k Keeper) pay(ctx context.Context, addr string, amt *big.Int) error {
	if amt.Sign() <= 0 {
		return nil
	}
	to, err := k.accountKeeper.AddressCodec().StringToBytes(addr)
	if err != nil {
		return err
	}
	return k.bankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, to, coins(amt))
}

// moduleAddress is the pools module account's address.
var moduleAddress = authtypes.NewModuleAddress(types.ModuleName)

// collect moves amt uloop from addr into the module account. It sends to
// the module's address directly: the account exists from genesis, and
// skipping its lookup saves a store read on every trade.
func (k Keeper) collect(ctx context.Context, from sdk.AccAddress, amt *big.Int) error {
	if amt.Sign() <= 0 {
		return nil
	}
	return k.bankKeeper.SendCoins(ctx, from, moduleAddress, coins(amt))
}

// chargeFee books an exchange fee the module now holds into pool's
// pending burn (burned at the next epoch end, EpochEnd) and emits
// EventFeeCharged. Burning once per epoch instead of per trade keeps a trade
// to one bank transfer (docs/pools.md, gas).
func chargeFee(ctx context.Context, pool *types.Pool, fee *big.Int, reason string) error {
	if fee.Sign() <= 0 {
		return nil
	}
	amt := math.NewIntFromBigInt(fee)
	pool.PendingBurnUloop = intOr0(pool.PendingBurnUloop).Add(amt)
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventFeeCharged{PoolId: pool.Id, Amount: amt, Reason: reason})
}
