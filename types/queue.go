package types

import (
	"context"

	"cosmossdk.io/collections"
	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// TimeQueue is a time-keyed queue: keys (unix seconds or an epoch, id) in
// time order. Every module keeps its deadlines, expiries, releases and
// pruning in one, so a block touches only what is due.
type TimeQueue = collections.KeySet[collections.Pair[int64, uint64]]

// DueKeys returns at most limit keys of q whose time is at or before
// until, oldest first: the bounded batch a block processes, the rest
// carried to the next block.
func DueKeys(ctx context.Context, q TimeQueue, until int64, limit int) ([]collections.Pair[int64, uint64], error) {
	it, err := q.Iterate(ctx, new(collections.Range[collections.Pair[int64, uint64]]).EndInclusive(collections.Join(until, ^uint64(0))))
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var keys []collections.Pair[int64, uint64]
	for ; it.Valid() && len(keys) < limit; it.Next() {
		key, err := it.Key()
		if err != nil {
			return nil, err
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// Uloop is amount uloop as coins (empty for zero).
func Uloop(amount sdkmath.Int) sdk.Coins { return sdk.NewCoins(sdk.NewCoin(BondDenom, amount)) }
