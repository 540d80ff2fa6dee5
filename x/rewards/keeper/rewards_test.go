package keeper_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/loopin-project/loopin/app/apptesting"
	chaintypes "github.com/loopin-project/loopin/types"
	pocpskeeper "github.com/loopin-project/loopin/x/pocps/keeper"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	rewardskeeper "github.com/loopin-project/loopin/x/rewards/keeper"
	rewardstypes "github.com/loopin-project/loopin/x/rewards/types"
)

// Each epoch end mints the emission — the only mint — and splits it: the
// validators' share to the fee collector, the rest to the sink until its
// recipients exist. Supply grows by exactly what the records say.
func TestEpochEmission(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(2))
	supply0 := c.BankKeeper.GetSupply(c.Ctx(), chaintypes.BondDenom).Amount
	for range 35 { // three and a half 10 s epochs
		c.NextBlock(t, time.Second)
	}
	q := rewardskeeper.NewQuerier(c.RewardsKeeper)
	minted, sink := math.ZeroInt(), math.ZeroInt()
	params, err := c.RewardsKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	epochs := 0
	for n := int64(1); n <= 10; n++ {
		res, err := q.Epoch(c.Ctx(), &rewardstypes.QueryEpochRequest{Epoch: n})
		if err != nil {
			continue
		}
		epochs++
		e := res.Emission
		require.Equal(t, rewardskeeper.Emission(params, n), e.Minted)
		require.Equal(t, params.ValidatorShare.MulInt(e.Minted).TruncateInt(), e.Validators)
		require.Equal(t, e.Minted, e.Validators.Add(e.Sink), "every minted uloop is accounted for")
		minted, sink = minted.Add(e.Minted), sink.Add(e.Sink)
	}
	require.GreaterOrEqual(t, epochs, 3)
	newest, err := q.AllEpochs(c.Ctx(), &rewardstypes.QueryAllEpochsRequest{Pagination: &query.PageRequest{Limit: 2, Reverse: true}})
	require.NoError(t, err)
	require.Len(t, newest.Epochs, 2)
	require.Equal(t, newest.Epochs[0].Epoch, newest.Epochs[1].Epoch+1, "newest first")
	latest, err := q.Epoch(c.Ctx(), &rewardstypes.QueryEpochRequest{Epoch: newest.Epochs[0].Epoch})
	require.NoError(t, err)
	require.Equal(t, latest.Emission, newest.Epochs[0])
	_, err = q.Epoch(c.Ctx(), &rewardstypes.QueryEpochRequest{Epoch: newest.Epochs[0].Epoch + 1})
	require.Error(t, err, "no epoch after the newest")
	require.Equal(t, supply0.Add(minted), c.BankKeeper.GetSupply(c.Ctx(), chaintypes.BondDenom).Amount, "supply grows by the emission only")
	module := authtypes.NewModuleAddress(rewardstypes.ModuleName)
	require.Equal(t, sink, c.BankKeeper.GetBalance(c.Ctx(), module, chaintypes.BondDenom).Amount, "the module holds the sink")

	next := c.ExportAndRestart(t)
	_, err = rewardskeeper.NewQuerier(next.RewardsKeeper).Epoch(next.Ctx(), &rewardstypes.QueryEpochRequest{Epoch: 1})
	require.NoError(t, err, "records survive export")
}

// Verifiers earn the verifiers' share by accepted reports, can claim it,
// and it counts as minted to them (C_minted).
func TestVerifierRewardsAndClaim(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(2))
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	_, _ = apptesting.SealedDevice(t, c, hot) // one accepted setup report
	operator := sdk.AccAddress(apptesting.GenesisValidator(t, c))
	q := rewardskeeper.NewQuerier(c.RewardsKeeper)

	var rec rewardstypes.EpochEmission
	for range 30 {
		c.NextBlock(t, time.Second)
		pending, err := q.Pending(c.Ctx(), &rewardstypes.QueryPendingRequest{Address: operator.String()})
		require.NoError(t, err)
		if pending.Amount.IsPositive() {
			break
		}
	}
	pending, err := q.Pending(c.Ctx(), &rewardstypes.QueryPendingRequest{Address: operator.String()})
	require.NoError(t, err)
	require.True(t, pending.Amount.IsPositive(), "the only verifier with a report gets the verifiers' share")
	for n := int64(1); n < 10; n++ {
		if res, err := q.Epoch(c.Ctx(), &rewardstypes.QueryEpochRequest{Epoch: n}); err == nil && res.Emission.Sink.LT(res.Emission.Minted.Sub(res.Emission.Validators)) {
			rec = res.Emission
		}
	}
	require.Equal(t, rec.Verifiers, pending.Amount, "all of that epoch's verifier share")
	require.Equal(t, rec.Minted, rec.Validators.Add(rec.Verifiers).Add(rec.Sink))
	minted, err := q.Minted(c.Ctx(), &rewardstypes.QueryMintedRequest{Address: operator.String()})
	require.NoError(t, err)
	require.Equal(t, pending.Amount, minted.Amount)

	before := c.BankKeeper.GetBalance(c.Ctx(), operator, chaintypes.BondDenom).Amount
	_, err = apptesting.Deliver(c, c.Ctx(), &rewardstypes.MsgClaimRewards{Claimant: operator.String()})
	require.NoError(t, err)
	after := c.BankKeeper.GetBalance(c.Ctx(), operator, chaintypes.BondDenom).Amount
	require.Equal(t, before.Add(pending.Amount), after)
	_, err = apptesting.Deliver(c, c.Ctx(), &rewardstypes.MsgClaimRewards{Claimant: operator.String()})
	require.ErrorIs(t, err, rewardstypes.ErrNothingToClaim)
	_, err = apptesting.Deliver(c, c.Ctx(), &rewardstypes.MsgClaimRewards{Claimant: "bogus"})
	require.ErrorIs(t, err, rewardstypes.ErrInvalidAddress)
}

// PoL reads C_minted and C_held from x/rewards: an owner that has sold half
// of what it was minted scores exp(−7.324 · 0.5).
func TestPoLReadsRewards(t *testing.T) {
	c := apptesting.Setup(t)
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	_, id := apptesting.SealedDevice(t, c, hot)
	held := c.BankKeeper.GetBalance(c.Ctx(), c.Funded, chaintypes.BondDenom).Amount
	require.NoError(t, c.RewardsKeeper.Minted.Set(c.Ctx(), c.Funded, held.MulRaw(2)))
	s, err := pocpskeeper.NewQuerier(c.PocpsKeeper).Score(c.Ctx(), &pocpstypes.QueryScoreRequest{DeviceId: id})
	require.NoError(t, err)
	require.Equal(t, held.MulRaw(2).String(), s.CMinted)
	require.Equal(t, "0.025681099131639809", s.Pol.String())
}
