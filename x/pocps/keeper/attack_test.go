package keeper_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"cosmossdk.io/math"

	"github.com/loopin-project/loopin/app/apptesting"
	"github.com/loopin-project/loopin/proof"
	pocpskeeper "github.com/loopin-project/loopin/x/pocps/keeper"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
)

// The attacks of docs/pocps.md §14's soundness table, each built and
// refused (or made unprofitable).

// Forged failure: a verifier (or two) fails an honest device without
// contacting it. A "bad proof" needs an opening the device signed that
// fails the re-check; without openings, with openings the verifier made
// and signed itself, or with the device's honest openings, it is refused,
// changes nothing and earns nothing.
func TestAttackForgedFailureIsRefused(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(1))
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	sealing, id := apptesting.SealedDevice(t, c, hot)
	ch := apptesting.NextResidencyChallenge(t, c, id)
	a := apptesting.Run(t, c, sealing, hot, ch)
	reports := func() uint64 {
		accounts, counts, err := c.PocpsKeeper.VerifierReports(c.Ctx(), 2)
		require.NoError(t, err)
		n := uint64(0)
		for i := range accounts {
			n += counts[i]
		}
		return n
	}
	before := reports()

	badProof := func(edit func(m *pocpstypes.MsgSubmitChallengeResult)) error {
		m := a.Report(2, 2)
		m.Passed, m.FailureReason, m.W = false, pocpstypes.FAILURE_REASON_BAD_PROOF, math.ZeroInt()
		edit(m)
		_, err := apptesting.Deliver(c, c.Ctx(), m)
		return err
	}
	// The empty sample that used to count as evidence.
	require.ErrorIs(t, badProof(func(m *pocpstypes.MsgSubmitChallengeResult) {
		m.ResidencyOpenings, m.GemmOpenings = nil, nil
	}), pocpstypes.ErrNoEvidence)
	// A wrong opening the verifier made: not the device's signature.
	require.ErrorIs(t, badProof(func(m *pocpstypes.MsgSubmitChallengeResult) {
		o := m.ResidencyOpenings[0]
		o.Opening = append([]byte(nil), o.Opening...)
		o.Opening[len(o.Opening)-1] ^= 1
		m.ResidencyOpenings = []pocpstypes.SignedOpening{o}
	}), pocpstypes.ErrBadSignature)
	// The device's honest openings pass the re-check: no evidence.
	require.ErrorIs(t, badProof(func(*pocpstypes.MsgSubmitChallengeResult) {}), pocpstypes.ErrNoEvidence)
	// A GEMM row named wrong at a column where it is right.
	require.ErrorIs(t, badProof(func(m *pocpstypes.MsgSubmitChallengeResult) {
		m.ResidencyOpenings = nil
		m.GemmOpenings = m.GemmOpenings[:1]
		m.GemmOpenings[0].Column = 5
	}), pocpstypes.ErrNoEvidence)

	d, err := c.PocpsKeeper.Devices.Get(c.Ctx(), id)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.DEVICE_STATUS_SEALED, d.Status)
	got, err := c.PocpsKeeper.Challenges.Get(c.Ctx(), ch.Id)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.CHALLENGE_STATUS_PENDING, got.Status)
	require.Equal(t, before, reports(), "a refused report earns nothing")
}

// Replay: an old passing report resubmitted for a later challenge. Its VRF
// proof is for the old challenge; with a fresh VRF proof, the device's
// signatures are for the old challenge's nonce, secret and id.
func TestAttackReplayedReportIsRefused(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(1))
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	sealing, id := apptesting.SealedDevice(t, c, hot)
	first := apptesting.NextResidencyChallenge(t, c, id)
	old := apptesting.Answer(t, c, sealing, hot, first)
	_, err := apptesting.Deliver(c, c.Ctx(), old)
	require.NoError(t, err)

	second := apptesting.NextResidencyChallenge(t, c, id)
	require.NotEqual(t, first.Nonce, second.Nonce, "every challenge has its own nonce")
	replay := *old
	replay.ChallengeId = second.Id
	_, err = apptesting.Deliver(c, c.Ctx(), &replay)
	require.ErrorIs(t, err, pocpstypes.ErrBadVRF)
	replay.VrfProof, _ = apptesting.VRF(c, hot, second)
	_, err = apptesting.Deliver(c, c.Ctx(), &replay)
	require.ErrorIs(t, err, pocpstypes.ErrBadSignature, "the device signed the old challenge, not this one")
	got, err := c.PocpsKeeper.Challenges.Get(c.Ctx(), second.Id)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.CHALLENGE_STATUS_PENDING, got.Status)

	// A device that no longer exists answers nothing: the replay was the
	// only way to keep it earning.
	_, err = apptesting.Deliver(c, c.Ctx(), apptesting.Answer(t, c, sealing, hot, second))
	require.NoError(t, err, "the fresh answer passes")
}

// The verifier cannot choose the audit secret: only its registered key's
// unique BLS signature of the challenge is accepted.
func TestAttackChosenSecretIsRefused(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(1))
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	sealing, id := apptesting.SealedDevice(t, c, hot)
	ch := apptesting.NextResidencyChallenge(t, c, id)
	msg := apptesting.Answer(t, c, sealing, hot, ch)
	for name, sigma := range map[string][]byte{
		"another message":       apptesting.TestVRFKey(hot).Prove([]byte("grinding 1")),
		"another key":           apptesting.TestVRFKey(c.Funded).Prove(proof.VRFMessage(c.ChainID(), ch.Id, [32]byte(ch.Nonce))),
		"another chain":         apptesting.TestVRFKey(hot).Prove(proof.VRFMessage("other-chain", ch.Id, [32]byte(ch.Nonce))),
		"not a point":           make([]byte, proof.VRFProofSize),
		"a flipped compression": flip(msg.VrfProof, 0),
	} {
		m := *msg
		m.VrfProof = sigma
		_, err := apptesting.Deliver(c, c.Ctx(), &m)
		require.ErrorIs(t, err, pocpstypes.ErrBadVRF, name)
	}
}

func flip(b []byte, i int) []byte {
	out := append([]byte(nil), b...)
	out[i] ^= 0x20
	return out
}

// Overflow: a W near 2²⁵⁶ used to make the device's next pass panic. W is
// bounded by MaxWMultiple × W_bench; the bound itself keeps every later
// moving average well inside math.Int.
func TestAttackHugeWIsRefused(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(1))
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	sealing, id := apptesting.SealedDevice(t, c, hot)
	_, _, wBench, err := c.PoolsKeeper.ClassInfo(c.Ctx(), "rtx-4090")
	require.NoError(t, err)
	limit := wBench.MulRaw(pocpstypes.MaxWMultiple)

	ch := apptesting.NextResidencyChallenge(t, c, id)
	msg := apptesting.Answer(t, c, sealing, hot, ch)
	huge, ok := math.NewIntFromString("115792089237316195423570985008687907853269984665640564039457584007913129639935")
	require.True(t, ok)
	for _, w := range []math.Int{huge, limit.AddRaw(1)} {
		msg.W = w
		_, err = apptesting.Deliver(c, c.Ctx(), msg)
		require.ErrorIs(t, err, pocpstypes.ErrInvalidResult)
	}
	for range 3 { // the bound, again and again
		msg.W = limit
		_, err = apptesting.Deliver(c, c.Ctx(), msg)
		require.NoError(t, err)
		ch = apptesting.NextResidencyChallenge(t, c, id)
		msg = apptesting.Answer(t, c, sealing, hot, ch)
	}
	d, err := c.PocpsKeeper.Devices.Get(c.Ctx(), id)
	require.NoError(t, err)
	require.True(t, d.W.Equal(limit))
	score, err := pocpskeeper.NewQuerier(c.PocpsKeeper).Score(c.Ctx(), &pocpstypes.QueryScoreRequest{DeviceId: id})
	require.NoError(t, err)
	require.NotNil(t, score)
}

// Grinding: the proposer re-rolls the block header until the draw suits
// it. Assignment and schedule draw from the beacon fixed at BeginBlock,
// so two blocks that differ only in their header hash draw alike.
func TestAttackHeaderGrindingMovesNoDraw(t *testing.T) {
	c := apptesting.SetupWithValidators(t, 4, apptesting.ShortEpochs(1))
	c.NextBlock(t, time.Second)
	apptesting.WithVerifiers(t, c)
	c.NextBlock(t, time.Second)
	h := c.LastBlockHeight()
	assigned := map[string]bool{}
	for g := range 16 {
		ctx, _ := c.Ctx().CacheContext()
		ctx = ctx.WithHeaderHash([]byte(fmt.Sprintf("ground header %02d______________", g)))
		fp := apptesting.Fingerprint("gpu-grind")
		_, commit := apptesting.SealFor(t, c, c.Funded, fp, h)
		_, err := apptesting.Deliver(c, ctx, apptesting.RegisterMsg(c.Funded, fp, h, commit))
		require.NoError(t, err)
		cs, err := pocpskeeper.NewQuerier(c.PocpsKeeper).ChallengesByDevice(ctx, &pocpstypes.QueryChallengesByDeviceRequest{DeviceId: 1})
		require.NoError(t, err)
		assigned[cs.Challenges[0].Verifier] = true
	}
	require.Len(t, assigned, 1, "16 header hashes, one verifier: the header does not steer the draw")
}

// Confirmations never go to a verifier that already reported on the same
// failure: with three verifiers and confirmations = 3, the three reports
// come from three different verifiers.
func TestAttackConfirmationsAreIndependent(t *testing.T) {
	c, hots, sealing, ch := sealedAmongVerifiers(t, 3, 3)

	cur := apptesting.NextResidencyChallenge(t, c, ch.DeviceId)
	seen := map[string]bool{}
	for i := range 3 {
		require.False(t, seen[cur.Verifier], "report %d goes to a verifier that already reported", i)
		seen[cur.Verifier] = true
		msg := apptesting.Answer(t, c, sealing, hots[cur.Verifier], cur)
		msg.Passed, msg.FailureReason = false, pocpstypes.FAILURE_REASON_NO_ANSWER
		res, err := apptesting.Deliver(c, c.Ctx(), msg)
		require.NoError(t, err)
		var resp pocpstypes.MsgSubmitChallengeResultResponse
		require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &resp))
		if i < 2 {
			require.False(t, resp.DeviceFailed)
			cur, err = c.PocpsKeeper.Challenges.Get(c.Ctx(), resp.ConfirmationId)
			require.NoError(t, err)
			require.Len(t, cur.ReportedBy, i+1)
			continue
		}
		require.True(t, resp.DeviceFailed, "three independent reports confirm it")
	}
}

// One wrong GEMM entry: a device commits a round with one entry wrong per
// row. The chain's column block misses it with probability 1 − 32/n, but
// the verifier names the entry and the chain recomputes it: proven, the
// device fails, and the honest verifier's report is accepted (it used to
// be refused and cost the verifier a miss).
func TestAttackOneWrongGemmEntryIsProvable(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(1))
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	sealing, id := apptesting.SealedDevice(t, c, hot)
	ch := apptesting.NextResidencyChallenge(t, c, id)
	a := apptesting.Run(t, c, sealing, hot, ch)

	p := sealing.Params
	g, err := sealing.Gemm(a.Seed)
	require.NoError(t, err)
	n := int(p.GemmDim)
	last := p.Rounds - 1
	leaves := make([]proof.Hash, p.GemmRows)
	for r := 0; r < int(p.GemmRows); r++ {
		g.C[last][r*n+(r*7)%n] += 3
		leaves[r] = proof.RowLeaf(g.C[last][r*n : (r+1)*n])
	}
	tree, err := proof.NewTree(leaves)
	require.NoError(t, err)
	g.Trees[last], g.Roots[last] = tree, tree.Root()
	a.GemmRoots = g.Roots // the device commits the wrong round

	msg := a.Report(1, 0)
	msg.GemmRoots = nil
	for _, r := range g.Roots {
		msg.GemmRoots = append(msg.GemmRoots, append([]byte(nil), r[:]...))
	}
	msg.GemmRootsSignature = a.Sign(proof.AnswerGemmRoots, proof.RootPayload(a.Seed, g.Roots...))
	var evidence *pocpstypes.SignedOpening
	for j, ref := range proof.GemmAudit(p, a.Seed, g.Roots, a.GemmSecret) {
		if ref.Round != last {
			continue
		}
		pf := sealing.OpenGemm(g, []proof.RowRef{ref})
		col, wrong := proof.WrongEntry(p, a.Seed, pf.Rows[0])
		require.True(t, wrong)
		bz, err := pf.MarshalBinary()
		require.NoError(t, err)
		o := a.SignOpening(proof.AnswerGemmOpening, uint32(j), bz)
		o.Column = col
		evidence = &o
		break
	}
	require.NotNil(t, evidence, "the audit picks a row of the last round")
	msg.Passed, msg.FailureReason, msg.W = false, pocpstypes.FAILURE_REASON_BAD_PROOF, math.ZeroInt()
	msg.ResidencyOpenings = nil
	msg.GemmOpenings = []pocpstypes.SignedOpening{*evidence}
	res, err := apptesting.Deliver(c, c.Ctx(), msg)
	require.NoError(t, err, "one wrong entry is provable")
	var resp pocpstypes.MsgSubmitChallengeResultResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &resp))
	require.True(t, resp.DeviceFailed, "signed evidence fails the device on one report")
	got, err := c.PocpsKeeper.Challenges.Get(c.Ctx(), ch.Id)
	require.NoError(t, err)
	require.Contains(t, got.Detail, "column")
}

// A verifier names a column outside the row for an honest signed row: the
// column is the verifier's claim, not the device's answer, so the report
// is refused (it used to count as evidence).
func TestAttackColumnOutOfRangeIsRefused(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(1))
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	sealing, id := apptesting.SealedDevice(t, c, hot)
	ch := apptesting.NextResidencyChallenge(t, c, id)
	m := apptesting.Run(t, c, sealing, hot, ch).Report(1, 1)
	m.Passed, m.FailureReason, m.W = false, pocpstypes.FAILURE_REASON_BAD_PROOF, math.ZeroInt()
	m.ResidencyOpenings = nil
	m.GemmOpenings[0].Column = 1 << 31
	_, err := apptesting.Deliver(c, c.Ctx(), m)
	require.ErrorIs(t, err, pocpstypes.ErrInvalidResult)
	d, err := c.PocpsKeeper.Devices.Get(c.Ctx(), id)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.DEVICE_STATUS_SEALED, d.Status)
}

// A verifier asks the honest device to walk twice in one challenge (the
// real nonce, then another) and pairs the real signed root with an opening
// of the other run: the opening's signature covers its own run's
// commitment, so it does not verify against the real root.
func TestAttackCrossRunOpeningIsRefused(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(1))
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	sealing, id := apptesting.SealedDevice(t, c, hot)
	ch := apptesting.NextResidencyChallenge(t, c, id)
	real := apptesting.Run(t, c, sealing, hot, ch)

	// The second run: same challenge id, another nonce, honestly signed.
	fake := *real
	fake.Nonce = proof.Hash{0xfa, 0xce}
	run, err := sealing.Residency(fake.Nonce)
	require.NoError(t, err)
	fake.ResidencyRoot = run.Root()
	w := proof.ResidencyAudit(sealing.Params, fake.Nonce, fake.ResidencyRoot, fake.ResidencySecret)[0]
	bz, err := sealing.OpenResidency(run, []uint32{w}).MarshalBinary()
	require.NoError(t, err)
	crossed := fake.SignOpening(proof.AnswerResidencyOpening, 0, bz)

	m := real.Report(1, 1)
	m.Passed, m.FailureReason, m.W = false, pocpstypes.FAILURE_REASON_BAD_PROOF, math.ZeroInt()
	m.ResidencyOpenings, m.GemmOpenings = []pocpstypes.SignedOpening{crossed}, nil
	_, err = apptesting.Deliver(c, c.Ctx(), m)
	require.ErrorIs(t, err, pocpstypes.ErrBadSignature)
}

// Precomputation: the challenge's nonce is public from issuance, but the
// device's walk is seeded by the residency nonce the verifier derives from
// its VRF proof and sends with the request. A device that walked ahead of
// time over the public nonce has a root the chain does not take.
func TestAttackPrecomputedResidencyIsRefused(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(1))
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	sealing, id := apptesting.SealedDevice(t, c, hot)
	ch := apptesting.NextResidencyChallenge(t, c, id)
	a := apptesting.Run(t, c, sealing, hot, ch)
	require.NotEqual(t, ch.Nonce, a.Nonce[:], "the walk's nonce is not the public one")

	var public proof.Hash
	copy(public[:], ch.Nonce)
	early, err := sealing.Residency(public)
	require.NoError(t, err)
	m := a.Report(1, 1)
	root := early.Root()
	m.ResidencyRoot = root[:]
	m.ResidencyRootSignature = a.Sign(proof.AnswerResidencyRoot, proof.RootPayload(public, early.Root()))
	_, err = apptesting.Deliver(c, c.Ctx(), m)
	require.ErrorIs(t, err, pocpstypes.ErrBadSignature)
}

// Two colluding verifiers: the first waits for a block whose draw would
// hand the confirmation to its partner, then reports "no answer". The
// confirmation is drawn from the draw seed the failing challenge was
// issued with, so the block the report comes in does not move it.
func TestAttackConfirmationCannotBeSteeredByTiming(t *testing.T) {
	c, hots, sealing, ch := sealedAmongVerifiers(t, 4, 2)
	first := apptesting.NextResidencyChallenge(t, c, ch.DeviceId)
	msg := apptesting.Answer(t, c, sealing, hots[first.Verifier], first)
	msg.Passed, msg.FailureReason = false, pocpstypes.FAILURE_REASON_NO_ANSWER

	confirmers := map[string]bool{}
	for range 8 { // the colluder tries eight blocks
		c.NextBlock(t, time.Second)
		ctx, _ := c.Ctx().CacheContext()
		res, err := apptesting.Deliver(c, ctx, msg)
		require.NoError(t, err)
		var resp pocpstypes.MsgSubmitChallengeResultResponse
		require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &resp))
		next, err := c.PocpsKeeper.Challenges.Get(ctx, resp.ConfirmationId)
		require.NoError(t, err)
		require.NotEqual(t, first.Verifier, next.Verifier)
		confirmers[next.Verifier] = true
	}
	require.Len(t, confirmers, 1, "every block hands the confirmation to the same verifier")
}

// A verifier re-registers another VRF key while its challenge is pending
// (ground offline for a secret it likes, or to steer the beacon): the
// challenge keeps the key it was issued with.
func TestAttackVRFRekeyDoesNotCount(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(1))
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	sealing, id := apptesting.SealedDevice(t, c, hot)
	ch := apptesting.NextResidencyChallenge(t, c, id)
	other, err := proof.NewVRFKey(proof.Hash{42})
	require.NoError(t, err)
	_, err = apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgRegisterVerifier{Operator: sdk.AccAddress(apptesting.GenesisValidator(t, c)).String(),
		HotKey: hot.String(), Endpoint: "verifier:9500", VrfKey: other.PublicKey()})
	require.NoError(t, err)

	msg := apptesting.Answer(t, c, sealing, hot, ch) // signed with the issued key
	rekeyed := *msg
	rekeyed.VrfProof = other.Prove(proof.VRFMessage(c.ChainID(), ch.Id, [32]byte(ch.Nonce)))
	_, err = apptesting.Deliver(c, c.Ctx(), &rekeyed)
	require.ErrorIs(t, err, pocpstypes.ErrBadVRF, "the new key does not count for a challenge issued before it")
	_, err = apptesting.Deliver(c, c.Ctx(), msg)
	require.NoError(t, err)
}

// A lazy setup verifier reports "no answer" for a device it never
// contacted: the setup goes to another verifier, the device is not
// failed, the report earns nothing, and the honest verifier seals it.
func TestAttackLazySetupVerifierDoesNotFailTheDevice(t *testing.T) {
	c := apptesting.SetupWithValidators(t, 2, apptesting.ShortEpochs(2))
	c.NextBlock(t, time.Second)
	hots := apptesting.WithVerifiers(t, c)
	sealing, ch := apptesting.RegisterSealed(t, c, "gpu-0")
	c.NextBlock(t, time.Second)
	lazy := apptesting.SetupReport(t, c, sealing, hots[ch.Verifier], ch)
	lazy.Proof, lazy.DeviceSignature = nil, nil
	_, err := apptesting.Deliver(c, c.Ctx(), lazy)
	require.NoError(t, err)
	d, err := c.PocpsKeeper.Devices.Get(c.Ctx(), ch.DeviceId)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.DEVICE_STATUS_UNSEALED, d.Status, "one verifier's word fails nothing")
	accounts, _, err := c.PocpsKeeper.VerifierReports(c.Ctx(), 1)
	require.NoError(t, err)
	require.Empty(t, accounts, "a report on trust earns nothing")

	cs, err := pocpskeeper.NewQuerier(c.PocpsKeeper).ChallengesByDevice(c.Ctx(), &pocpstypes.QueryChallengesByDeviceRequest{DeviceId: ch.DeviceId})
	require.NoError(t, err)
	require.Len(t, cs.Challenges, 2)
	next := cs.Challenges[1]
	require.Equal(t, pocpstypes.CHALLENGE_KIND_SETUP, next.Kind)
	require.NotEqual(t, ch.Verifier, next.Verifier, "the setup goes to the other verifier")
	_, err = apptesting.Deliver(c, c.Ctx(), apptesting.SetupReport(t, c, sealing, hots[next.Verifier], next))
	require.NoError(t, err)
	d, err = c.PocpsKeeper.Devices.Get(c.Ctx(), ch.DeviceId)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.DEVICE_STATUS_SEALED, d.Status)
}

// A proposer orders the block's transactions so that an accepted report
// (which moves the beacon) comes before a registration, to change which
// verifier the registration draws: the block's draws use the seed fixed at
// its BeginBlock, so the order moves nothing.
func TestAttackTransactionOrderMovesNoDraw(t *testing.T) {
	c, hots, sealing, ch := sealedAmongVerifiers(t, 4, 1)
	res := apptesting.NextResidencyChallenge(t, c, ch.DeviceId)
	report := apptesting.Answer(t, c, sealing, hots[res.Verifier], res)
	h := c.LastBlockHeight()
	fp := apptesting.Fingerprint("gpu-late")
	_, commit := apptesting.SealFor(t, c, c.Funded, fp, h)
	register := apptesting.RegisterMsg(c.Funded, fp, h, commit)
	verifierOf := func(ctx sdk.Context) string {
		resp, err := apptesting.Deliver(c, ctx, register)
		require.NoError(t, err)
		var r pocpstypes.MsgRegisterDeviceResponse
		require.NoError(t, c.AppCodec().Unmarshal(resp.MsgResponses[0].Value, &r))
		cs, err := pocpskeeper.NewQuerier(c.PocpsKeeper).ChallengesByDevice(ctx, &pocpstypes.QueryChallengesByDeviceRequest{DeviceId: r.DeviceId})
		require.NoError(t, err)
		return cs.Challenges[0].Verifier
	}
	plain, _ := c.Ctx().CacheContext()
	reordered, _ := c.Ctx().CacheContext()
	beacon, err := c.PocpsKeeper.Beacon.Get(reordered)
	require.NoError(t, err)
	_, err = apptesting.Deliver(c, reordered, report)
	require.NoError(t, err)
	moved, err := c.PocpsKeeper.Beacon.Get(reordered)
	require.NoError(t, err)
	require.NotEqual(t, beacon, moved, "the report moved the beacon")
	require.Equal(t, verifierOf(plain), verifierOf(reordered))
}

// The owner's address in another spelling (upper-case bech32) is the same
// owner: the device stores the canonical string and ownership compares
// bytes, so x/stake's owner checks and x/pocps' agree.
func TestOwnerSpellingIsCanonical(t *testing.T) {
	c := apptesting.Setup(t)
	c.NextBlock(t, time.Second)
	apptesting.WithVerifier(t, c)
	h := c.LastBlockHeight()
	fp := apptesting.Fingerprint("gpu-upper")
	_, commit := apptesting.SealFor(t, c, c.Funded, fp, h)
	msg := apptesting.RegisterMsg(c.Funded, fp, h, commit)
	msg.Owner = strings.ToUpper(msg.Owner)
	res, err := apptesting.Deliver(c, c.Ctx(), msg)
	require.NoError(t, err)
	var r pocpstypes.MsgRegisterDeviceResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &r))
	d, err := c.PocpsKeeper.Devices.Get(c.Ctx(), r.DeviceId)
	require.NoError(t, err)
	require.Equal(t, c.Funded.String(), d.Owner, "stored canonical")
	_, err = apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgUpdateDevice{Owner: c.Funded.String(), DeviceId: r.DeviceId, Endpoint: "d:2"})
	require.NoError(t, err)
	_, err = apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgUpdateDevice{Owner: strings.ToUpper(c.Funded.String()), DeviceId: r.DeviceId, Endpoint: "d:3"})
	require.NoError(t, err, "either spelling owns it")
	_, err = apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgUpdateDevice{Owner: sdk.AccAddress(make([]byte, 20)).String(), DeviceId: r.DeviceId, Endpoint: "d:4"})
	require.ErrorIs(t, err, pocpstypes.ErrNotOwner)
}
