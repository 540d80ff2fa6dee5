//go:build !loopin_v1

package app_test

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"
	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"

	"github.com/loopin-project/loopin/app/apptesting"
	"github.com/loopin-project/loopin/app/upgrades"
	chaintypes "github.com/loopin-project/loopin/types"
	"github.com/loopin-project/loopin/x/pocps"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
)

// The registry: "v2" is the one upgrade, with its handler registered by
// app.New, and x/pocps is at version 2 in this build.
func TestUpgradeRegistry(t *testing.T) {
	require.Equal(t, uint64(2), uint64(pocps.ConsensusVersion))
	var names []string
	for _, u := range upgrades.All() {
		names = append(names, u.Name)
		require.NotNil(t, u.CreateUpgradeHandler, u.Name)
	}
	require.Equal(t, []string{"v2"}, names)
	u, ok := upgrades.Find("v2")
	require.True(t, ok)
	require.Empty(t, u.StoreUpgrades.Added, "v2 adds no store")
	_, ok = upgrades.Find("")
	require.False(t, ok, "no upgrade-info.json: no upgrade")

	c := apptesting.Setup(t)
	require.True(t, c.UpgradeKeeper.HasHandler("v2"))
	require.Equal(t, uint64(2), c.ModuleManager.GetVersionMap()[pocpstypes.ModuleName])
	require.Equal(t, uint64(2), pocpsVersion(t, c), "a new chain starts at the binary's versions")
}

// The "v2" upgrade on a chain with the previous release's state (x/pocps at
// version 1, devices without LastPasses entries): a software-upgrade
// proposal passes, x/upgrade runs the handler in the PreBlock of the
// plan's height, the migration backfills the index from the device
// records and x/pocps is at version 2; the chain goes on, and the index
// follows the next pass.
func TestUpgradeV2BackfillsLastPasses(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(2), shortVoting)
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	sealing, verified := apptesting.SealedDevice(t, c, hot)
	apptesting.PassNextResidency(t, c, sealing, hot, verified)
	apptesting.PutSealedDevice(t, c, 20, c.Funded)
	_, setup := apptesting.RegisterSealed(t, c, "gpu-never-sealed")
	c.NextBlock(t, time.Second)

	want := lastPasses(t, c)
	require.Len(t, want, 2, "the verified and the sealed device, not the unsealed one")
	require.NotContains(t, want, setup.DeviceId)

	// The previous release's state: no index, x/pocps at version 1.
	require.NoError(t, c.PocpsKeeper.LastPasses.Clear(c.Ctx(), nil))
	vm, err := c.UpgradeKeeper.GetModuleVersionMap(c.Ctx())
	require.NoError(t, err)
	vm[pocpstypes.ModuleName] = 1
	require.NoError(t, c.UpgradeKeeper.SetModuleVersionMap(c.Ctx(), vm))
	c.NextBlock(t, time.Second)
	require.Empty(t, lastPasses(t, c))
	require.Equal(t, uint64(1), pocpsVersion(t, c))

	// A software-upgrade proposal, voted yes by the only delegator; it
	// passes in the EndBlock of the first block after its voting period,
	// for the block after that.
	submitted := c.LastBlockHeight() + 1
	height := submitted + 2
	msg, err := govv1.NewMsgSubmitProposal(
		[]sdk.Msg{&upgradetypes.MsgSoftwareUpgrade{Authority: apptesting.GovAuthority, Plan: upgradetypes.Plan{Name: "v2", Height: height, Info: "LastPasses index"}}},
		sdk.NewCoins(sdk.NewCoin(chaintypes.BondDenom, math.NewInt(10_000_000))), c.Funded.String(), "", "v2", "x/pocps 1→2", false)
	require.NoError(t, err)
	res, err := apptesting.Deliver(c, c.Ctx(), msg)
	require.NoError(t, err)
	var resp govv1.MsgSubmitProposalResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &resp))
	_, err = apptesting.Deliver(c, c.Ctx(), govv1.NewMsgVote(c.Funded, resp.ProposalId, govv1.OptionYes, ""))
	require.NoError(t, err)
	c.NextBlock(t, time.Second)
	c.NextBlock(t, 21*time.Second) // the voting period ends: the plan is scheduled
	prop, err := c.GovKeeper.Proposals.Get(c.Ctx(), resp.ProposalId)
	require.NoError(t, err)
	require.Equal(t, govv1.StatusPassed, prop.Status, prop.FailedReason)
	plan, err := c.UpgradeKeeper.GetUpgradePlan(c.Ctx())
	require.NoError(t, err)
	require.Equal(t, height, plan.Height)
	require.Equal(t, uint64(1), pocpsVersion(t, c), "not before the height")
	require.Empty(t, lastPasses(t, c))

	c.NextBlock(t, time.Second) // the plan's height: PreBlock runs "v2"
	require.Equal(t, height, c.LastBlockHeight())
	require.Equal(t, uint64(2), pocpsVersion(t, c))
	done, err := c.UpgradeKeeper.GetDoneHeight(c.Ctx(), "v2")
	require.NoError(t, err)
	require.Equal(t, height, done)
	name, _, err := c.UpgradeKeeper.GetLastCompletedUpgrade(c.Ctx())
	require.NoError(t, err)
	require.Equal(t, "v2", name)
	_, err = c.UpgradeKeeper.GetUpgradePlan(c.Ctx())
	require.ErrorIs(t, err, upgradetypes.ErrNoUpgradePlanFound)
	require.Equal(t, want, lastPasses(t, c), "the index is backfilled from the device records")

	// The chain goes on, and a pass after the upgrade moves the index.
	next := apptesting.NextResidencyChallenge(t, c, verified)
	_, err = apptesting.Deliver(c, c.Ctx(), apptesting.Answer(t, c, sealing, hot, next))
	require.NoError(t, err)
	c.NextBlock(t, time.Second)
	d, err := c.PocpsKeeper.Devices.Get(c.Ctx(), verified)
	require.NoError(t, err)
	require.Greater(t, d.LastVerified.UnixNano(), want[verified])
	require.Equal(t, d.LastVerified.UnixNano(), lastPasses(t, c)[verified])
	for range 3 {
		c.NextBlock(t, time.Second)
	}
}

// A plan this binary has no handler for halts the chain at its height,
// and only there: x/upgrade's PreBlock fails with "UPGRADE … NEEDED" (a
// node panics on it and stops) after writing the plan to
// <home>/data/upgrade-info.json, the file cosmovisor watches. The previous
// release (build tag loopin_v1, whose registry is empty) stops so at the
// "v2" plan; the same block fails again if retried.
func TestUnknownUpgradeHaltsAtItsHeight(t *testing.T) {
	c := apptesting.Setup(t)
	height := c.LastBlockHeight() + 2
	scheduleUpgrade(t, c, "v99", height)
	c.NextBlock(t, time.Second) // before the height: the chain runs on
	require.Equal(t, height-1, c.LastBlockHeight())

	err := c.TryNextBlock(t, time.Second)
	require.ErrorContains(t, err, `UPGRADE "v99" NEEDED at height: `)
	require.Equal(t, height-1, c.LastBlockHeight(), "the block is not committed")
	path, err := c.UpgradeKeeper.GetUpgradeInfoPath()
	require.NoError(t, err)
	bz, err := os.ReadFile(path)
	require.NoError(t, err)
	var info struct {
		Name   string `json:"name"`
		Height int64  `json:"height"`
		Info   string `json:"info"`
	}
	require.NoError(t, json.Unmarshal(bz, &info), string(bz))
	require.Equal(t, "v99", info.Name)
	require.Equal(t, height, info.Height)
	require.ErrorContains(t, c.TryNextBlock(t, time.Second), `UPGRADE "v99" NEEDED`, "still halted")
}

// The new binary must not run before the plan's height: with the "v2"
// plan scheduled for a later block, a binary that has the "v2" handler
// stops at once (x/upgrade: "BINARY UPDATED BEFORE TRIGGER!"). Cosmovisor
// switches only at the halt, so a node started from upgrades/v2 early is
// an operator's mistake that the chain refuses.
func TestV2BinaryRefusesToRunBeforeTheHeight(t *testing.T) {
	c := apptesting.Setup(t)
	scheduleUpgrade(t, c, "v2", c.LastBlockHeight()+3)
	err := c.TryNextBlock(t, time.Second)
	require.ErrorContains(t, err, `BINARY UPDATED BEFORE TRIGGER! UPGRADE "v2"`)
}
