package keeper

import (
	"context"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/loopin-project/loopin/x/rewards/types"
)

// This file bounds x/rewards' records (docs/rewards.md, "Bounded records"):
//
//   - Epoch records (Epochs) are only read by Query/Epoch and genesis
//     export: the records of epochs ≤ n − epoch_retention go at the end of
//     epoch n.
//   - A closed period (Periods) is read by settle, for an account last
//     settled in it (PeriodRefs counts them), and, in the clients' stream,
//     by rAt for the start of a lease that ends. A miners' period goes as
//     soon as no account refers to it (unref, closePeriod). A clients'
//     period goes once no account refers to it and it ends at or before
//     the lease watermark: every lease that can still end started at or
//     after the watermark, so its start lies in a later period.
//
// Each epoch end deletes at most PruneBatch epoch records and PruneBatch
// clients' periods and moves the lease cursor at most LeaseCursorBatch
// leases, so a backlog (a lowered epoch_retention, a genesis import, a long
// lease that held the cursor back) drains over a few epochs.

// prune runs at the end of epoch, after its record is written.
func (k Keeper) prune(ctx context.Context, params types.Params, epoch int64) error {
	if err := k.pruneEpochs(ctx, epoch-int64(params.EpochRetention)); err != nil {
		return err
	}
	return k.pruneClientPeriods(ctx)
}

// pruneEpochs deletes the oldest epoch records up to and including epoch
// last, at most PruneBatch of them, and emits EventEpochsPruned.
func (k Keeper) pruneEpochs(ctx context.Context, last int64) error {
	if last < 1 {
		return nil
	}
	it, err := k.Epochs.Iterate(ctx, new(collections.Range[int64]).EndInclusive(last))
	if err != nil {
		return err
	}
	var epochs []int64
	for ; it.Valid() && len(epochs) < types.PruneBatch; it.Next() {
		e, err := it.Key()
		if err != nil {
			it.Close()
			return err
		}
		epochs = append(epochs, e)
	}
	it.Close()
	if len(epochs) == 0 {
		return nil
	}
	for _, e := range epochs {
		if err := k.Epochs.Remove(ctx, e); err != nil {
			return err
		}
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventEpochsPruned{First: epochs[0], Last: epochs[len(epochs)-1]})
}

// pruneClientPeriods moves the clients' lease cursor past the leases that
// have ended (at most LeaseCursorBatch) and deletes the oldest clients'
// periods that no account refers to and that end at or before the lease
// watermark, at most PruneBatch of them.
func (k Keeper) pruneClientPeriods(ctx context.Context) error {
	st, err := k.getStream(ctx, types.StreamClients)
	if err != nil {
		return err
	}
	if err := k.advanceLeaseCursor(ctx, &st, types.LeaseCursorBatch); err != nil {
		return err
	}
	if err := k.Streams.Set(ctx, types.StreamClients, st); err != nil {
		return err
	}
	for range types.PruneBatch {
		p, found, err := k.firstPeriod(ctx, types.StreamClients)
		if err != nil || !found {
			return err
		}
		// Period p ends where p + 1 starts (the open period if p + 1 is not
		// closed yet). A lease that started at or after the watermark
		// started after p if p ends at or before it.
		end := st.PeriodStart
		if p+1 < st.Period {
			next, err := k.Periods.Get(ctx, collections.Join(types.StreamClients, p+1))
			if err != nil {
				return err
			}
			end = next.Start
		}
		if end > st.LeaseWatermark {
			return nil
		}
		if used, err := k.referenced(ctx, types.StreamClients, p); err != nil || used {
			return err
		}
		if err := k.prunePeriod(ctx, types.StreamClients, p); err != nil {
			return err
		}
	}
	return nil
}
