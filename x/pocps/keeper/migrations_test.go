package keeper_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"

	"github.com/loopin-project/loopin/app/apptesting"
	pocpskeeper "github.com/loopin-project/loopin/x/pocps/keeper"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
)

// storeDump is every key and value of the x/pocps store in ctx, in key order.
func storeDump(t *testing.T, c *apptesting.TestChain) [][2]string {
	t.Helper()
	it := c.Ctx().KVStore(c.GetKey(pocpstypes.StoreKey)).Iterator(nil, nil)
	defer it.Close()
	var out [][2]string
	for ; it.Valid(); it.Next() {
		out = append(out, [2]string{string(it.Key()), string(it.Value())})
	}
	return out
}

// Migrate1to2 rebuilds the LastPasses index of a store written before it
// (version 1): every device with a seal or a pass gets max(last_verified,
// sealed_at), a device never sealed gets none, what LastPass answers does
// not change, and a second run writes nothing.
func TestMigrate1to2BackfillsLastPasses(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(2))
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)

	// A device sealed and then verified (last_verified after sealed_at).
	sealing, verified := apptesting.SealedDevice(t, c, hot)
	apptesting.PassNextResidency(t, c, sealing, hot, verified)
	c.NextBlock(t, time.Second)
	// A device only sealed, one failed after its seal (kept until pruned,
	// with its entry), and one registered but never sealed.
	apptesting.PutSealedDevice(t, c, 20, c.Funded)
	c.NextBlock(t, 3*time.Second)
	apptesting.PutSealedDevice(t, c, 21, c.Funded)
	failed, err := c.PocpsKeeper.Devices.Get(c.Ctx(), 21)
	require.NoError(t, err)
	failed.Status, failed.FailedAt = pocpstypes.DEVICE_STATUS_FAILED, c.Ctx().BlockTime()
	require.NoError(t, c.PocpsKeeper.Devices.Set(c.Ctx(), 21, failed))
	_, setup := apptesting.RegisterSealed(t, c, "gpu-never-sealed")
	unsealed := setup.DeviceId
	c.NextBlock(t, time.Second)

	want := map[uint64]time.Time{}
	before := map[uint64]time.Time{}
	var ids []uint64
	require.NoError(t, c.PocpsKeeper.Devices.Walk(c.Ctx(), nil, func(id uint64, d pocpstypes.Device) (bool, error) {
		ids = append(ids, id)
		last := d.SealedAt
		if d.LastVerified.After(last) {
			last = d.LastVerified
		}
		if !last.IsZero() {
			want[id] = last
		}
		at, err := c.PocpsKeeper.LastPass(c.Ctx(), id)
		before[id] = at
		return false, err
	}))
	require.Equal(t, []uint64{verified, 20, 21, unsealed}, ids)
	require.Len(t, want, 3, "three devices were sealed")
	dv, err := c.PocpsKeeper.Devices.Get(c.Ctx(), verified)
	require.NoError(t, err)
	require.True(t, dv.LastVerified.After(dv.SealedAt), "the pass is the later time")
	require.Equal(t, dv.LastVerified, want[verified])
	require.Equal(t, pocpstypes.DEVICE_STATUS_UNSEALED, mustDevice(t, c, unsealed).Status)

	// Version 1 state: no index.
	require.NoError(t, c.PocpsKeeper.LastPasses.Clear(c.Ctx(), nil))
	for _, id := range ids {
		_, found := lastPassEntry(t, c, id)
		require.False(t, found)
	}

	m := pocpskeeper.NewMigrator(c.PocpsKeeper)
	// migrate runs Migrate1to2 on a fresh gas meter and returns the gas
	// its store reads and writes used.
	migrate := func() uint64 {
		ctx := c.Ctx().WithGasMeter(storetypes.NewInfiniteGasMeter())
		require.NoError(t, m.Migrate1to2(ctx))
		return ctx.GasMeter().GasConsumed()
	}
	first := migrate()
	got := map[uint64]time.Time{}
	require.NoError(t, c.PocpsKeeper.LastPasses.Walk(c.Ctx(), nil, func(id uint64, ns int64) (bool, error) {
		got[id] = time.Unix(0, ns).UTC()
		return false, nil
	}))
	require.Equal(t, want, got, "one entry per sealed device, max(last_verified, sealed_at)")
	_, found := lastPassEntry(t, c, unsealed)
	require.False(t, found, "a device never sealed gets no entry")
	for _, id := range ids {
		at, err := c.PocpsKeeper.LastPass(c.Ctx(), id)
		require.NoError(t, err)
		require.Equal(t, before[id], at, "LastPass of device %d answers as before", id)
	}

	// Idempotent: a second run leaves the whole store as it was, and
	// writes nothing: it pays for no write of the three entries.
	dump := storeDump(t, c)
	second := migrate()
	require.Equal(t, dump, storeDump(t, c))
	require.LessOrEqual(t, second+3*storetypes.KVGasConfig().WriteCostFlat, first, "first %d, second %d gas", first, second)
	c.NextBlock(t, time.Second)
}

func mustDevice(t *testing.T, c *apptesting.TestChain, id uint64) pocpstypes.Device {
	t.Helper()
	d, err := c.PocpsKeeper.Devices.Get(c.Ctx(), id)
	require.NoError(t, err)
	return d
}
