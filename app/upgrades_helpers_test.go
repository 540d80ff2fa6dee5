package app_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"
	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"

	"github.com/loopin-project/loopin/app"
	"github.com/loopin-project/loopin/app/apptesting"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
)

// shortVoting returns a genesis edit that ends x/gov's voting periods
// after 20 s (expedited 10 s), so that a proposal passes in a few blocks.
func shortVoting(gs app.GenesisState) {
	cdc := app.MakeEncodingConfig().Codec
	var g govv1.GenesisState
	cdc.MustUnmarshalJSON(gs[govtypes.ModuleName], &g)
	voting, expedited := 20*time.Second, 10*time.Second
	g.Params.VotingPeriod, g.Params.ExpeditedVotingPeriod = &voting, &expedited
	gs[govtypes.ModuleName] = cdc.MustMarshalJSON(&g)
}

// lastPasses reads the whole x/pocps LastPasses index.
func lastPasses(t *testing.T, c *apptesting.TestChain) map[uint64]int64 {
	t.Helper()
	out := map[uint64]int64{}
	require.NoError(t, c.PocpsKeeper.LastPasses.Walk(c.Ctx(), nil, func(id uint64, ns int64) (bool, error) {
		out[id] = ns
		return false, nil
	}))
	return out
}

// pocpsVersion is x/pocps' version in x/upgrade's stored version map.
func pocpsVersion(t *testing.T, c *apptesting.TestChain) uint64 {
	t.Helper()
	vm, err := c.UpgradeKeeper.GetModuleVersionMap(c.Ctx())
	require.NoError(t, err)
	return vm[pocpstypes.ModuleName]
}

// scheduleUpgrade schedules plan name at height through x/upgrade's
// MsgSoftwareUpgrade with the gov authority, as a passed proposal does.
func scheduleUpgrade(t *testing.T, c *apptesting.TestChain, name string, height int64) {
	t.Helper()
	_, err := apptesting.Deliver(c, c.Ctx(), &upgradetypes.MsgSoftwareUpgrade{
		Authority: apptesting.GovAuthority,
		Plan:      upgradetypes.Plan{Name: name, Height: height, Info: "test"},
	})
	require.NoError(t, err)
}
