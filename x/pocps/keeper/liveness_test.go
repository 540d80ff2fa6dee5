package keeper_test

import (
	"fmt"
	"testing"
	"time"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	"github.com/stretchr/testify/require"

	"github.com/loopin-project/loopin/app/apptesting"
	pocpskeeper "github.com/loopin-project/loopin/x/pocps/keeper"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
)

// These tests build the attacks of issue 16 against the verification loop
// (docs/pocps.md §15) and assert each is refused or does not pay.

// noAnswer is the report an honest verifier sidecar sends when the miner
// is silent during setup: its VRF proof and an empty proof.
func noAnswer(c *apptesting.TestChain, hot sdk.AccAddress, ch pocpstypes.Challenge) *pocpstypes.MsgSubmitSetupResult {
	sigma, _ := apptesting.VRF(c, hot, ch)
	return &pocpstypes.MsgSubmitSetupResult{HotKey: hot.String(), ChallengeId: ch.Id, VrfProof: sigma}
}

// pendingOf returns the device's pending challenge (fails when none).
func pendingOf(t *testing.T, c *apptesting.TestChain, deviceID uint64) pocpstypes.Challenge {
	t.Helper()
	q := pocpskeeper.NewQuerier(c.PocpsKeeper)
	cs, err := q.ChallengesByDevice(c.Ctx(), &pocpstypes.QueryChallengesByDeviceRequest{DeviceId: deviceID})
	require.NoError(t, err)
	for i := len(cs.Challenges) - 1; i >= 0; i-- {
		if cs.Challenges[i].Status == pocpstypes.CHALLENGE_STATUS_PENDING {
			return cs.Challenges[i]
		}
	}
	t.Fatalf("device %d has no pending challenge", deviceID)
	return pocpstypes.Challenge{}
}

// followUp returns the device's pending challenge at place attempt of a
// chain (a confirmation or a re-issue; scheduled challenges are attempt 0).
func followUp(t *testing.T, c *apptesting.TestChain, deviceID uint64, attempt uint32) pocpstypes.Challenge {
	t.Helper()
	q := pocpskeeper.NewQuerier(c.PocpsKeeper)
	cs, err := q.ChallengesByDevice(c.Ctx(), &pocpstypes.QueryChallengesByDeviceRequest{DeviceId: deviceID})
	require.NoError(t, err)
	for _, ch := range cs.Challenges {
		if ch.Status == pocpstypes.CHALLENGE_STATUS_PENDING && ch.Attempt == attempt {
			return ch
		}
	}
	t.Fatalf("device %d has no pending challenge at attempt %d", deviceID, attempt)
	return pocpstypes.Challenge{}
}

// checkDeposits asserts that the x/pocps module account holds exactly the
// deposits still locked on devices (a scan: tests only).
func checkDeposits(t *testing.T, c *apptesting.TestChain) {
	t.Helper()
	locked := math.ZeroInt()
	require.NoError(t, c.PocpsKeeper.Devices.Walk(c.Ctx(), nil, func(_ uint64, d pocpstypes.Device) (bool, error) {
		if !d.Deposit.IsNil() {
			locked = locked.Add(d.Deposit)
		}
		return false, nil
	}))
	require.Equal(t, locked.String(), apptesting.Balance(c, authtypes.NewModuleAddress(pocpstypes.ModuleName)).String())
}

// Verifier exhaustion: registrations whose endpoint never answers. Each
// costs the attacker its deposit; the verifiers' "no answer" reports are
// not misses, so every verifier stays eligible and an honest device still
// registers and seals afterwards.
func TestSilentRegistrationsBurnDepositsNotVerifiers(t *testing.T) {
	const silent = 9 // three per verifier: the old attack's size
	c := apptesting.SetupWithValidators(t, 3, apptesting.ShortEpochs(2))
	c.NextBlock(t, time.Second)
	hots := apptesting.WithVerifiers(t, c)
	params, err := c.PocpsKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	attacker := apptesting.Account(t, c, "attacker", 1_000_000_000)
	h := c.LastBlockHeight()
	var ids []uint64
	for i := range silent {
		fp := apptesting.Fingerprint(string(rune('a' + i)))
		_, commit := apptesting.SealFor(t, c, attacker, fp, h)
		res, err := apptesting.Deliver(c, c.Ctx(), apptesting.RegisterMsg(attacker, fp, h, commit))
		require.NoError(t, err)
		var resp pocpstypes.MsgRegisterDeviceResponse
		require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &resp))
		ids = append(ids, resp.DeviceId)
	}
	checkDeposits(t, c)
	c.NextBlock(t, time.Second)
	for _, id := range ids {
		// The honest sidecars report "no answer" until confirmed.
		for range params.Confirmations {
			ch := pendingOf(t, c, id)
			_, err := apptesting.Deliver(c, c.Ctx(), noAnswer(c, hots[ch.Verifier], ch))
			require.NoError(t, err)
		}
		d, err := c.PocpsKeeper.Devices.Get(c.Ctx(), id)
		require.NoError(t, err)
		require.Equal(t, pocpstypes.DEVICE_STATUS_FAILED, d.Status, "device %d", id)
		require.True(t, d.Deposit.IsZero())
	}
	checkDeposits(t, c)
	spent := math.NewInt(1_000_000_000).Sub(apptesting.Balance(c, attacker))
	require.Equal(t, params.RegistrationDeposit.MulRaw(silent).String(), spent.String(), "the attack cost every deposit")
	for _, val := range apptesting.GenesisValidators(t, c) {
		_, err := c.PocpsKeeper.Misses.Get(c.Ctx(), val)
		require.ErrorIs(t, err, collections.ErrNotFound, "a report is not a miss")
	}
	// An honest device still registers and seals, and gets its deposit back.
	before := apptesting.Balance(c, c.Funded)
	sealing, ch := apptesting.RegisterSealed(t, c, "honest")
	c.NextBlock(t, time.Second)
	_, err = apptesting.Deliver(c, c.Ctx(), apptesting.SetupReport(t, c, sealing, hots[ch.Verifier], ch))
	require.NoError(t, err)
	require.Equal(t, before.String(), apptesting.Balance(c, c.Funded).String(), "the deposit came back at seal")
	checkDeposits(t, c)

	// The failed registrations are pruned after device_retention.
	c.NextBlock(t, params.DeviceRetention+time.Second)
	c.NextBlock(t, time.Second)
	for _, id := range ids {
		has, err := c.PocpsKeeper.Devices.Has(c.Ctx(), id)
		require.NoError(t, err)
		require.False(t, has, "device %d pruned", id)
	}
}

// A verifier's misses halve every miss_half_life epochs: an old outage
// stops counting, and the verifier is assigned again.
func TestMissesDecay(t *testing.T) {
	c := apptesting.Setup(t)
	c.NextBlock(t, time.Second)
	apptesting.WithVerifier(t, c)
	params, err := c.PocpsKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	val := apptesting.GenesisValidator(t, c)
	v, err := c.PocpsKeeper.Verifiers.Get(c.Ctx(), val)
	require.NoError(t, err)
	require.NoError(t, c.PocpsKeeper.Misses.Set(c.Ctx(), val, pocpstypes.VerifierMisses{Validator: v.Validator, Missed: params.MaxMissed, Epoch: 0}))
	h := c.LastBlockHeight()
	fp := apptesting.Fingerprint("gpu-0")
	_, commit := apptesting.SealFor(t, c, c.Funded, fp, h)
	_, err = apptesting.Deliver(c, c.Ctx(), apptesting.RegisterMsg(c.Funded, fp, h, commit))
	require.ErrorIs(t, err, pocpstypes.ErrNoVerifier, "at max_missed it is not assigned")

	require.NoError(t, c.PocpsKeeper.CurrentEpoch.Set(c.Ctx(), int64(params.MissHalfLife)-1))
	_, err = apptesting.Deliver(c, c.Ctx(), apptesting.RegisterMsg(c.Funded, fp, h, commit))
	require.ErrorIs(t, err, pocpstypes.ErrNoVerifier, "not yet halved")
	require.NoError(t, c.PocpsKeeper.CurrentEpoch.Set(c.Ctx(), int64(params.MissHalfLife)))
	_, err = apptesting.Deliver(c, c.Ctx(), apptesting.RegisterMsg(c.Funded, fp, h, commit))
	require.NoError(t, err, "halved: assigned again")
}

// A setup nobody reports is re-issued to another verifier at each missed
// deadline, at most max_setup_attempts times; then it times out: the
// device fails and its deposit is burned. No registration is left UNSEALED
// with no challenge.
func TestSetupChainIsBounded(t *testing.T) {
	c := apptesting.SetupWithValidators(t, 5, apptesting.ShortEpochs(2))
	c.NextBlock(t, time.Second)
	apptesting.WithVerifiers(t, c)
	params, err := c.PocpsKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	_, first := apptesting.RegisterSealed(t, c, "gpu-0")
	id := first.DeviceId
	asked := map[string]bool{}
	for attempt := uint32(0); attempt < params.MaxSetupAttempts; attempt++ {
		ch := pendingOf(t, c, id)
		require.Equal(t, attempt, ch.Attempt)
		require.False(t, asked[ch.Verifier], "a verifier that missed is not asked again")
		asked[ch.Verifier] = true
		c.NextBlock(t, params.ChallengeDeadline+time.Second)
	}
	d, err := c.PocpsKeeper.Devices.Get(c.Ctx(), id)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.DEVICE_STATUS_FAILED, d.Status, "the setup timed out")
	require.True(t, d.Deposit.IsZero())
	checkDeposits(t, c)
	pending, err := c.PocpsKeeper.DeadlineQueue.Iterate(c.Ctx(), nil)
	require.NoError(t, err)
	keys, err := pending.Keys()
	require.NoError(t, err)
	require.Empty(t, keys, "nothing left pending")
}

// With no verifier left to ask, a setup ends at once and the deposit comes
// back: nobody was at fault.
func TestSetupWithNoVerifierLeftRefunds(t *testing.T) {
	c := apptesting.SetupWithValidators(t, 2, apptesting.ShortEpochs(2))
	c.NextBlock(t, time.Second)
	apptesting.WithVerifiers(t, c)
	params, err := c.PocpsKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	before := apptesting.Balance(c, c.Funded)
	_, first := apptesting.RegisterSealed(t, c, "gpu-0")
	c.NextBlock(t, params.ChallengeDeadline+time.Second) // first verifier misses
	c.NextBlock(t, params.ChallengeDeadline+time.Second) // the second too: nobody left
	d, err := c.PocpsKeeper.Devices.Get(c.Ctx(), first.DeviceId)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.DEVICE_STATUS_FAILED, d.Status)
	require.Equal(t, before.String(), apptesting.Balance(c, c.Funded).String())
}

// A missed residency challenge is re-issued to a verifier its chain has
// not asked, and the miss is charged to the verifier that missed.
func TestMissedResidencyIsReissued(t *testing.T) {
	c, _, _, _ := sealedAmongVerifiers(t, 3, 2)
	params, err := c.PocpsKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	d, err := c.PocpsKeeper.Devices.Get(c.Ctx(), 1)
	require.NoError(t, err)
	first := apptesting.NextResidencyChallenge(t, c, d.Id)
	c.NextBlock(t, params.ChallengeDeadline+time.Second)
	got, err := c.PocpsKeeper.Challenges.Get(c.Ctx(), first.Id)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.CHALLENGE_STATUS_MISSED, got.Status)
	next := followUp(t, c, d.Id, first.Attempt+1)
	require.NotEqual(t, first.Verifier, next.Verifier)
	require.Equal(t, first.Attempt+1, next.Attempt)
	valBz, err := c.StakingKeeper.ValidatorAddressCodec().StringToBytes(first.Verifier)
	require.NoError(t, err)
	m, err := c.PocpsKeeper.Misses.Get(c.Ctx(), valBz)
	require.NoError(t, err)
	require.Equal(t, uint32(1), m.Missed)
}

// A lost confirmation does not save an offline device: its failure stays
// on the device, the confirmation is re-issued, and a second verifier's
// report confirms it.
func TestLostConfirmationCarriesOver(t *testing.T) {
	c, hots, sealing, _ := sealedAmongVerifiers(t, 3, 2)
	params, err := c.PocpsKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	first := apptesting.NextResidencyChallenge(t, c, 1)
	msg := apptesting.Answer(t, c, sealing, hots[first.Verifier], first)
	msg.Passed, msg.FailureReason = false, pocpstypes.FAILURE_REASON_NO_ANSWER
	_, err = apptesting.Deliver(c, c.Ctx(), msg)
	require.NoError(t, err)
	confirm := followUp(t, c, 1, 1)
	require.NotEqual(t, first.Verifier, confirm.Verifier)
	c.NextBlock(t, params.ChallengeDeadline+time.Second) // the confirmation is lost
	d, err := c.PocpsKeeper.Devices.Get(c.Ctx(), 1)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.DEVICE_STATUS_SEALED, d.Status)
	require.Equal(t, uint32(1), d.Failures, "the failure stays on the device")
	again := followUp(t, c, 1, 2)
	require.NotContains(t, []string{first.Verifier, confirm.Verifier}, again.Verifier)
	msg = apptesting.Answer(t, c, sealing, hots[again.Verifier], again)
	msg.Passed, msg.FailureReason = false, pocpstypes.FAILURE_REASON_LATE
	res, err := apptesting.Deliver(c, c.Ctx(), msg)
	require.NoError(t, err)
	var resp pocpstypes.MsgSubmitChallengeResultResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &resp))
	require.True(t, resp.DeviceFailed, "two different verifiers reported it")
}

// Fingerprint squatting: a registration copied from the mempool by another
// account does not block the victim (fingerprints are unique per owner),
// and the squatter's copy cannot pass setup, so its deposit burns.
func TestFingerprintSquattingDoesNotBlockOrPay(t *testing.T) {
	c := apptesting.Setup(t)
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	squatter := apptesting.Account(t, c, "squatter", 100_000_000)
	h := c.LastBlockHeight()
	fp := apptesting.Fingerprint("victim-gpu")
	sealing, commit := apptesting.SealFor(t, c, c.Funded, fp, h)
	victimMsg := apptesting.RegisterMsg(c.Funded, fp, h, commit)
	copied := *victimMsg
	copied.Owner = squatter.String()
	res, err := apptesting.Deliver(c, c.Ctx(), &copied)
	require.NoError(t, err, "the squatter gets in first")
	var sq pocpstypes.MsgRegisterDeviceResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &sq))
	_, err = apptesting.Deliver(c, c.Ctx(), victimMsg)
	require.NoError(t, err, "the victim still registers its fingerprint")
	_, err = apptesting.Deliver(c, c.Ctx(), victimMsg)
	require.ErrorIs(t, err, pocpstypes.ErrFingerprintTaken, "but not twice")

	// The victim's miner answers the squatter's setup with a proof for its
	// own key: it fails, and the squatter's deposit is burned.
	c.NextBlock(t, time.Second)
	ch := pendingOf(t, c, sq.DeviceId)
	_, err = apptesting.Deliver(c, c.Ctx(), apptesting.SetupReport(t, c, sealing, hot, ch))
	require.NoError(t, err)
	d, err := c.PocpsKeeper.Devices.Get(c.Ctx(), sq.DeviceId)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.DEVICE_STATUS_FAILED, d.Status)
	require.Equal(t, math.NewInt(100_000_000).Sub(d.Deposit).Sub(apptesting.Balance(c, squatter)).String(),
		paramsOf(t, c).RegistrationDeposit.String(), "the squatter lost its deposit")
	checkDeposits(t, c)
}

// Deregistering an unsealed device burns its deposit: registering and
// leaving before the deadline is not a free way to make verifiers work.
func TestDeregisterUnsealedBurnsDeposit(t *testing.T) {
	c := apptesting.Setup(t)
	c.NextBlock(t, time.Second)
	apptesting.WithVerifier(t, c)
	before := apptesting.Balance(c, c.Funded)
	_, ch := apptesting.RegisterSealed(t, c, "gpu-0")
	_, err := apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgDeregisterDevice{Owner: c.Funded.String(), DeviceId: ch.DeviceId})
	require.NoError(t, err)
	params := paramsOf(t, c)
	require.Equal(t, before.Sub(params.RegistrationDeposit).String(), apptesting.Balance(c, c.Funded).String())
	checkDeposits(t, c)
}

// A lessee's "no access" report challenges the leased device at once;
// only the lessee of an active lease may report, not twice while one is
// pending and not right after a pass.
func TestLeaseReport(t *testing.T) {
	c := apptesting.Setup(t)
	c.NextBlock(t, time.Second)
	apptesting.WithVerifier(t, c)
	owner := apptesting.Account(t, c, "owner", 1_000_000_000)
	client := apptesting.Account(t, c, "client", 1_000_000_000)
	apptesting.PutSealedDevice(t, c, 1, owner)
	apptesting.OpenLP(t, c, "rtx-4090", 1, owner, 72*time.Hour)
	res, err := apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "rtx-4090", Duration: time.Hour, MaxUloopIn: math.NewInt(1 << 50)})
	require.NoError(t, err)
	var lease poolstypes.MsgBuyLeaseResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &lease))
	report := &pocpstypes.MsgReportLease{Client: client.String(), LeaseId: lease.LeaseId}

	_, err = apptesting.Deliver(c, c.Ctx(), report)
	require.ErrorIs(t, err, pocpstypes.ErrReportTooSoon, "sealed a moment ago")
	params := paramsOf(t, c)
	c.NextBlock(t, params.ReportCooldown)

	_, err = apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgReportLease{Client: owner.String(), LeaseId: lease.LeaseId})
	require.ErrorIs(t, err, pocpstypes.ErrNotLessee)
	res, err = apptesting.Deliver(c, c.Ctx(), report)
	require.NoError(t, err)
	var first pocpstypes.MsgReportLeaseResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &first))
	require.Equal(t, uint64(1), first.DeviceId)
	ch, err := c.PocpsKeeper.Challenges.Get(c.Ctx(), first.ChallengeId)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.CHALLENGE_STATUS_PENDING, ch.Status)
	require.Equal(t, pocpstypes.CHALLENGE_KIND_RESIDENCY, ch.Kind)
	res, err = apptesting.Deliver(c, c.Ctx(), report)
	require.NoError(t, err)
	var second pocpstypes.MsgReportLeaseResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &second))
	require.Equal(t, first.ChallengeId, second.ChallengeId, "one pending challenge, not one per report")

	_, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgTerminateLease{Client: client.String(), LeaseId: lease.LeaseId, MinRefund: math.ZeroInt()})
	require.NoError(t, err)
	_, err = apptesting.Deliver(c, c.Ctx(), report)
	require.ErrorIs(t, err, pocpstypes.ErrLeaseNotActive)
}

// An epoch end issues at most MaxIssuesPerBlock scheduled challenges; the
// rest are issued in the next blocks, none lost.
func TestScheduledIssuanceIsBounded(t *testing.T) {
	const devices = pocpskeeper.MaxIssuesPerBlock + 50
	c := apptesting.Setup(t)
	c.NextBlock(t, time.Second)
	apptesting.WithVerifier(t, c)
	owner := apptesting.Account(t, c, "owner", 1)
	for id := uint64(1); id <= devices; id++ {
		apptesting.PutSealedDevice(t, c, id, owner)
		require.NoError(t, c.PocpsKeeper.Schedule.Set(c.Ctx(), collections.Join(int64(1), id)))
	}
	c.NextBlock(t, 0)
	count := func() int {
		n := 0
		require.NoError(t, c.PocpsKeeper.Challenges.Walk(c.Ctx(), nil, func(uint64, pocpstypes.Challenge) (bool, error) { n++; return false, nil }))
		return n
	}
	require.NoError(t, c.PocpsKeeper.EpochEnd(c.Ctx(), 1))
	require.Equal(t, pocpskeeper.MaxIssuesPerBlock, count())
	c.NextBlock(t, time.Second)
	c.NextBlock(t, time.Second)
	require.Equal(t, devices, count())
}

// Closed challenges are pruned challenge_retention after they closed.
func TestClosedChallengesArePruned(t *testing.T) {
	c := apptesting.Setup(t)
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	sealing, ch := apptesting.RegisterSealed(t, c, "gpu-0")
	c.NextBlock(t, time.Second)
	_, err := apptesting.Deliver(c, c.Ctx(), apptesting.SetupReport(t, c, sealing, hot, ch))
	require.NoError(t, err)
	params := paramsOf(t, c)
	c.NextBlock(t, params.ChallengeRetention-time.Minute)
	has, err := c.PocpsKeeper.Challenges.Has(c.Ctx(), ch.Id)
	require.NoError(t, err)
	require.True(t, has, "kept until its retention ends")
	c.NextBlock(t, 2*time.Minute)
	has, err = c.PocpsKeeper.Challenges.Has(c.Ctx(), ch.Id)
	require.NoError(t, err)
	require.False(t, has)
	d, err := c.PocpsKeeper.Devices.Get(c.Ctx(), ch.DeviceId)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.DEVICE_STATUS_SEALED, d.Status, "a sealed device is not pruned")
}

func paramsOf(t *testing.T, c *apptesting.TestChain) pocpstypes.Params {
	t.Helper()
	p, err := c.PocpsKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	return p
}

// Grinding the schedule: the proposer re-rolls the header of an epoch-end
// block to move a device's next challenge epoch. The draw comes from the
// beacon fixed at BeginBlock, so every header gives the same epoch.
func TestAttackHeaderGrindingMovesNoScheduleDraw(t *testing.T) {
	c := apptesting.Setup(t)
	c.NextBlock(t, time.Second)
	apptesting.WithVerifier(t, c)
	owner := apptesting.Account(t, c, "owner", 1)
	for id := uint64(1); id <= 8; id++ {
		apptesting.PutSealedDevice(t, c, id, owner)
		require.NoError(t, c.PocpsKeeper.Schedule.Set(c.Ctx(), collections.Join(int64(1), id)))
	}
	c.NextBlock(t, time.Second)
	var first []collections.Pair[int64, uint64]
	for g := range 16 {
		ctx, _ := c.Ctx().CacheContext()
		ctx = ctx.WithHeaderHash([]byte(fmt.Sprintf("ground header %02d______________", g)))
		require.NoError(t, c.PocpsKeeper.EpochEnd(ctx, 1))
		it, err := c.PocpsKeeper.Schedule.Iterate(ctx, nil)
		require.NoError(t, err)
		keys, err := it.Keys()
		require.NoError(t, err)
		require.Len(t, keys, 8)
		if first == nil {
			first = keys
		}
		require.Equal(t, first, keys, "header %d moved a device's next challenge", g)
	}
}

// A lying verifier reports "no answer" for an honest device whenever it is
// assigned. With an honest second verifier the confirmation goes to it, its
// pass clears the failure, and the liar never wears the device down to
// max_failures, however many rounds it tries.
func TestAttackLyingVerifierCannotWearDownAnHonestDevice(t *testing.T) {
	c, hots, sealing, _ := sealedAmongVerifiers(t, 2, 2)
	liar := ""
	for name := range hots {
		if liar == "" || name < liar {
			liar = name // the lower address lies
		}
	}
	lies := 0
	for round := 0; lies < 4 && round < 40; round++ {
		ch := apptesting.NextResidencyChallenge(t, c, 1)
		msg := apptesting.Answer(t, c, sealing, hots[ch.Verifier], ch)
		if ch.Verifier == liar {
			msg.Passed, msg.FailureReason = false, pocpstypes.FAILURE_REASON_NO_ANSWER
			lies++
		}
		res, err := apptesting.Deliver(c, c.Ctx(), msg)
		require.NoError(t, err)
		var resp pocpstypes.MsgSubmitChallengeResultResponse
		require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &resp))
		require.False(t, resp.DeviceFailed, "round %d", round)
		if resp.ConfirmationId != 0 {
			confirm, err := c.PocpsKeeper.Challenges.Get(c.Ctx(), resp.ConfirmationId)
			require.NoError(t, err)
			require.NotEqual(t, liar, confirm.Verifier, "the liar confirms nobody's failure but its own report's")
			_, err = apptesting.Deliver(c, c.Ctx(), apptesting.Answer(t, c, sealing, hots[confirm.Verifier], confirm))
			require.NoError(t, err)
		}
		d, err := c.PocpsKeeper.Devices.Get(c.Ctx(), 1)
		require.NoError(t, err)
		require.Equal(t, pocpstypes.DEVICE_STATUS_SEALED, d.Status)
		require.Zero(t, d.Failures, "the honest pass cleared the lie")
	}
	require.GreaterOrEqual(t, lies, 3, "the liar got enough rounds to reach max_failures alone")
}
