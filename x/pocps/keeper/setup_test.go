package keeper_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"
	chaintypes "github.com/loopin-project/loopin/types"

	"github.com/loopin-project/loopin/app/apptesting"
	"github.com/loopin-project/loopin/proof"
	pocpskeeper "github.com/loopin-project/loopin/x/pocps/keeper"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
)

func TestSetupChallengeSealsTheDevice(t *testing.T) {
	c := apptesting.Setup(t)
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	sealing, ch := apptesting.RegisterSealed(t, c, "gpu-0")

	// The verifier sees its assignment.
	q := pocpskeeper.NewQuerier(c.PocpsKeeper)
	pending, err := q.PendingChallenges(c.Ctx(), &pocpstypes.QueryPendingChallengesRequest{Verifier: ch.Verifier})
	require.NoError(t, err)
	require.Len(t, pending.Challenges, 1)

	c.NextBlock(t, time.Second) // the registration block

	// Only the assigned verifier's hot key may report, with its own VRF
	// proof of this challenge.
	report := apptesting.SetupReport(t, c, sealing, hot, ch)
	wrong := *report
	wrong.HotKey = c.Funded.String()
	_, err = apptesting.Deliver(c, c.Ctx(), &wrong)
	require.ErrorIs(t, err, pocpstypes.ErrNotAssigned)
	wrong = *report
	wrong.VrfProof = apptesting.TestVRFKey(c.Funded).Prove([]byte("another message"))
	_, err = apptesting.Deliver(c, c.Ctx(), &wrong)
	require.ErrorIs(t, err, pocpstypes.ErrBadVRF, "a secret the verifier chose")

	proofBytes := report.Proof
	gasBefore := c.Ctx().GasMeter().GasConsumed()
	res, err := apptesting.Deliver(c, c.Ctx(), report)
	require.NoError(t, err)
	require.GreaterOrEqual(t, c.Ctx().GasMeter().GasConsumed()-gasBefore, uint64(pocpskeeper.VerifyGasPerByte*len(proofBytes)), "verification is paid for")
	var resp pocpstypes.MsgSubmitSetupResultResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &resp))
	require.True(t, resp.Passed, resp.Detail)

	device, err := c.PocpsKeeper.Devices.Get(c.Ctx(), ch.DeviceId)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.DEVICE_STATUS_SEALED, device.Status)
	got, err := c.PocpsKeeper.Challenges.Get(c.Ctx(), ch.Id)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.CHALLENGE_STATUS_PASSED, got.Status)
	pending, err = q.PendingChallenges(c.Ctx(), &pocpstypes.QueryPendingChallengesRequest{Verifier: ch.Verifier})
	require.NoError(t, err)
	require.Empty(t, pending.Challenges)

	// A closed challenge takes no second report.
	_, err = apptesting.Deliver(c, c.Ctx(), report)
	require.ErrorIs(t, err, pocpstypes.ErrChallengeClosed)
}

// A device-signed proof that fails the re-check (a tampered label,
// garbage) fails the device on that one report: the chain re-checks the
// evidence itself. A proof the device did not sign for this seed — the
// forged failure of a verifier that never contacted the device, or a
// device signing for another seed — is refused and changes nothing. "No
// answer" is taken on trust: it fails the device only at `confirmations`
// reports from different verifiers.
func TestSetupChallengeRejectsBadProofs(t *testing.T) {
	signed := func(c *apptesting.TestChain, ch pocpstypes.Challenge, seed proof.Hash, bz []byte) []byte {
		return proof.SignAnswer(apptesting.TestDeviceKey(apptesting.Fingerprint("gpu-0")), c.ChainID(), ch.Id, proof.AnswerSetup, proof.SetupPayload(seed, bz))
	}
	for _, tc := range []struct {
		name   string
		edit   func(t *testing.T, c *apptesting.TestChain, s *proof.Sealing, ch pocpstypes.Challenge, m *pocpstypes.MsgSubmitSetupResult)
		refuse error
		failed bool
	}{
		{name: "tampered label, signed", failed: true, edit: func(t *testing.T, c *apptesting.TestChain, s *proof.Sealing, ch pocpstypes.Challenge, m *pocpstypes.MsgSubmitSetupResult) {
			_, sec := apptesting.VRF(c, apptesting.VerifierHotKey, ch)
			seed := sec.SetupSeed
			pf, err := s.ProveSetup(seed)
			require.NoError(t, err)
			pf.Samples[0].Label.Label[0] ^= 1
			m.Proof, _ = pf.MarshalBinary()
			m.DeviceSignature = signed(c, ch, seed, m.Proof)
		}},
		{name: "garbage, signed", failed: true, edit: func(t *testing.T, c *apptesting.TestChain, _ *proof.Sealing, ch pocpstypes.Challenge, m *pocpstypes.MsgSubmitSetupResult) {
			_, sec := apptesting.VRF(c, apptesting.VerifierHotKey, ch)
			seed := sec.SetupSeed
			m.Proof = []byte{0, 0, 0, 9}
			m.DeviceSignature = signed(c, ch, seed, m.Proof)
		}},
		{name: "forged by the verifier", refuse: pocpstypes.ErrBadSignature, edit: func(t *testing.T, _ *apptesting.TestChain, _ *proof.Sealing, _ pocpstypes.Challenge, m *pocpstypes.MsgSubmitSetupResult) {
			m.Proof = []byte{0, 0, 0, 9}
		}},
		{name: "signed for another seed", refuse: pocpstypes.ErrBadSignature, edit: func(t *testing.T, c *apptesting.TestChain, s *proof.Sealing, ch pocpstypes.Challenge, m *pocpstypes.MsgSubmitSetupResult) {
			seed := proof.Hash{9}
			pf, err := s.ProveSetup(seed)
			require.NoError(t, err)
			m.Proof, _ = pf.MarshalBinary()
			m.DeviceSignature = signed(c, ch, seed, m.Proof)
		}},
		{name: "no answer, one verifier", edit: func(t *testing.T, _ *apptesting.TestChain, _ *proof.Sealing, _ pocpstypes.Challenge, m *pocpstypes.MsgSubmitSetupResult) {
			m.Proof, m.DeviceSignature = nil, nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := apptesting.Setup(t, apptesting.ShortEpochs(2))
			c.NextBlock(t, time.Second)
			hot := apptesting.WithVerifier(t, c)
			sealing, ch := apptesting.RegisterSealed(t, c, "gpu-0")
			c.NextBlock(t, time.Second)
			msg := apptesting.SetupReport(t, c, sealing, hot, ch)
			tc.edit(t, c, sealing, ch, msg)
			res, err := apptesting.Deliver(c, c.Ctx(), msg)
			device, derr := c.PocpsKeeper.Devices.Get(c.Ctx(), ch.DeviceId)
			require.NoError(t, derr)
			if tc.refuse != nil {
				require.ErrorIs(t, err, tc.refuse)
				require.Equal(t, pocpstypes.DEVICE_STATUS_UNSEALED, device.Status, "a refused report changes nothing")
				got, err := c.PocpsKeeper.Challenges.Get(c.Ctx(), ch.Id)
				require.NoError(t, err)
				require.Equal(t, pocpstypes.CHALLENGE_STATUS_PENDING, got.Status)
				return
			}
			require.NoError(t, err)
			var resp pocpstypes.MsgSubmitSetupResultResponse
			require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &resp))
			require.False(t, resp.Passed)
			if tc.failed {
				require.Equal(t, pocpstypes.FAILURE_REASON_BAD_PROOF, resp.FailureReason)
				require.NotEmpty(t, resp.Detail, "a bad proof says what failed the re-check")
				require.Equal(t, pocpstypes.DEVICE_STATUS_FAILED, device.Status)
				return
			}
			require.Equal(t, pocpstypes.FAILURE_REASON_NO_ANSWER, resp.FailureReason)
			require.Equal(t, pocpstypes.DEVICE_STATUS_UNSEALED, device.Status, "one verifier's word does not fail a device")
		})
	}
}

// TestHalfFakeSealFailsSetup registers a seal whose kept layer is mostly
// fake (docs/pocps.md §9): the setup's kept-layer quota finds a fake label
// and the device's own signed proof fails it on chain.
func TestHalfFakeSealFailsSetup(t *testing.T) {
	c := apptesting.Setup(t)
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	h := c.LastBlockHeight()
	fp := apptesting.Fingerprint("gpu-0")
	s, _ := apptesting.SealFor(t, c, c.Funded, fp, h)
	last := len(s.Layers) - 1
	// 15 of every 16 labels faked, so that the tiny parameters' 6 kept-layer
	// samples find one but with (1/16)^6 ≈ 6·10⁻⁸ (the half-fake case, at
	// the classes' 20 samples, is TestHalfFakeSealedLayerIsCaught's).
	for i := range s.Layers[last] {
		if i%16 != 0 {
			s.Layers[last][i] = proof.Label(s.Key, 99, uint64(i), nil)
		}
	}
	tree, err := proof.NewTree(proof.LabelLeaves(s.Layers[last]))
	require.NoError(t, err)
	s.Trees[last] = tree
	commit := pocpstypes.SealCommitment{Params: pocpstypes.SealParamsFromProof(s.Params)}
	for _, r := range s.Commitment().LayerRoots {
		commit.LayerRoots = append(commit.LayerRoots, append([]byte(nil), r[:]...))
	}
	res, err := apptesting.Deliver(c, c.Ctx(), apptesting.RegisterMsg(c.Funded, fp, h, commit))
	require.NoError(t, err)
	var reg pocpstypes.MsgRegisterDeviceResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &reg))
	cs, err := pocpskeeper.NewQuerier(c.PocpsKeeper).ChallengesByDevice(c.Ctx(), &pocpstypes.QueryChallengesByDeviceRequest{DeviceId: reg.DeviceId})
	require.NoError(t, err)
	res, err = apptesting.Deliver(c, c.Ctx(), apptesting.SetupReport(t, c, s, hot, cs.Challenges[0]))
	require.NoError(t, err)
	var resp pocpstypes.MsgSubmitSetupResultResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &resp))
	require.False(t, resp.Passed, "a fake kept layer passes with (1/16)^%d", s.Params.KeptSamples())
	require.ErrorContains(t, errorString(resp.Detail), "label")
}

type errorString string

func (e errorString) Error() string { return string(e) }

func TestRegistrationNeedsAVerifierOtherThanTheOwner(t *testing.T) {
	c := apptesting.Setup(t)
	c.NextBlock(t, time.Second)
	h := c.LastBlockHeight()
	fp := apptesting.Fingerprint("gpu-0")
	_, commit := apptesting.SealFor(t, c, c.Funded, fp, h)
	_, err := apptesting.Deliver(c, c.Ctx(), apptesting.RegisterMsg(c.Funded, fp, h, commit))
	require.ErrorIs(t, err, pocpstypes.ErrNoVerifier)

	// The validator's own device cannot be checked by its own verifier.
	apptesting.WithVerifier(t, c)
	operator := sdk.AccAddress(apptesting.GenesisValidator(t, c))
	require.NoError(t, c.BankKeeper.SendCoins(c.Ctx(), c.Funded, operator, sdk.NewCoins(sdk.NewInt64Coin(chaintypes.BondDenom, 100_000_000))))
	_, commit = apptesting.SealFor(t, c, operator, fp, h)
	_, err = apptesting.Deliver(c, c.Ctx(), apptesting.RegisterMsg(operator, fp, h, commit))
	require.ErrorIs(t, err, pocpstypes.ErrNoVerifier)
}

// A verifier that lets the deadline pass misses: the challenge closes, the
// miss is counted, and the queue only touches what is due.
func TestMissedSetupDeadline(t *testing.T) {
	c := apptesting.Setup(t)
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	_, ch := apptesting.RegisterSealed(t, c, "gpu-0")
	params, err := c.PocpsKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)

	c.NextBlock(t, params.ChallengeDeadline/2)
	got, err := c.PocpsKeeper.Challenges.Get(c.Ctx(), ch.Id)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.CHALLENGE_STATUS_PENDING, got.Status, "not due yet")

	c.NextBlock(t, params.ChallengeDeadline)
	got, err = c.PocpsKeeper.Challenges.Get(c.Ctx(), ch.Id)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.CHALLENGE_STATUS_MISSED, got.Status)
	m, err := c.PocpsKeeper.Misses.Get(c.Ctx(), apptesting.GenesisValidator(t, c))
	require.NoError(t, err)
	require.Equal(t, uint32(1), m.Missed)
	_, err = apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgSubmitSetupResult{HotKey: hot.String(), ChallengeId: ch.Id, Proof: []byte{1}, VrfProof: make([]byte, 96), DeviceSignature: make([]byte, 64)})
	require.ErrorIs(t, err, pocpstypes.ErrChallengeClosed)
	has, err := c.PocpsKeeper.DeadlineQueue.Has(c.Ctx(), collectionsPair(got))
	require.NoError(t, err)
	require.False(t, has, "closed challenges leave the queue")
}

func collectionsPair(c pocpstypes.Challenge) collections.Pair[int64, uint64] {
	return collections.Join(c.Deadline.Unix(), c.Id)
}

// A device deregistered while its setup challenge is pending: the report
// gets a clear error, not an internal one.
func TestReportForADeregisteredDevice(t *testing.T) {
	c := apptesting.Setup(t)
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	sealing, ch := apptesting.RegisterSealed(t, c, "gpu-0")
	_, err := apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgDeregisterDevice{Owner: c.Funded.String(), DeviceId: ch.DeviceId})
	require.NoError(t, err)
	c.NextBlock(t, time.Second)
	c.NextBlock(t, time.Second)
	_, err = apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgSubmitSetupResult{HotKey: hot.String(), ChallengeId: ch.Id, Proof: []byte{1}, VrfProof: make([]byte, 96), DeviceSignature: make([]byte, 64)})
	require.ErrorIs(t, err, pocpstypes.ErrDeviceNotFound)
	_ = sealing

	// Its deadline passes without a miss for the verifier.
	params, err := c.PocpsKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	c.NextBlock(t, params.ChallengeDeadline+time.Second)
	got, err := c.PocpsKeeper.Challenges.Get(c.Ctx(), ch.Id)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.CHALLENGE_STATUS_MISSED, got.Status)
	require.Equal(t, pocpstypes.FAILURE_REASON_DEVICE_DEREGISTERED, got.FailureReason)
	v, err := c.PocpsKeeper.Verifiers.Get(c.Ctx(), apptesting.GenesisValidator(t, c))
	require.NoError(t, err)
	require.Zero(t, v.Missed)
}
