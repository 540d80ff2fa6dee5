package keeper_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"

	"github.com/loopin-project/loopin/app/apptesting"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
)

// lastPassEntry reads device id's LastPasses entry (found false when none).
func lastPassEntry(t *testing.T, c *apptesting.TestChain, id uint64) (time.Time, bool) {
	t.Helper()
	ns, err := c.PocpsKeeper.LastPasses.Get(c.Ctx(), id)
	if err != nil {
		require.ErrorIs(t, err, collections.ErrNotFound)
		return time.Time{}, false
	}
	return time.Unix(0, ns).UTC(), true
}

// The compact last-pass index follows the device record: written at the
// seal and at each passed residency challenge, equal to what the record
// says (max(last_verified, sealed_at)), derived again by InitGenesis from
// an export, removed when the device is deregistered or pruned; LastPass
// answers from it, and from the record when a device has no entry.
func TestLastPassIndexFollowsTheDevice(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(2))
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	sealing, id := apptesting.SealedDevice(t, c, hot)

	d, err := c.PocpsKeeper.Devices.Get(c.Ctx(), id)
	require.NoError(t, err)
	at, found := lastPassEntry(t, c, id)
	require.True(t, found, "the seal is recorded")
	require.Equal(t, d.SealedAt, at)
	last, err := c.PocpsKeeper.LastPass(c.Ctx(), id)
	require.NoError(t, err)
	require.Equal(t, d.SealedAt, last)

	ch := apptesting.NextResidencyChallenge(t, c, id)
	_, err = apptesting.Deliver(c, c.Ctx(), apptesting.Answer(t, c, sealing, hot, ch))
	require.NoError(t, err)
	d, err = c.PocpsKeeper.Devices.Get(c.Ctx(), id)
	require.NoError(t, err)
	require.True(t, d.LastVerified.After(d.SealedAt))
	at, found = lastPassEntry(t, c, id)
	require.True(t, found)
	require.Equal(t, d.LastVerified, at, "a pass moves the entry")
	last, err = c.PocpsKeeper.LastPass(c.Ctx(), id)
	require.NoError(t, err)
	require.Equal(t, d.LastVerified, last)
	c.NextBlock(t, time.Second)

	// Not exported, derived: the imported chain has the same entry.
	next, _ := c.ExportAndImport(t)
	ns, err := next.PocpsKeeper.LastPasses.Get(next.GenesisCtx(), id)
	require.NoError(t, err)
	require.Equal(t, d.LastVerified, time.Unix(0, ns).UTC())

	// A device without an entry (state from before the index) is read
	// from its record; an unknown one is ErrDeviceNotFound.
	require.NoError(t, c.PocpsKeeper.LastPasses.Remove(c.Ctx(), id))
	last, err = c.PocpsKeeper.LastPass(c.Ctx(), id)
	require.NoError(t, err)
	require.Equal(t, d.LastVerified, last)
	_, err = c.PocpsKeeper.LastPass(c.Ctx(), 99)
	require.ErrorIs(t, err, pocpstypes.ErrDeviceNotFound)
	require.NoError(t, c.PocpsKeeper.LastPasses.Set(c.Ctx(), id, d.LastVerified.UnixNano()))

	// Deregistered: the entry goes with the record.
	_, err = apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgDeregisterDevice{Owner: c.Funded.String(), DeviceId: id})
	require.NoError(t, err)
	_, found = lastPassEntry(t, c, id)
	require.False(t, found, "removed with the device")

	// Pruned after failing: the entry goes with the record.
	apptesting.PutSealedDevice(t, c, 7, c.Funded)
	_, found = lastPassEntry(t, c, 7)
	require.True(t, found)
	params, err := c.PocpsKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	failed, err := c.PocpsKeeper.Devices.Get(c.Ctx(), 7)
	require.NoError(t, err)
	failed.Status, failed.FailedAt = pocpstypes.DEVICE_STATUS_FAILED, c.Ctx().BlockTime()
	require.NoError(t, c.PocpsKeeper.Devices.Set(c.Ctx(), 7, failed))
	require.NoError(t, c.PocpsKeeper.DevicePrune.Set(c.Ctx(), collections.Join(failed.FailedAt.Add(params.DeviceRetention).Unix(), uint64(7))))
	last, err = c.PocpsKeeper.LastPass(c.Ctx(), 7)
	require.NoError(t, err, "a failed device still answers until it is pruned (x/stake's clawback reads it)")
	require.Equal(t, failed.SealedAt, last)
	c.NextBlock(t, params.DeviceRetention+time.Second)
	c.NextBlock(t, time.Second)
	has, err := c.PocpsKeeper.Devices.Has(c.Ctx(), 7)
	require.NoError(t, err)
	require.False(t, has, "pruned")
	_, found = lastPassEntry(t, c, 7)
	require.False(t, found, "pruned with the device")
}
