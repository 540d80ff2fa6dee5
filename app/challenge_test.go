package app_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"

	"github.com/loopin-project/loopin/app"
	"github.com/loopin-project/loopin/proof"
	chaintypes "github.com/loopin-project/loopin/types"
	pocpskeeper "github.com/loopin-project/loopin/x/pocps/keeper"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
)

// shortEpochs sets a 10 s `loopin` epoch, a challenge every epoch and the
// given confirmations.
func shortEpochs(confirmations uint32) func(app.GenesisState) {
	return func(gs app.GenesisState) {
		cdc := app.MakeEncodingConfig().Codec
		epochs := epochstypes.GenesisState{Epochs: []epochstypes.EpochInfo{epochstypes.NewGenesisEpochInfo(chaintypes.EpochIdentifier, 10*time.Second)}}
		gs[epochstypes.ModuleName] = cdc.MustMarshalJSON(&epochs)
		var pg pocpstypes.GenesisState
		cdc.MustUnmarshalJSON(gs[pocpstypes.ModuleName], &pg)
		pg.Params.ChallengeInterval = 1
		pg.Params.Confirmations = confirmations
		gs[pocpstypes.ModuleName] = cdc.MustMarshalJSON(&pg)
	}
}

// sealedDevice registers and seals a device, returning its sealing.
func sealedDevice(t testing.TB, c *app.TestChain, hot sdk.AccAddress) (*proof.Sealing, uint64) {
	t.Helper()
	return sealedNamed(t, c, hot, "gpu-0")
}

// sealedNamed registers and seals the device of fingerprint name.
func sealedNamed(t testing.TB, c *app.TestChain, hot sdk.AccAddress, name string) (*proof.Sealing, uint64) {
	t.Helper()
	sealing, ch := registerSealed(t, c, name)
	c.NextBlock(t, time.Second)
	c.NextBlock(t, time.Second)
	_, err := deliver(c, c.Ctx(), &pocpstypes.MsgSubmitSetupResult{HotKey: hot.String(), ChallengeId: ch.Id, Proof: setupProofBytes(t, sealing, ch.SeedHeight)})
	require.NoError(t, err)
	sealing.Discard()
	return sealing, ch.DeviceId
}

// nextResidencyChallenge advances blocks until the device has a pending
// residency challenge and returns it.
func nextResidencyChallenge(t testing.TB, c *app.TestChain, deviceID uint64) pocpstypes.Challenge {
	t.Helper()
	q := pocpskeeper.NewQuerier(c.PocpsKeeper)
	for range 40 {
		c.NextBlock(t, time.Second)
		cs, err := q.ChallengesByDevice(c.Ctx(), &pocpstypes.QueryChallengesByDeviceRequest{DeviceId: deviceID})
		require.NoError(t, err)
		for _, ch := range cs.Challenges {
			if ch.Kind == pocpstypes.CHALLENGE_KIND_RESIDENCY && ch.Status == pocpstypes.CHALLENGE_STATUS_PENDING {
				return ch
			}
		}
	}
	t.Fatal("no residency challenge was scheduled")
	return pocpstypes.Challenge{}
}

// answer runs a challenge against the sealing as a verifier would and
// builds the report with the first two audited walks and rows.
func answer(t testing.TB, s *proof.Sealing, hot sdk.AccAddress, ch pocpstypes.Challenge) *pocpstypes.MsgSubmitChallengeResult {
	t.Helper()
	p := s.Params
	nonce, seed, secret := proof.Hash{1, byte(ch.Id)}, proof.Hash{2, byte(ch.Id)}, proof.Hash{3, byte(ch.Id)}
	run, err := s.Residency(nonce)
	require.NoError(t, err)
	res := s.OpenResidency(run, proof.ResidencyAudit(p, nonce, run.Root(), secret)[:2])
	g, err := s.Gemm(seed)
	require.NoError(t, err)
	gemm := s.OpenGemm(g, proof.GemmAudit(p, seed, g.Roots, secret)[:2])
	resBz, err := res.MarshalBinary()
	require.NoError(t, err)
	gemmBz, err := gemm.MarshalBinary()
	require.NoError(t, err)
	root := run.Root()
	msg := &pocpstypes.MsgSubmitChallengeResult{
		HotKey: hot.String(), ChallengeId: ch.Id, Passed: true, ResidencyMs: 12, GemmMs: 40,
		W: math.NewInt(1_000_000), TranscriptHash: make([]byte, 32),
		Nonce: nonce[:], GemmSeed: seed[:], VerifierSecret: secret[:], ResidencyRoot: root[:],
		ResidencySample: resBz, GemmSample: gemmBz,
	}
	for _, r := range g.Roots {
		msg.GemmRoots = append(msg.GemmRoots, append([]byte(nil), r[:]...))
	}
	return msg
}

func TestScheduledChallengePassUpdatesW(t *testing.T) {
	c := app.Setup(t, shortEpochs(2))
	c.NextBlock(t, time.Second)
	hot := withVerifier(t, c)
	sealing, id := sealedDevice(t, c, hot)

	ch := nextResidencyChallenge(t, c, id)
	msg := answer(t, sealing, hot, ch)
	_, err := deliver(c, c.Ctx(), msg)
	require.NoError(t, err)
	d, err := c.PocpsKeeper.Devices.Get(c.Ctx(), id)
	require.NoError(t, err)
	require.Equal(t, math.NewInt(1_000_000), d.W)
	require.False(t, d.LastVerified.IsZero())

	// The next one moves W by a quarter of the difference.
	ch = nextResidencyChallenge(t, c, id)
	msg = answer(t, sealing, hot, ch)
	msg.W = math.NewInt(2_000_000)
	_, err = deliver(c, c.Ctx(), msg)
	require.NoError(t, err)
	d, err = c.PocpsKeeper.Devices.Get(c.Ctx(), id)
	require.NoError(t, err)
	require.Equal(t, math.NewInt(1_250_000), d.W)
}

// A "pass" whose samples do not verify, and a "bad proof" failure whose
// samples do, are both refused: the chain re-checks the evidence.
func TestChallengeResultsNeedEvidence(t *testing.T) {
	c := app.Setup(t, shortEpochs(2))
	c.NextBlock(t, time.Second)
	hot := withVerifier(t, c)
	sealing, id := sealedDevice(t, c, hot)
	ch := nextResidencyChallenge(t, c, id)

	msg := answer(t, sealing, hot, ch)
	msg.ResidencyRoot[0] ^= 1
	_, err := deliver(c, c.Ctx(), msg)
	require.ErrorIs(t, err, pocpstypes.ErrBadSample)

	msg = answer(t, sealing, hot, ch)
	msg.Passed, msg.FailureReason = false, pocpstypes.FAILURE_REASON_BAD_PROOF
	_, err = deliver(c, c.Ctx(), msg)
	require.ErrorIs(t, err, pocpstypes.ErrNoEvidence)

	msg = answer(t, sealing, hot, ch)
	msg.Passed, msg.FailureReason = false, pocpstypes.FailureReason(99)
	_, err = deliver(c, c.Ctx(), msg)
	require.ErrorIs(t, err, pocpstypes.ErrInvalidResult)

	msg = answer(t, sealing, hot, ch)
	msg.Nonce = msg.Nonce[:5]
	_, err = deliver(c, c.Ctx(), msg)
	require.ErrorIs(t, err, pocpstypes.ErrInvalidResult)

	msg = answer(t, sealing, hot, ch)
	msg.TranscriptHash = []byte("not a sha-256")
	_, err = deliver(c, c.Ctx(), msg)
	require.ErrorIs(t, err, pocpstypes.ErrInvalidResult)

	got, err := c.PocpsKeeper.Challenges.Get(c.Ctx(), ch.Id)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.CHALLENGE_STATUS_PENDING, got.Status, "refused reports change nothing")
}

// With confirmations = 1 a trusted failure ("late") fails the device at
// once, emits the event, runs the hooks and stops its schedule.
func TestConfirmedFailureFailsTheDevice(t *testing.T) {
	c := app.Setup(t, shortEpochs(1))
	c.NextBlock(t, time.Second)
	hot := withVerifier(t, c)
	sealing, id := sealedDevice(t, c, hot)
	ch := nextResidencyChallenge(t, c, id)

	msg := answer(t, sealing, hot, ch)
	msg.Passed, msg.FailureReason = false, pocpstypes.FAILURE_REASON_LATE
	res, err := deliver(c, c.Ctx(), msg)
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

// With confirmations = 2 and a single verifier, the failure waits for a
// second, independent verifier: nobody else can confirm it yet.
func TestFailureNeedsASecondVerifier(t *testing.T) {
	c := app.Setup(t, shortEpochs(2))
	c.NextBlock(t, time.Second)
	hot := withVerifier(t, c)
	sealing, id := sealedDevice(t, c, hot)
	ch := nextResidencyChallenge(t, c, id)
	msg := answer(t, sealing, hot, ch)
	msg.Passed, msg.FailureReason = false, pocpstypes.FAILURE_REASON_NO_ANSWER
	res, err := deliver(c, c.Ctx(), msg)
	require.NoError(t, err)
	var resp pocpstypes.MsgSubmitChallengeResultResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &resp))
	require.False(t, resp.DeviceFailed)
	require.Zero(t, resp.ConfirmationId, "the only verifier cannot confirm its own report")
	d, err := c.PocpsKeeper.Devices.Get(c.Ctx(), id)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.DEVICE_STATUS_SEALED, d.Status)
}

// Over many epochs every sealed device is challenged once per
// challenge_interval epochs: no device is skipped, none is favoured.
func TestScheduleFairness(t *testing.T) {
	const devices, interval, epochs = 24, 3, 12
	c := app.Setup(t, func(gs app.GenesisState) {
		shortEpochs(2)(gs)
		cdc := app.MakeEncodingConfig().Codec
		var pg pocpstypes.GenesisState
		cdc.MustUnmarshalJSON(gs[pocpstypes.ModuleName], &pg)
		pg.Params.ChallengeInterval = interval
		gs[pocpstypes.ModuleName] = cdc.MustMarshalJSON(&pg)
	})
	c.NextBlock(t, time.Second)
	hot := withVerifier(t, c)
	h := c.LastBlockHeight()
	type reg struct {
		s  *proof.Sealing
		ch pocpstypes.Challenge
	}
	var regs []reg
	q := pocpskeeper.NewQuerier(c.PocpsKeeper)
	for i := range devices {
		fp := fingerprint(string(rune('A' + i)))
		s, commit := sealFor(t, c, c.Funded, fp, h)
		res, err := deliver(c, c.Ctx(), registerMsg(c, c.Funded, fp, h, commit))
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
		_, err := deliver(c, c.Ctx(), &pocpstypes.MsgSubmitSetupResult{HotKey: hot.String(), ChallengeId: r.ch.Id, Proof: setupProofBytes(t, r.s, r.ch.SeedHeight)})
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
	c := app.Setup(t)
	c.NextBlock(t, time.Second)
	withVerifier(t, c)
	params, err := c.PocpsKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	val := genesisValidator(t, c)
	v, err := c.PocpsKeeper.Verifiers.Get(c.Ctx(), val)
	require.NoError(t, err)
	v.Missed = params.MaxMissed - 1
	require.NoError(t, c.PocpsKeeper.Verifiers.Set(c.Ctx(), val, v))
	_, _ = registerSealed(t, c, "gpu-0") // still eligible one miss below the limit

	v.Missed = params.MaxMissed
	require.NoError(t, c.PocpsKeeper.Verifiers.Set(c.Ctx(), val, v))
	h := c.LastBlockHeight()
	fp := fingerprint("gpu-1")
	_, commit := sealFor(t, c, c.Funded, fp, h)
	_, err = deliver(c, c.Ctx(), registerMsg(c, c.Funded, fp, h, commit))
	require.ErrorIs(t, err, pocpstypes.ErrNoVerifier)
}

// With confirmations = 2 a failure reported by one verifier is confirmed by
// a challenge to the other one; its failure fails the device. A late report
// is refused.
func TestFailureConfirmedByAnIndependentVerifier(t *testing.T) {
	c := app.SetupWithValidators(t, 2, shortEpochs(2))
	c.NextBlock(t, time.Second)
	hots := map[string]sdk.AccAddress{}
	for i, val := range genesisValidators(t, c) {
		hot := sdk.AccAddress([]byte(fmt.Sprintf("hot_key_%012d", i)))
		_, err := deliver(c, c.Ctx(), &pocpstypes.MsgRegisterVerifier{Operator: sdk.AccAddress(val).String(), HotKey: hot.String(), Endpoint: "v:9500"})
		require.NoError(t, err)
		name, err := c.StakingKeeper.ValidatorAddressCodec().BytesToString(val)
		require.NoError(t, err)
		hots[name] = hot
	}
	sealing, ch := registerSealed(t, c, "gpu-0")
	c.NextBlock(t, time.Second)
	c.NextBlock(t, time.Second)
	_, err := deliver(c, c.Ctx(), &pocpstypes.MsgSubmitSetupResult{HotKey: hots[ch.Verifier].String(), ChallengeId: ch.Id, Proof: setupProofBytes(t, sealing, ch.SeedHeight)})
	require.NoError(t, err)
	sealing.Discard()

	first := nextResidencyChallenge(t, c, ch.DeviceId)
	msg := answer(t, sealing, hots[first.Verifier], first)
	msg.Passed, msg.FailureReason = false, pocpstypes.FAILURE_REASON_LATE
	res, err := deliver(c, c.Ctx(), msg)
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
	late := answer(t, sealing, hots[second.Verifier], second)
	late.Passed, late.FailureReason = false, pocpstypes.FAILURE_REASON_NO_ANSWER
	lateCtx := c.Ctx().WithBlockTime(second.Deadline.Add(time.Second))
	_, err = deliver(c, lateCtx, late)
	require.ErrorIs(t, err, pocpstypes.ErrDeadlinePassed)

	res, err = deliver(c, c.Ctx(), late)
	require.NoError(t, err)
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &resp))
	require.True(t, resp.DeviceFailed, "the second failure confirms it")
	d, err = c.PocpsKeeper.Devices.Get(c.Ctx(), ch.DeviceId)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.DEVICE_STATUS_FAILED, d.Status)
}
