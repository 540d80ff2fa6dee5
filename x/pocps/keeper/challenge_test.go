package keeper_test

import (
	"testing"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	"github.com/loopin-project/loopin/app"
	"github.com/loopin-project/loopin/app/apptesting"
	"github.com/loopin-project/loopin/proof"
	chaintypes "github.com/loopin-project/loopin/types"
	pocpskeeper "github.com/loopin-project/loopin/x/pocps/keeper"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
)

func TestScheduledChallengePassUpdatesW(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(2))
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	sealing, id := apptesting.SealedDevice(t, c, hot)

	ch := apptesting.NextResidencyChallenge(t, c, id)
	msg := apptesting.Answer(t, c, sealing, hot, ch)
	_, err := apptesting.Deliver(c, c.Ctx(), msg)
	require.NoError(t, err)
	d, err := c.PocpsKeeper.Devices.Get(c.Ctx(), id)
	require.NoError(t, err)
	require.Equal(t, math.NewInt(1_000_000), d.W)
	require.False(t, d.LastVerified.IsZero())

	// The next one moves W by a quarter of the difference.
	ch = apptesting.NextResidencyChallenge(t, c, id)
	msg = apptesting.Answer(t, c, sealing, hot, ch)
	msg.W = math.NewInt(2_000_000)
	_, err = apptesting.Deliver(c, c.Ctx(), msg)
	require.NoError(t, err)
	d, err = c.PocpsKeeper.Devices.Get(c.Ctx(), id)
	require.NoError(t, err)
	require.Equal(t, math.NewInt(1_250_000), d.W)
}

// A "pass" whose answers are not the device's, and a "bad proof" failure
// whose signed openings pass, are both refused: the chain re-checks the
// evidence.
func TestChallengeResultsNeedEvidence(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(2))
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	sealing, id := apptesting.SealedDevice(t, c, hot)
	ch := apptesting.NextResidencyChallenge(t, c, id)

	msg := apptesting.Answer(t, c, sealing, hot, ch)
	msg.ResidencyRoot[0] ^= 1
	_, err := apptesting.Deliver(c, c.Ctx(), msg)
	require.ErrorIs(t, err, pocpstypes.ErrBadSignature, "a root the device did not sign")

	msg = apptesting.Answer(t, c, sealing, hot, ch)
	msg.Passed, msg.FailureReason = false, pocpstypes.FAILURE_REASON_BAD_PROOF
	_, err = apptesting.Deliver(c, c.Ctx(), msg)
	require.ErrorIs(t, err, pocpstypes.ErrNoEvidence)

	msg = apptesting.Answer(t, c, sealing, hot, ch)
	msg.Passed, msg.FailureReason = false, pocpstypes.FailureReason(99)
	_, err = apptesting.Deliver(c, c.Ctx(), msg)
	require.ErrorIs(t, err, pocpstypes.ErrInvalidResult)

	msg = apptesting.Answer(t, c, sealing, hot, ch)
	msg.ResidencyOpenings = nil
	_, err = apptesting.Deliver(c, c.Ctx(), msg)
	require.ErrorIs(t, err, pocpstypes.ErrInvalidResult, "a pass without walks")

	msg = apptesting.Answer(t, c, sealing, hot, ch)
	msg.TranscriptHash = []byte("not a sha-256")
	_, err = apptesting.Deliver(c, c.Ctx(), msg)
	require.ErrorIs(t, err, pocpstypes.ErrInvalidResult)

	got, err := c.PocpsKeeper.Challenges.Get(c.Ctx(), ch.Id)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.CHALLENGE_STATUS_PENDING, got.Status, "refused reports change nothing")
}

// With confirmations = 1 a trusted failure ("late") fails the device at
// once, emits the event, runs the hooks and stops its schedule.
func TestConfirmedFailureFailsTheDevice(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(1))
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	sealing, id := apptesting.SealedDevice(t, c, hot)
	ch := apptesting.NextResidencyChallenge(t, c, id)

	msg := apptesting.Answer(t, c, sealing, hot, ch)
	msg.Passed, msg.FailureReason = false, pocpstypes.FAILURE_REASON_LATE
	res, err := apptesting.Deliver(c, c.Ctx(), msg)
	require.NoError(t, err)
	var resp pocpstypes.MsgSubmitChallengeResultResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &resp))
	require.True(t, resp.DeviceFailed)
	var types []string
	for _, ev := range res.GetEvents() {
		types = append(types, ev.Type)
	}
	require.Contains(t, types, "loopin.pocps.v1.EventDeviceFailed")
	d, err := c.PocpsKeeper.Devices.Get(c.Ctx(), id)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.DEVICE_STATUS_FAILED, d.Status)

	// No more challenges for a failed device.
	for range 25 {
		c.NextBlock(t, time.Second)
	}
	q := pocpskeeper.NewQuerier(c.PocpsKeeper)
	cs, err := q.ChallengesByDevice(c.Ctx(), &pocpstypes.QueryChallengesByDeviceRequest{DeviceId: id})
	require.NoError(t, err)
	for _, x := range cs.Challenges {
		require.NotEqual(t, pocpstypes.CHALLENGE_STATUS_PENDING, x.Status)
	}
}

// With confirmations = 2 and a single verifier nobody else can confirm a
// failure: the confirmation goes back to the same verifier, and the device
// fails at max_failures failed reports in a row (docs/pocps.md §15). A pass
// in between clears the count.
func TestSingleVerifierEndsAnOfflineDevice(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(2))
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	sealing, id := apptesting.SealedDevice(t, c, hot)
	params, err := c.PocpsKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	require.Equal(t, uint32(2), params.Confirmations)
	report := func(ch pocpstypes.Challenge, pass bool) pocpstypes.MsgSubmitChallengeResultResponse {
		msg := apptesting.Answer(t, c, sealing, hot, ch)
		if !pass {
			msg.Passed, msg.FailureReason = false, pocpstypes.FAILURE_REASON_NO_ANSWER
		}
		res, err := apptesting.Deliver(c, c.Ctx(), msg)
		require.NoError(t, err)
		var resp pocpstypes.MsgSubmitChallengeResultResponse
		require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &resp))
		return resp
	}
	ch := apptesting.NextResidencyChallenge(t, c, id)
	resp := report(ch, false)
	require.NotZero(t, resp.ConfirmationId, "the only verifier is asked again")
	// A pass clears the failure.
	confirm, err := c.PocpsKeeper.Challenges.Get(c.Ctx(), resp.ConfirmationId)
	require.NoError(t, err)
	require.Equal(t, uint32(1), confirm.Failures)
	report(confirm, true)
	d, err := c.PocpsKeeper.Devices.Get(c.Ctx(), id)
	require.NoError(t, err)
	require.Zero(t, d.Failures)
	require.Empty(t, d.FailureReporters)

	// Offline: max_failures reports in a row end it.
	ch = apptesting.NextResidencyChallenge(t, c, id)
	for i := uint32(1); i <= params.MaxFailures; i++ {
		resp = report(ch, false)
		if i < params.MaxFailures {
			require.False(t, resp.DeviceFailed, "failure %d of %d", i, params.MaxFailures)
			ch, err = c.PocpsKeeper.Challenges.Get(c.Ctx(), resp.ConfirmationId)
			require.NoError(t, err)
		}
	}
	require.True(t, resp.DeviceFailed)
	d, err = c.PocpsKeeper.Devices.Get(c.Ctx(), id)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.DEVICE_STATUS_FAILED, d.Status)
}

// Over many epochs every sealed device is challenged once per
// challenge_interval epochs: no device is skipped, none is favoured.
func TestScheduleFairness(t *testing.T) {
	const devices, interval, epochs = 24, 3, 12
	c := apptesting.Setup(t, func(gs app.GenesisState) {
		apptesting.ShortEpochs(2)(gs)
		cdc := app.MakeEncodingConfig().Codec
		var pg pocpstypes.GenesisState
		cdc.MustUnmarshalJSON(gs[pocpstypes.ModuleName], &pg)
		pg.Params.ChallengeInterval = interval
		gs[pocpstypes.ModuleName] = cdc.MustMarshalJSON(&pg)
	})
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	h := c.LastBlockHeight()
	type reg struct {
		s  *proof.Sealing
		ch pocpstypes.Challenge
	}
	var regs []reg
	q := pocpskeeper.NewQuerier(c.PocpsKeeper)
	for i := range devices {
		fp := apptesting.Fingerprint(string(rune('A' + i)))
		s, commit := apptesting.SealFor(t, c, c.Funded, fp, h)
		res, err := apptesting.Deliver(c, c.Ctx(), apptesting.RegisterMsg(c.Funded, fp, h, commit))
		require.NoError(t, err)
		var resp pocpstypes.MsgRegisterDeviceResponse
		require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &resp))
		cs, err := q.ChallengesByDevice(c.Ctx(), &pocpstypes.QueryChallengesByDeviceRequest{DeviceId: resp.DeviceId})
		require.NoError(t, err)
		regs = append(regs, reg{s, cs.Challenges[0]})
	}
	c.NextBlock(t, time.Second)
	c.NextBlock(t, time.Second)
	for _, r := range regs {
		_, err := apptesting.Deliver(c, c.Ctx(), apptesting.SetupReport(t, c, r.s, hot, r.ch))
		require.NoError(t, err)
	}
	start, err := c.EpochsKeeper.GetEpochInfo(c.Ctx(), chaintypes.EpochIdentifier)
	require.NoError(t, err)
	for {
		c.NextBlock(t, time.Second)
		info, err := c.EpochsKeeper.GetEpochInfo(c.Ctx(), chaintypes.EpochIdentifier)
		require.NoError(t, err)
		if info.CurrentEpoch-start.CurrentEpoch >= epochs {
			break
		}
	}
	for _, r := range regs {
		cs, err := q.ChallengesByDevice(c.Ctx(), &pocpstypes.QueryChallengesByDeviceRequest{DeviceId: r.ch.DeviceId})
		require.NoError(t, err)
		residency := 0
		for _, x := range cs.Challenges {
			if x.Kind == pocpstypes.CHALLENGE_KIND_RESIDENCY {
				residency++
			}
		}
		require.GreaterOrEqual(t, residency, epochs/interval-1, "device %d", r.ch.DeviceId)
		require.LessOrEqual(t, residency, epochs/interval+1, "device %d", r.ch.DeviceId)
	}
}

// A verifier at max_missed is no longer assigned.
func TestMaxMissedStopsAssignment(t *testing.T) {
	c := apptesting.Setup(t)
	c.NextBlock(t, time.Second)
	apptesting.WithVerifier(t, c)
	params, err := c.PocpsKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	val := apptesting.GenesisValidator(t, c)
	v, err := c.PocpsKeeper.Verifiers.Get(c.Ctx(), val)
	require.NoError(t, err)
	m := pocpstypes.VerifierMisses{Validator: v.Validator, Missed: params.MaxMissed - 1}
	require.NoError(t, c.PocpsKeeper.Misses.Set(c.Ctx(), val, m))
	_, _ = apptesting.RegisterSealed(t, c, "gpu-0") // still eligible one miss below the limit

	m.Missed = params.MaxMissed
	require.NoError(t, c.PocpsKeeper.Misses.Set(c.Ctx(), val, m))
	h := c.LastBlockHeight()
	fp := apptesting.Fingerprint("gpu-1")
	_, commit := apptesting.SealFor(t, c, c.Funded, fp, h)
	_, err = apptesting.Deliver(c, c.Ctx(), apptesting.RegisterMsg(c.Funded, fp, h, commit))
	require.ErrorIs(t, err, pocpstypes.ErrNoVerifier)
}

// With confirmations = 2 a failure reported by one verifier is confirmed by
// a challenge to the other one; its failure fails the device. A late report
// is refused.
func TestFailureConfirmedByAnIndependentVerifier(t *testing.T) {
	c, hots, sealing, ch := sealedAmongVerifiers(t, 2, 2)

	first := apptesting.NextResidencyChallenge(t, c, ch.DeviceId)
	msg := apptesting.Answer(t, c, sealing, hots[first.Verifier], first)
	msg.Passed, msg.FailureReason = false, pocpstypes.FAILURE_REASON_LATE
	res, err := apptesting.Deliver(c, c.Ctx(), msg)
	require.NoError(t, err)
	var resp pocpstypes.MsgSubmitChallengeResultResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &resp))
	require.False(t, resp.DeviceFailed, "one report is not enough")
	require.NotZero(t, resp.ConfirmationId)

	second, err := c.PocpsKeeper.Challenges.Get(c.Ctx(), resp.ConfirmationId)
	require.NoError(t, err)
	require.NotEqual(t, first.Verifier, second.Verifier, "confirmed by the other verifier")
	require.Equal(t, uint32(1), second.Failures)
	d, err := c.PocpsKeeper.Devices.Get(c.Ctx(), ch.DeviceId)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.DEVICE_STATUS_SEALED, d.Status)

	// A report after the deadline is refused.
	late := apptesting.Answer(t, c, sealing, hots[second.Verifier], second)
	late.Passed, late.FailureReason = false, pocpstypes.FAILURE_REASON_NO_ANSWER
	lateCtx := c.Ctx().WithBlockTime(second.Deadline.Add(time.Second))
	_, err = apptesting.Deliver(c, lateCtx, late)
	require.ErrorIs(t, err, pocpstypes.ErrDeadlinePassed)

	res, err = apptesting.Deliver(c, c.Ctx(), late)
	require.NoError(t, err)
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &resp))
	require.True(t, resp.DeviceFailed, "the second failure confirms it")
	d, err = c.PocpsKeeper.Devices.Get(c.Ctx(), ch.DeviceId)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.DEVICE_STATUS_FAILED, d.Status)
}

// sealedAmongVerifiers starts a chain of validators validators, each with
// a verifier (apptesting.WithVerifiers), and the given confirmations, and
// seals the device "gpu-0" through its assigned verifier. It returns the
// chain, the hot keys by validator, the sealing (setup layers discarded)
// and the setup challenge.
func sealedAmongVerifiers(t *testing.T, validators int, confirmations uint32) (*apptesting.TestChain, map[string]sdk.AccAddress, *proof.Sealing, pocpstypes.Challenge) {
	t.Helper()
	c := apptesting.SetupWithValidators(t, validators, apptesting.ShortEpochs(confirmations))
	c.NextBlock(t, time.Second)
	hots := apptesting.WithVerifiers(t, c)
	sealing, ch := apptesting.RegisterSealed(t, c, "gpu-0")
	c.NextBlock(t, time.Second)
	_, err := apptesting.Deliver(c, c.Ctx(), apptesting.SetupReport(t, c, sealing, hots[ch.Verifier], ch))
	require.NoError(t, err)
	sealing.Discard()
	return c, hots, sealing, ch
}
