package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	"github.com/loopin-project/loopin/x/stake/types"
)

// BeginBlocker expires the certificates whose end has come: one step per
// certificate ending, never a scan. x/pools has settled and paid an LP
// position at the same time (its own queue runs first).
func (k Keeper) BeginBlocker(ctx context.Context) error {
	now := sdk.UnwrapSDKContext(ctx).BlockTime().Unix()
	it, err := k.Expiry.Iterate(ctx, new(collections.Range[collections.Pair[int64, uint64]]).EndInclusive(collections.Join(now, ^uint64(0))))
	if err != nil {
		return err
	}
	due, err := it.Keys()
	if err != nil {
		return err
	}
	for _, key := range due {
		if err := k.Expiry.Remove(ctx, key); err != nil {
			return err
		}
		s, err := k.stake(ctx, key.K2())
		if err != nil {
			return err
		}
		s.Status = types.STAKE_STATUS_EXPIRED
		if s.Kind == types.STAKE_KIND_SALE {
			// No verification failed: collateral and deposit come back.
			s.Payout = s.Collateral.Add(s.Deposit)
			if s.Payout.IsPositive() {
				owner, err := k.accountKeeper.AddressCodec().StringToBytes(s.Owner)
				if err != nil {
					return err
				}
				if err := k.bankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, owner, uloop(s.Payout)); err != nil {
					return err
				}
			}
		}
		if err := k.Stakes.Set(ctx, s.Id, s); err != nil {
			return err
		}
		if err := k.pocpsKeeper.SetDeviceStake(ctx, s.DeviceId, 0); err != nil && !errors.Is(err, pocpstypes.ErrDeviceNotFound) {
			return err
		}
		if err := k.stakeEnded(ctx, s.DeviceId); err != nil {
			return err
		}
		if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventStakeExpired{StakeId: s.Id, Returned: s.Payout}); err != nil {
			return err
		}
	}
	return nil
}
