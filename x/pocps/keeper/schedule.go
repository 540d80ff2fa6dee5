package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// schedule queues device for a challenge within the next
// challenge_interval epochs, at an offset drawn from the block's draw seed
// (the beacon, not the header: the proposer cannot move it).
func (k Keeper) schedule(ctx context.Context, deviceID uint64) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	epoch, err := k.currentEpoch(ctx)
	if err != nil {
		return err
	}
	draw, err := k.draw(ctx, "loopin/pocps/v2/schedule", deviceID)
	if err != nil {
		return err
	}
	offset := int64(draw % uint64(params.ChallengeInterval))
	return k.Schedule.Set(ctx, collections.Join(epoch+1+offset, deviceID))
}

func (k Keeper) currentEpoch(ctx context.Context) (int64, error) {
	e, err := k.CurrentEpoch.Get(ctx)
	if errors.Is(err, collections.ErrNotFound) {
		return 0, nil
	}
	return e, err
}

// countReport credits val with one accepted report in the epoch in progress.
func (k Keeper) countReport(ctx context.Context, val sdk.ValAddress) error {
	epoch, err := k.currentEpoch(ctx)
	if err != nil {
		return err
	}
	key := collections.Join(epoch+1, val)
	n, err := k.Reports.Get(ctx, key)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return err
	}
	return k.Reports.Set(ctx, key, n+1)
}

// VerifierReports returns, for a `loopin` epoch, each verifier's operator
// account and its number of accepted reports, in address order. Its cost is
// bounded by the number of verifiers (the validator set).
func (k Keeper) VerifierReports(ctx context.Context, epoch int64) (accounts []sdk.AccAddress, counts []uint64, err error) {
	rng := collections.NewPrefixedPairRange[int64, sdk.ValAddress](epoch)
	err = k.Reports.Walk(ctx, rng, func(key collections.Pair[int64, sdk.ValAddress], n uint64) (bool, error) {
		accounts = append(accounts, sdk.AccAddress(key.K2()))
		counts = append(counts, n)
		return false, nil
	})
	return accounts, counts, err
}

func collectKeys(ctx context.Context, set collections.KeySet[collections.Pair[int64, uint64]], rng collections.Ranger[collections.Pair[int64, uint64]]) ([]collections.Pair[int64, uint64], error) {
	it, err := set.Iterate(ctx, rng)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	return it.Keys()
}

// wEWMA is the weight of a new measurement in the device's W: 1/4.
const wEWMA = 4
