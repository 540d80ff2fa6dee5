//go:build loopin_v1

package app_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/loopin-project/loopin/app/apptesting"
	"github.com/loopin-project/loopin/app/upgrades"
	"github.com/loopin-project/loopin/x/pocps"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
)

// The previous release (go test -tags loopin_v1): x/pocps at version 1,
// no LastPasses index written (LastPass answers from the device record),
// no upgrade registered, and so a halt at the "v2" plan's height, where
// cosmovisor switches to the release build.
func TestV1ReleaseHaltsAtV2(t *testing.T) {
	require.Equal(t, uint64(1), uint64(pocps.ConsensusVersion))
	require.Empty(t, upgrades.All())

	c := apptesting.Setup(t, apptesting.ShortEpochs(2))
	require.Equal(t, uint64(1), c.ModuleManager.GetVersionMap()[pocpstypes.ModuleName])
	require.Equal(t, uint64(1), pocpsVersion(t, c))
	require.False(t, c.UpgradeKeeper.HasHandler("v2"))
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	_, id := apptesting.SealedDevice(t, c, hot)
	c.NextBlock(t, time.Second)
	require.Empty(t, lastPasses(t, c), "the release before the index writes none")
	d, err := c.PocpsKeeper.Devices.Get(c.Ctx(), id)
	require.NoError(t, err)
	require.False(t, d.SealedAt.IsZero())
	last, err := c.PocpsKeeper.LastPass(c.Ctx(), id)
	require.NoError(t, err)
	require.Equal(t, d.SealedAt, last, "read from the device record")

	height := c.LastBlockHeight() + 2
	scheduleUpgrade(t, c, "v2", height)
	c.NextBlock(t, time.Second)
	require.ErrorContains(t, c.TryNextBlock(t, time.Second), `UPGRADE "v2" NEEDED at height: `)
	require.Equal(t, height-1, c.LastBlockHeight())
}
