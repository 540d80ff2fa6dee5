package keeper

import (
	"errors"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/loopin-project/loopin/x/pocps/types"
)

// Migrator runs the x/pocps store migrations, one method per
// ConsensusVersion step. x/pocps/module.go registers them with the module
// manager's configurator, and an upgrade handler runs them through
// module.Manager.RunMigrations (app/upgrades/v2).
type Migrator struct {
	keeper Keeper
}

// NewMigrator returns the Migrator of k's store.
func NewMigrator(k Keeper) Migrator {
	return Migrator{keeper: k}
}

// Migrate1to2 moves the x/pocps store from ConsensusVersion 1 to 2: it
// backfills the LastPasses index, which was added after chains already had
// devices ("state written before the index", LastPass). Each device whose
// lastPassOf (max(last_verified, sealed_at)) is not zero gets
// LastPasses[id] = that time in unix nanoseconds; a device never sealed
// gets no entry, as recordPass gives it none.
//
// It runs once, in the upgrade block's PreBlock (no gas limit there): it
// reads every device record once, in id order, and reads and at most
// writes one index entry per device, so its cost is linear in the number
// of devices, the same walk ExportGenesis does. The entries are collected
// first and written after the walk, so that no write happens while the
// device iterator is open. It is idempotent: an entry that already holds
// the device's value is not written again, so a second run (or a chain
// whose release already kept the index) changes nothing. Errors: a device
// record or index entry that does not decode.
func (m Migrator) Migrate1to2(ctx sdk.Context) error {
	k := m.keeper
	type entry struct {
		id uint64
		ns int64
	}
	var missing []entry
	devices := 0
	if err := k.Devices.Walk(ctx, nil, func(id uint64, d types.Device) (bool, error) {
		devices++
		last := lastPassOf(d)
		if last.IsZero() {
			return false, nil
		}
		ns := last.UnixNano()
		switch cur, err := k.LastPasses.Get(ctx, id); {
		case err == nil && cur == ns:
			return false, nil
		case err != nil && !errors.Is(err, collections.ErrNotFound):
			return true, err
		}
		missing = append(missing, entry{id: id, ns: ns})
		return false, nil
	}); err != nil {
		return err
	}
	for _, e := range missing {
		if err := k.LastPasses.Set(ctx, e.id, e.ns); err != nil {
			return err
		}
	}
	ctx.Logger().Info("x/pocps: migrated to version 2 (LastPasses backfilled)", "devices", devices, "entries_written", len(missing))
	return nil
}
