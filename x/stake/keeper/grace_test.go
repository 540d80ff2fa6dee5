package keeper_test

import (
	"math"
	"testing"
	"time"

	"cosmossdk.io/collections"
	sdkmath "cosmossdk.io/math"
	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/loopin-project/loopin/app"
	"github.com/loopin-project/loopin/app/apptesting"
	"github.com/loopin-project/loopin/proof"
	chaintypes "github.com/loopin-project/loopin/types"
	pocpskeeper "github.com/loopin-project/loopin/x/pocps/keeper"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	stakekeeper "github.com/loopin-project/loopin/x/stake/keeper"
	staketypes "github.com/loopin-project/loopin/x/stake/types"
)

// patientVerifiers raises x/pocps' max_missed so that the tests' verifiers,
// which answer only the challenges a test names, stay eligible over the
// block-time jumps of a sale and its grace.
func patientVerifiers(gs app.GenesisState) {
	cdc := app.MakeEncodingConfig().Codec
	var pg pocpstypes.GenesisState
	cdc.MustUnmarshalJSON(gs[pocpstypes.ModuleName], &pg)
	pg.Params.MaxMissed = 1 << 20
	gs[pocpstypes.ModuleName] = cdc.MustMarshalJSON(&pg)
}

// sealedAmong registers device name for c.Funded and seals it with the
// setup report of whichever of hots the chain assigned.
func sealedAmong(t *testing.T, c *apptesting.TestChain, hots map[string]sdk.AccAddress, name string) (*proof.Sealing, uint64) {
	t.Helper()
	sealing, ch := apptesting.RegisterSealed(t, c, name)
	c.NextBlock(t, time.Second)
	c.NextBlock(t, time.Second)
	_, err := apptesting.Deliver(c, c.Ctx(), apptesting.SetupReport(t, c, sealing, hots[ch.Verifier], ch))
	require.NoError(t, err)
	sealing.Discard()
	return sealing, ch.DeviceId
}

// mustSell sells days of deviceID for c.Funded and returns the response.
func mustSell(t *testing.T, c *apptesting.TestChain, deviceID uint64, days uint32) staketypes.MsgSellComputeResponse {
	t.Helper()
	res, err := sell(c, c.Funded, deviceID, days)
	require.NoError(t, err)
	var sold staketypes.MsgSellComputeResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &sold))
	return sold
}

// pendingResidency returns the device's pending residency challenges.
func pendingResidency(t *testing.T, c *apptesting.TestChain, deviceID uint64) []pocpstypes.Challenge {
	t.Helper()
	cs, err := pocpskeeper.NewQuerier(c.PocpsKeeper).ChallengesByDevice(c.Ctx(), &pocpstypes.QueryChallengesByDeviceRequest{DeviceId: deviceID})
	require.NoError(t, err)
	var out []pocpstypes.Challenge
	for _, ch := range cs.Challenges {
		if ch.Kind == pocpstypes.CHALLENGE_KIND_RESIDENCY && ch.Status == pocpstypes.CHALLENGE_STATUS_PENDING {
			out = append(out, ch)
		}
	}
	return out
}

// reportLate delivers hot's "late" report of challenge ch (the device did
// not answer in time) and returns x/pocps' response.
func reportLate(t *testing.T, c *apptesting.TestChain, sealing *proof.Sealing, hot sdk.AccAddress, ch pocpstypes.Challenge) (*sdk.Result, pocpstypes.MsgSubmitChallengeResultResponse) {
	t.Helper()
	msg := apptesting.Answer(t, c, sealing, hot, ch)
	msg.Passed, msg.FailureReason = false, pocpstypes.FAILURE_REASON_LATE
	res, err := apptesting.Deliver(c, c.Ctx(), msg)
	require.NoError(t, err)
	var r pocpstypes.MsgSubmitChallengeResultResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &r))
	return res, r
}

func supply(c *apptesting.TestChain) sdkmath.Int {
	return c.BankKeeper.GetSupply(c.Ctx(), chaintypes.BondDenom).Amount
}

// Attack: a seller passes every challenge up to its sale's end and goes
// offline right after the last one it could predict. Without the grace its
// collateral and deposit came back at the end and the failure found no
// stake to slash. Now the sale's final challenge (issued at the end) is
// reported late, the failure is confirmed inside the grace, collateral and
// deposit are burned and the seller gets nothing back, then or later.
func TestAttackSellerOfflineAfterLastChallengeIsSlashed(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(1), patientVerifiers)
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	_, lpDevice := apptesting.SealedNamed(t, c, hot, "gpu-lp")
	sealing, seller := apptesting.SealedNamed(t, c, hot, "gpu-sale")
	_, err := apptesting.StakeLP(c, c.Funded, lpDevice, 8*24*time.Hour)
	require.NoError(t, err)
	sold := mustSell(t, c, seller, 1)

	// One second before the end the seller answers every pending challenge.
	c.NextBlock(t, sold.End.Sub(c.Now())-time.Second)
	pending := pendingResidency(t, c, seller)
	require.NotEmpty(t, pending)
	for _, ch := range pending {
		_, err := apptesting.Deliver(c, c.Ctx(), apptesting.Answer(t, c, sealing, hot, ch))
		require.NoError(t, err)
	}
	require.Empty(t, pendingResidency(t, c, seller))
	before := apptesting.Balance(c, c.Funded)

	// The end: the sale enters its grace with a final challenge; the
	// seller is offline and the verifier reports it late.
	c.NextBlock(t, time.Second)
	s, err := c.StakeKeeper.Stakes.Get(c.Ctx(), sold.StakeId)
	require.NoError(t, err)
	require.Equal(t, staketypes.STAKE_STATUS_GRACE, s.Status)
	require.Equal(t, before, apptesting.Balance(c, c.Funded), "nothing is paid back at the end")
	final, err := c.PocpsKeeper.Challenges.Get(c.Ctx(), s.FinalChallengeId)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.CHALLENGE_STATUS_PENDING, final.Status)
	require.Equal(t, seller, final.DeviceId)

	supplyBefore := supply(c)
	res, r := reportLate(t, c, sealing, hot, final)
	require.True(t, r.DeviceFailed, "one confirmation fails the device")
	require.Contains(t, apptesting.EventTypes(res), "loopin.stake.v1.EventStakeFailed")
	s, err = c.StakeKeeper.Stakes.Get(c.Ctx(), sold.StakeId)
	require.NoError(t, err)
	require.Equal(t, staketypes.STAKE_STATUS_FAILED, s.Status)
	require.True(t, s.Payout.IsZero())
	burned := sold.Collateral.Add(sold.Deposit)
	require.True(t, burned.IsPositive())
	require.Equal(t, supplyBefore.Sub(burned), supply(c), "collateral and deposit are burned whole")
	require.Equal(t, before, apptesting.Balance(c, c.Funded))
	has, err := c.StakeKeeper.Release.Has(c.Ctx(), collectionsJoin(s.ReleaseAt.Unix(), s.Id))
	require.NoError(t, err)
	require.False(t, has, "nothing is left to release")
	d, err := c.PocpsKeeper.GetDevice(c.Ctx(), seller)
	require.NoError(t, err)
	require.Zero(t, d.StakeId)
	apptesting.StakeHeld(t, c)
	apptesting.CheckPools(t, c)

	// The release time passes: the seller still gets nothing.
	c.NextBlock(t, s.ReleaseAt.Sub(c.Now())+time.Second)
	require.Equal(t, before, apptesting.Balance(c, c.Funded))
	s, err = c.StakeKeeper.Stakes.Get(c.Ctx(), sold.StakeId)
	require.NoError(t, err)
	require.Equal(t, staketypes.STAKE_STATUS_FAILED, s.Status)
	apptesting.StakeHeld(t, c)
}

// Attack: a device stops answering shortly before its sale's end, so its
// failure, which needs two verifiers, is confirmed only after the end.
// The first report comes while the sale is active, the confirmation in
// the grace: the sale is slashed as if it had failed before its end.
func TestAttackFailureConfirmedAfterTheEndIsSlashed(t *testing.T) {
	c := apptesting.SetupWithValidators(t, 2, apptesting.ShortEpochs(2), patientVerifiers)
	c.NextBlock(t, time.Second)
	hots := apptesting.WithVerifiers(t, c)
	_, lpDevice := sealedAmong(t, c, hots, "gpu-lp")
	sealing, seller := sealedAmong(t, c, hots, "gpu-sale")
	_, err := apptesting.StakeLP(c, c.Funded, lpDevice, 8*24*time.Hour)
	require.NoError(t, err)
	sold := mustSell(t, c, seller, 1)

	// One second before the end: the first "late" report.
	c.NextBlock(t, sold.End.Sub(c.Now())-time.Second)
	pending := pendingResidency(t, c, seller)
	require.NotEmpty(t, pending)
	first := pending[len(pending)-1]
	_, r := reportLate(t, c, sealing, hots[first.Verifier], first)
	require.False(t, r.DeviceFailed, "one report of two confirms nothing")
	require.NotZero(t, r.ConfirmationId)
	s, err := c.StakeKeeper.Stakes.Get(c.Ctx(), sold.StakeId)
	require.NoError(t, err)
	require.Equal(t, staketypes.STAKE_STATUS_ACTIVE, s.Status)
	before := apptesting.Balance(c, c.Funded)

	// The end passes; the confirmation comes in the grace.
	c.NextBlock(t, time.Second)
	s, err = c.StakeKeeper.Stakes.Get(c.Ctx(), sold.StakeId)
	require.NoError(t, err)
	require.Equal(t, staketypes.STAKE_STATUS_GRACE, s.Status)
	confirmation, err := c.PocpsKeeper.Challenges.Get(c.Ctx(), r.ConfirmationId)
	require.NoError(t, err)
	require.NotEqual(t, first.Verifier, confirmation.Verifier)
	supplyBefore := supply(c)
	_, r = reportLate(t, c, sealing, hots[confirmation.Verifier], confirmation)
	require.True(t, r.DeviceFailed)
	s, err = c.StakeKeeper.Stakes.Get(c.Ctx(), sold.StakeId)
	require.NoError(t, err)
	require.Equal(t, staketypes.STAKE_STATUS_FAILED, s.Status)
	require.Equal(t, supplyBefore.Sub(sold.Collateral).Sub(sold.Deposit), supply(c), "slashed after the end")
	apptesting.StakeHeld(t, c)

	c.NextBlock(t, s.ReleaseAt.Sub(c.Now())+time.Second)
	require.Equal(t, before, apptesting.Balance(c, c.Funded), "the seller gets nothing back")
	apptesting.StakeHeld(t, c)
	apptesting.CheckPools(t, c)
}

// A grace survives an export: the release queue is rebuilt from the
// certificate, and the collateral comes back at end + grace on the new
// chain.
func TestGraceSurvivesExport(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(1), patientVerifiers)
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	_, lpDevice := apptesting.SealedNamed(t, c, hot, "gpu-lp")
	_, seller := apptesting.SealedNamed(t, c, hot, "gpu-sale")
	_, err := apptesting.StakeLP(c, c.Funded, lpDevice, 8*24*time.Hour)
	require.NoError(t, err)
	sold := mustSell(t, c, seller, 1)
	c.NextBlock(t, sold.End.Sub(c.Now()))
	s, err := c.StakeKeeper.Stakes.Get(c.Ctx(), sold.StakeId)
	require.NoError(t, err)
	require.Equal(t, staketypes.STAKE_STATUS_GRACE, s.Status)

	c = c.ExportAndRestart(t)
	has, err := c.StakeKeeper.Release.Has(c.Ctx(), collectionsJoin(s.ReleaseAt.Unix(), s.Id))
	require.NoError(t, err)
	require.True(t, has, "InitGenesis rebuilt the release queue")
	apptesting.StakeHeld(t, c)
	before := apptesting.Balance(c, c.Funded)
	c.NextBlock(t, s.ReleaseAt.Sub(c.Now()))
	s, err = c.StakeKeeper.Stakes.Get(c.Ctx(), sold.StakeId)
	require.NoError(t, err)
	require.Equal(t, staketypes.STAKE_STATUS_EXPIRED, s.Status)
	require.Equal(t, before.Add(sold.Collateral).Add(sold.Deposit), apptesting.Balance(c, c.Funded))
	apptesting.StakeHeld(t, c)
}

// Without a verifier the final challenge cannot be issued: the sale still
// enters its grace, an event says why, and the block does not fail.
func TestFinalChallengeWithoutVerifier(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(1))
	c.NextBlock(t, time.Second)
	apptesting.PutSealedDevice(t, c, 1, c.Funded)
	apptesting.PutSealedDevice(t, c, 2, c.Funded)
	_, err := apptesting.StakeLP(c, c.Funded, 1, 8*24*time.Hour)
	require.NoError(t, err)
	sold := mustSell(t, c, 2, 1)
	c.NextBlock(t, sold.End.Sub(c.Now())-time.Second)
	ctx, _ := c.Ctx().WithBlockTime(sold.End).CacheContext()
	require.NoError(t, c.StakeKeeper.BeginBlocker(ctx))
	var skipped bool
	for _, ev := range ctx.EventManager().Events() {
		skipped = skipped || ev.Type == "loopin.stake.v1.EventFinalChallengeSkipped"
	}
	require.True(t, skipped)
	s, err := c.StakeKeeper.Stakes.Get(ctx, sold.StakeId)
	require.NoError(t, err)
	require.Equal(t, staketypes.STAKE_STATUS_GRACE, s.Status)
	require.Zero(t, s.FinalChallengeId)
	c.NextBlock(t, time.Second)
	s, err = c.StakeKeeper.Stakes.Get(c.Ctx(), sold.StakeId)
	require.NoError(t, err)
	require.Equal(t, staketypes.STAKE_STATUS_GRACE, s.Status, "the block ran")
}

// RenewStake with epochs = MaxUint32 used to overflow time.Duration and
// move the end to the past; now it is refused and nothing changes, and so
// is one epoch past the 10-year bound.
func TestRenewStakeRefusesOverflowingEpochs(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(1))
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	_, id := apptesting.SealedDevice(t, c, hot)
	res, err := apptesting.StakeLP(c, c.Funded, id, 7*24*time.Hour)
	require.NoError(t, err)
	var staked staketypes.MsgStakeLPResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &staked))
	c.NextBlock(t, time.Second)

	stakeBefore, err := c.StakeKeeper.Stakes.Get(c.Ctx(), staked.StakeId)
	require.NoError(t, err)
	posBefore, err := c.PoolsKeeper.Position(c.Ctx(), id)
	require.NoError(t, err)
	balBefore, poolBefore := apptesting.Balance(c, c.Funded), apptesting.PoolOf(t, c, "rtx-4090")
	room := staketypes.MaxCommitment - stakeBefore.End.Sub(c.Ctx().BlockTime())
	justOver := uint32(room/(10*time.Second)) + 1
	for _, epochs := range []uint32{math.MaxUint32, math.MaxUint32 / 2, justOver} {
		_, err := apptesting.Deliver(c, c.Ctx(), &staketypes.MsgRenewStake{Owner: c.Funded.String(), StakeId: staked.StakeId, Epochs: epochs, MaxUloopIn: sdkmath.NewInt(math.MaxInt64)})
		require.ErrorIs(t, err, staketypes.ErrInvalidDuration, "epochs %d", epochs)
		s, err := c.StakeKeeper.Stakes.Get(c.Ctx(), staked.StakeId)
		require.NoError(t, err)
		require.Equal(t, stakeBefore, s)
		pos, err := c.PoolsKeeper.Position(c.Ctx(), id)
		require.NoError(t, err)
		require.Equal(t, posBefore, pos)
		require.Equal(t, balBefore, apptesting.Balance(c, c.Funded))
		require.Equal(t, poolBefore, apptesting.PoolOf(t, c, "rtx-4090"))
		has, err := c.StakeKeeper.Expiry.Has(c.Ctx(), collectionsJoin(stakeBefore.End.Unix(), stakeBefore.Id))
		require.NoError(t, err)
		require.True(t, has)
	}
	// An LP stake longer than the bound is refused too.
	_, id2 := apptesting.SealedNamed(t, c, hot, "gpu-long")
	_, err = apptesting.StakeLP(c, c.Funded, id2, staketypes.MaxCommitment+time.Second)
	require.ErrorIs(t, err, staketypes.ErrInvalidDuration)
}

// An ended certificate stays queryable for stake_retention, survives an
// export in that time, and is then removed with its indexes.
func TestEndedStakesArePrunedAfterRetention(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(1))
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	_, id := apptesting.SealedDevice(t, c, hot)
	res, err := apptesting.StakeLP(c, c.Funded, id, 7*24*time.Hour)
	require.NoError(t, err)
	var staked staketypes.MsgStakeLPResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &staked))
	c.NextBlock(t, staked.End.Sub(c.Now()))
	s, err := c.StakeKeeper.Stakes.Get(c.Ctx(), staked.StakeId)
	require.NoError(t, err)
	require.Equal(t, staketypes.STAKE_STATUS_EXPIRED, s.Status)
	params, err := c.StakeKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	require.Equal(t, c.Now().Add(params.StakeRetention), s.PruneAt)

	c = c.ExportAndRestart(t)
	has, err := c.StakeKeeper.Prune.Has(c.Ctx(), collectionsJoin(s.PruneAt.Unix(), s.Id))
	require.NoError(t, err)
	require.True(t, has, "InitGenesis rebuilt the prune queue")
	c.NextBlock(t, s.PruneAt.Sub(c.Now())-time.Second)
	q := stakekeeper.NewQuerier(c.StakeKeeper)
	_, err = q.Stake(c.Ctx(), &staketypes.QueryStakeRequest{StakeId: s.Id})
	require.NoError(t, err, "kept until prune_at")
	c.NextBlock(t, time.Second)
	_, err = q.Stake(c.Ctx(), &staketypes.QueryStakeRequest{StakeId: s.Id})
	require.Error(t, err, "pruned")
	byOwner, err := q.StakesByOwner(c.Ctx(), &staketypes.QueryStakesByOwnerRequest{Owner: c.Funded.String()})
	require.NoError(t, err)
	require.Empty(t, byOwner.Stakes)
	byDevice, err := q.StakesByDevice(c.Ctx(), &staketypes.QueryStakesByDeviceRequest{DeviceId: id})
	require.NoError(t, err)
	require.Empty(t, byDevice.Stakes)
}

// More entries fall due in one block than each queue's bound: a block
// processes exactly the bound of each, oldest first, and the next block
// the rest. A sale whose end has come but that its block's batch did not
// reach yet is still slashed in its grace when its failure is confirmed.
func TestBeginBlockBoundsEveryQueue(t *testing.T) {
	c := apptesting.Setup(t)
	c.NextBlock(t, time.Second)
	ctx := c.Ctx()
	now := c.Now()
	const extra = 7
	nE, nR, nP := staketypes.MaxExpiriesPerBlock+extra, staketypes.MaxReleasesPerBlock+extra, staketypes.MaxPrunesPerBlock+extra
	base := staketypes.Stake{
		Owner: c.Funded.String(), PoolId: 1, Kind: staketypes.STAKE_KIND_LP, Start: now.Add(-time.Hour), End: now,
		FeeBurned: sdkmath.ZeroInt(), Injected: sdkmath.ZeroInt(), Collateral: sdkmath.ZeroInt(), Deposit: sdkmath.ZeroInt(),
		Status: staketypes.STAKE_STATUS_ACTIVE, Payout: sdkmath.ZeroInt(),
	}
	put := func(s staketypes.Stake) {
		require.NoError(t, c.StakeKeeper.Stakes.Set(ctx, s.Id, s))
	}
	// Expiries 1..nE; the last one a sale of a real sealed device.
	const saleDevice = 9_000
	apptesting.PutSealedDevice(t, c, saleDevice, c.Funded)
	for i := 1; i <= nE; i++ {
		s := base
		s.Id, s.DeviceId = uint64(i), uint64(50_000+i)
		if i == nE {
			s.Kind, s.DeviceId, s.Collateral, s.Deposit = staketypes.STAKE_KIND_SALE, saleDevice, sdkmath.NewInt(5), sdkmath.NewInt(3)
			require.NoError(t, c.PocpsKeeper.SetDeviceStake(ctx, saleDevice, s.Id))
		}
		put(s)
		require.NoError(t, c.StakeKeeper.Expiry.Set(ctx, collectionsJoin(now.Unix(), s.Id)))
	}
	// Releases 1001..: sales in their grace, 2 + 1 uloop locked each.
	for i := 1; i <= nR; i++ {
		s := base
		s.Id, s.DeviceId, s.Kind, s.Status = uint64(1000+i), uint64(60_000+i), staketypes.STAKE_KIND_SALE, staketypes.STAKE_STATUS_GRACE
		s.Collateral, s.Deposit, s.ReleaseAt = sdkmath.NewInt(2), sdkmath.NewInt(1), now
		put(s)
		require.NoError(t, c.StakeKeeper.Release.Set(ctx, collectionsJoin(now.Unix(), s.Id)))
	}
	// Prunes 2001..: ended certificates past their retention.
	for i := 1; i <= nP; i++ {
		s := base
		s.Id, s.DeviceId, s.Status, s.PruneAt = uint64(2000+i), uint64(70_000+i), staketypes.STAKE_STATUS_EXPIRED, now
		put(s)
		require.NoError(t, c.StakeKeeper.Prune.Set(ctx, collectionsJoin(now.Unix(), s.Id)))
	}
	require.NoError(t, c.StakeKeeper.StakeSeq.Set(ctx, 3000))
	locked := int64(3*nR + 8)
	require.NoError(t, c.BankKeeper.SendCoinsFromAccountToModule(ctx, c.Funded, staketypes.ModuleName,
		sdk.NewCoins(sdk.NewInt64Coin(chaintypes.BondDenom, locked))))
	apptesting.StakeHeld(t, c)

	dueIn := func(q collections.KeySet[collections.Pair[int64, uint64]]) []uint64 {
		it, err := q.Iterate(c.Ctx(), new(collections.Range[collections.Pair[int64, uint64]]).EndInclusive(collections.Join(c.Now().Unix(), ^uint64(0))))
		require.NoError(t, err)
		keys, err := it.Keys()
		require.NoError(t, err)
		var ids []uint64
		for _, k := range keys {
			ids = append(ids, k.K2())
		}
		return ids
	}
	before := apptesting.Balance(c, c.Funded)
	c.NextBlock(t, time.Second)
	tail := func(first, n int) []uint64 {
		var ids []uint64
		for i := first; i < first+n; i++ {
			ids = append(ids, uint64(i))
		}
		return ids
	}
	require.Equal(t, tail(nE-extra+1, extra), dueIn(c.StakeKeeper.Expiry), "the bound, oldest first; the rest carried")
	require.Equal(t, tail(1000+nR-extra+1, extra), dueIn(c.StakeKeeper.Release))
	require.Equal(t, tail(2000+nP-extra+1, extra), dueIn(c.StakeKeeper.Prune))
	require.Equal(t, before.AddRaw(3*staketypes.MaxReleasesPerBlock), apptesting.Balance(c, c.Funded), "the released sales are paid")
	s, err := c.StakeKeeper.Stakes.Get(c.Ctx(), 1)
	require.NoError(t, err)
	require.Equal(t, staketypes.STAKE_STATUS_EXPIRED, s.Status)
	has, err := c.StakeKeeper.Stakes.Has(c.Ctx(), 2001)
	require.NoError(t, err)
	require.False(t, has, "pruned")
	has, err = c.StakeKeeper.Stakes.Has(c.Ctx(), uint64(2000+nP))
	require.NoError(t, err)
	require.True(t, has, "carried to the next block")
	apptesting.StakeHeld(t, c)

	// The carried sale's device fails: it is ended and slashed at once.
	supplyBefore := supply(c)
	require.NoError(t, c.StakeKeeper.FailDevice(c.Ctx(), saleDevice))
	s, err = c.StakeKeeper.Stakes.Get(c.Ctx(), uint64(nE))
	require.NoError(t, err)
	require.Equal(t, staketypes.STAKE_STATUS_FAILED, s.Status)
	require.Equal(t, supplyBefore.SubRaw(8), supply(c))
	apptesting.StakeHeld(t, c)

	c.NextBlock(t, time.Second)
	require.Empty(t, dueIn(c.StakeKeeper.Expiry))
	require.Empty(t, dueIn(c.StakeKeeper.Release))
	require.Empty(t, dueIn(c.StakeKeeper.Prune))
	require.Equal(t, before.AddRaw(3*int64(nR)), apptesting.Balance(c, c.Funded))
	apptesting.StakeHeld(t, c)
}

// Governance cannot set a grace shorter than one challenge interval plus
// the challenge deadline; exactly that is accepted.
func TestSaleGracePeriodFloor(t *testing.T) {
	c := apptesting.Setup(t)
	c.NextBlock(t, time.Second)
	params, err := c.StakeKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	pp, err := c.PocpsKeeper.GetParams(c.Ctx())
	require.NoError(t, err)
	floor := staketypes.MinSaleGracePeriod(pp.ChallengeInterval, time.Hour, pp.ChallengeDeadline)
	require.Equal(t, 6*time.Hour+10*time.Minute, floor)
	require.GreaterOrEqual(t, staketypes.DefaultSaleGracePeriod, floor, "the default keeps the rule")

	p := params
	p.SaleGracePeriod = floor - time.Second
	_, err = apptesting.Deliver(c, c.Ctx(), &staketypes.MsgUpdateParams{Authority: apptesting.GovAuthority, Params: p})
	require.ErrorIs(t, err, staketypes.ErrInvalidParams)
	got, err := c.StakeKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	require.Equal(t, params, got, "nothing changed")
	p.SaleGracePeriod = floor
	_, err = apptesting.Deliver(c, c.Ctx(), &staketypes.MsgUpdateParams{Authority: apptesting.GovAuthority, Params: p})
	require.NoError(t, err)
}
