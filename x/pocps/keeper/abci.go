package keeper

import (
	"context"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// maxPrunePerBlock bounds the old block hashes deleted in one block; one
// is added per block, so a shrunk key_window is caught up with in time.
const maxPrunePerBlock = 4

// BeginBlocker records this block's hash (device-key anchors, challenge
// seeds), processes the challenges whose deadline passed (a bounded batch
// from the time-keyed queue) and drops at most maxPrunePerBlock hashes older
// than key_window. Its work never grows with the number of devices.
func (k Keeper) BeginBlocker(ctx context.Context) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	height := sdkCtx.BlockHeight()
	if hash := sdkCtx.HeaderHash(); len(hash) > 0 {
		if err := k.BlockHashes.Set(ctx, height, append([]byte(nil), hash...)); err != nil {
			return err
		}
	}
	if err := k.processDeadlines(ctx); err != nil {
		return err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	cutoff := height - int64(params.KeyWindow)
	if cutoff <= 0 {
		return nil
	}
	it, err := k.BlockHashes.Iterate(ctx, new(collections.Range[int64]).EndExclusive(cutoff))
	if err != nil {
		return err
	}
	var old []int64
	for ; it.Valid() && len(old) < maxPrunePerBlock; it.Next() {
		h, err := it.Key()
		if err != nil {
			it.Close()
			return err
		}
		old = append(old, h)
	}
	if err := it.Close(); err != nil {
		return err
	}
	for _, h := range old {
		if err := k.BlockHashes.Remove(ctx, h); err != nil {
			return err
		}
	}
	return nil
}
