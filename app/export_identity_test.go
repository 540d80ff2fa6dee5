package app_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	"github.com/loopin-project/loopin/app/apptesting"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
	rewardstypes "github.com/loopin-project/loopin/x/rewards/types"
	staketypes "github.com/loopin-project/loopin/x/stake/types"
)

// requireSameAppState asserts that two app_state documents hold the same
// modules with byte-identical JSON, module by module (indented, so that a
// failure shows a line diff of the one module that differs).
func requireSameAppState(t *testing.T, want, got json.RawMessage, msgAndArgs ...any) {
	t.Helper()
	var a, b map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(want, &a))
	require.NoError(t, json.Unmarshal(got, &b))
	modules := func(m map[string]json.RawMessage) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	require.Equal(t, modules(a), modules(b), msgAndArgs...)
	for _, m := range modules(a) {
		var x, y bytes.Buffer
		require.NoError(t, json.Indent(&x, a[m], "", "  "))
		require.NoError(t, json.Indent(&y, b[m], "", "  "))
		require.Equal(t, x.String(), y.String(), append([]any{"module %s"}, append([]any{m}, msgAndArgs...)...)...)
	}
}

// busyChain runs a chain into state in every LooPIN module: a verifier,
// three devices (one LP-staked, one sold, one waiting for its setup
// report), leases (one terminated, two running), passed and pending
// challenges, closed reward periods with reward accounts, and pending
// rewards. Everything is committed.
func busyChain(t *testing.T) *apptesting.TestChain {
	t.Helper()
	c := apptesting.Setup(t, apptesting.ShortEpochs(1))
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	lpSeal, lp := apptesting.SealedNamed(t, c, hot, "gpu-lp")
	_, sale := apptesting.SealedNamed(t, c, hot, "gpu-sale")
	_, err := apptesting.StakeLP(c, c.Funded, lp, 7*24*time.Hour)
	require.NoError(t, err)
	client := apptesting.Account(t, c, "client", 10_000_000_000)
	buy := func(d time.Duration) uint64 {
		res, err := apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "rtx-4090", Duration: d, MaxUloopIn: math.NewInt(1 << 50)})
		require.NoError(t, err)
		var bought poolstypes.MsgBuyLeaseResponse
		require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &bought))
		return bought.LeaseId
	}
	first := buy(3 * time.Hour)
	_, err = apptesting.Deliver(c, c.Ctx(), &staketypes.MsgSellCompute{Owner: c.Funded.String(), DeviceId: sale, Days: 2, MinUloopOut: math.ZeroInt()})
	require.NoError(t, err)
	_ = buy(2 * time.Hour)

	// A passed residency challenge scores the LP device (its miner earns);
	// the next one stays pending.
	ch := apptesting.NextResidencyChallenge(t, c, lp)
	_, err = apptesting.Deliver(c, c.Ctx(), apptesting.Answer(t, c, lpSeal, hot, ch))
	require.NoError(t, err)
	for range 12 {
		c.NextBlock(t, time.Second)
	}
	_, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgTerminateLease{Client: client.String(), LeaseId: first, MinRefund: math.ZeroInt()})
	require.NoError(t, err)
	_ = buy(time.Hour)
	apptesting.RegisterSealed(t, c, "gpu-pending")
	apptesting.NextResidencyChallenge(t, c, lp)
	c.NextBlock(t, time.Second)
	return c
}

// Export, import and export again at the same height: the two app_state
// documents are identical, module by module, for every module of the app.
// Then one more block on each of the two chains gives equal exports again:
// the imported chain carries on as the original does.
func TestExportImportExportIsIdentity(t *testing.T) {
	c := busyChain(t)
	next, exported := c.ExportAndImport(t)
	again := next.ExportGenesis(t, next.GenesisCtx())
	requireSameAppState(t, exported.AppState, again, "export → import → export")

	// The export carries state in every LooPIN module, so the comparison
	// above compares something.
	var gs map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(exported.AppState, &gs))
	cdc := c.AppCodec()
	var pools poolstypes.GenesisState
	cdc.MustUnmarshalJSON(gs[poolstypes.ModuleName], &pools)
	require.NotEmpty(t, pools.Positions)
	require.Len(t, pools.Leases, 3)
	require.NotEmpty(t, pools.Snapshots)
	var stake staketypes.GenesisState
	cdc.MustUnmarshalJSON(gs[staketypes.ModuleName], &stake)
	require.Len(t, stake.Stakes, 2)
	var pocps pocpstypes.GenesisState
	cdc.MustUnmarshalJSON(gs[pocpstypes.ModuleName], &pocps)
	require.Len(t, pocps.Devices, 3)
	require.Len(t, pocps.Verifiers, 1)
	require.NotEmpty(t, pocps.Schedule)
	kinds := map[pocpstypes.ChallengeStatus]int{}
	for _, ch := range pocps.Challenges {
		kinds[ch.Status]++
	}
	require.Positive(t, kinds[pocpstypes.CHALLENGE_STATUS_PASSED], "passed challenges: %v", kinds)
	require.Positive(t, kinds[pocpstypes.CHALLENGE_STATUS_PENDING], "pending challenges: %v", kinds)
	var rewards rewardstypes.GenesisState
	cdc.MustUnmarshalJSON(gs[rewardstypes.ModuleName], &rewards)
	require.NotEmpty(t, rewards.Epochs)
	require.NotEmpty(t, rewards.Accounts, "pending or minted rewards")
	periods, accounts := 0, 0
	for _, s := range rewards.Streams {
		periods += len(s.Periods)
		accounts += len(s.Accounts)
	}
	require.Positive(t, periods, "closed reward periods")
	require.Positive(t, accounts, "reward accounts")

	// One block more on each chain, at the same height and time.
	c.NextBlock(t, time.Second)
	next.NextBlock(t, time.Second)
	require.Equal(t, c.LastBlockHeight(), next.LastBlockHeight())
	want, err := c.ExportAppStateAndValidators(false, nil, nil)
	require.NoError(t, err)
	got, err := next.ExportAppStateAndValidators(false, nil, nil)
	require.NoError(t, err)
	requireSameAppState(t, want.AppState, got.AppState, "one block after the import")
}
