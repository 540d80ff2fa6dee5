package main

import (
	"fmt"
	"runtime"

	"cosmossdk.io/math"
	"golang.org/x/sync/errgroup"

	sdk "github.com/cosmos/cosmos-sdk/types"
	gogoproto "github.com/cosmos/gogoproto/proto"

	"github.com/loopin-project/loopin/proof"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
)

// MixChallenge is MsgSubmitChallengeResult: a passing report, by the
// assigned fixture verifier, of each residency challenge the chain issued
// to the fixture's devices at the epoch end, with two walks and two GEMM
// rows re-checked on chain and the VRF proof verified. exec runs it; run
// does not, as the chain issues about devices / challenge_interval
// challenges per epoch: a network run would measure the schedule, not the
// node (docs/benchmarks.md "Throughput under load").
const MixChallenge = "challenge"

// reportOpenings is how many audited walks and GEMM rows a report opens
// (what the verifier sidecar sends and the chain re-checks).
const reportOpenings = 2

// challengeTxs seals, for real, the devices of up to n pending residency
// challenges of the fixture's verifiers (their commitments written through
// c's block context: the placeholder seals cannot be opened), runs each
// challenge as the device would, and returns the verifiers' signed
// passing reports, in challenge order.
func challengeTxs(c *inProcess, man *Manifest, n int) ([][]byte, error) {
	ctx := c.ctx()
	k := c.app.PocpsKeeper
	verifier := map[string]int{}
	for i, v := range man.Verifiers {
		verifier[v.Operator] = i
	}
	it, err := k.Challenges.Iterate(ctx, nil)
	if err != nil {
		return nil, err
	}
	var pending []pocpstypes.Challenge
	for ; it.Valid() && len(pending) < n; it.Next() {
		ch, err := it.Value()
		if err != nil {
			it.Close()
			return nil, err
		}
		if _, ok := verifier[ch.Verifier]; ok && ch.Status == pocpstypes.CHALLENGE_STATUS_PENDING && ch.Kind == pocpstypes.CHALLENGE_KIND_RESIDENCY {
			pending = append(pending, ch)
		}
	}
	it.Close()
	if len(pending) == 0 {
		return nil, fmt.Errorf("no pending residency challenge of the fixture's verifiers")
	}

	devices := make([]pocpstypes.Device, len(pending))
	for i, ch := range pending {
		if devices[i], err = k.GetDevice(ctx, ch.DeviceId); err != nil {
			return nil, err
		}
	}
	msgs := make([]*pocpstypes.MsgSubmitChallengeResult, len(pending))
	var g errgroup.Group
	g.SetLimit(runtime.NumCPU())
	for i := range pending { // each goroutine writes devices[i] and msgs[i] only
		g.Go(func() error {
			d := &devices[i]
			var ek [32]byte // the device's key, as a miner seals with it
			copy(ek[:], d.Key)
			s, err := proof.Seal(d.Seal.Params.ProofParams(), ek, nil)
			if err != nil {
				return err
			}
			var roots [][]byte
			for _, r := range s.Commitment().LayerRoots {
				roots = append(roots, append([]byte(nil), r[:]...))
			}
			d.Seal.LayerRoots = roots
			vi := verifier[pending[i].Verifier]
			m, err := answerChallenge(c.chainID, s, d, pending[i], vi)
			if err != nil {
				return fmt.Errorf("challenge %d: %w", pending[i].Id, err)
			}
			msgs[i] = m
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, d := range devices {
		if err := k.Devices.Set(ctx, d.Id, d); err != nil {
			return nil, err
		}
	}

	hot := make([]*actor, len(man.Verifiers))
	for i, v := range man.Verifiers {
		key := Key(RoleVerifier, i)
		hot[i] = newActor(i, key, v.Account)
		hot[i].seq = c.app.AccountKeeper.GetAccount(ctx, hot[i].addr).GetSequence()
	}
	txs := make([][]byte, len(msgs))
	for i, m := range msgs {
		a := hot[verifier[pending[i].Verifier]]
		if txs[i], err = signTx(c.app.TxConfig(), c.chainID, a, m); err != nil {
			return nil, err
		}
		a.seq++
	}
	return txs, nil
}

// answerChallenge is what the device sealed as s answers to ch and the
// report verifier vi submits: its VRF proof, the device-signed residency
// and GEMM roots, and the first reportOpenings audited walks and rows.
func answerChallenge(chainID string, s *proof.Sealing, d *pocpstypes.Device, ch pocpstypes.Challenge, vi int) (*pocpstypes.MsgSubmitChallengeResult, error) {
	key := DeviceAnswerKey(d.Fingerprint)
	sigma, sec := VerifierVRFKey(vi).ProveChallenge(chainID, ch.Id, ch.Nonce)
	p := s.Params
	run, err := s.Residency(sec.ResidencyNonce)
	if err != nil {
		return nil, err
	}
	resRoot := run.Root()
	resCommit := proof.RootPayload(sec.ResidencyNonce, resRoot)
	g, err := s.Gemm(sec.GemmSeed)
	if err != nil {
		return nil, err
	}
	gemmCommit := proof.RootPayload(sec.GemmSeed, g.Roots...)
	hot := Address(RoleVerifier, vi)
	m := &pocpstypes.MsgSubmitChallengeResult{
		HotKey: hot.String(), ChallengeId: ch.Id, Passed: true, ResidencyMs: 12, GemmMs: 40,
		W: math.NewInt(1_000_000), TranscriptHash: make([]byte, 32), VrfProof: sigma,
		ResidencyRoot:          append([]byte(nil), resRoot[:]...),
		ResidencyRootSignature: proof.SignAnswer(key, chainID, ch.Id, proof.AnswerResidencyRoot, resCommit),
		GemmRootsSignature:     proof.SignAnswer(key, chainID, ch.Id, proof.AnswerGemmRoots, gemmCommit),
	}
	for _, r := range g.Roots {
		m.GemmRoots = append(m.GemmRoots, append([]byte(nil), r[:]...))
	}
	for j, w := range proof.ResidencyAudit(p, sec.ResidencyNonce, resRoot, sec.ResidencySecret)[:reportOpenings] {
		bz, err := s.OpenResidency(run, []uint32{w}).MarshalBinary()
		if err != nil {
			return nil, err
		}
		m.ResidencyOpenings = append(m.ResidencyOpenings, pocpstypes.SignedOpening{Position: uint32(j), Opening: bz,
			Signature: proof.SignAnswer(key, chainID, ch.Id, proof.AnswerResidencyOpening, proof.OpeningPayload(sec.ResidencySecret, uint32(j), resCommit, bz))})
	}
	for j, ref := range proof.GemmAudit(p, sec.GemmSeed, g.Roots, sec.GemmSecret)[:reportOpenings] {
		bz, err := s.OpenGemm(g, []proof.RowRef{ref}).MarshalBinary()
		if err != nil {
			return nil, err
		}
		m.GemmOpenings = append(m.GemmOpenings, pocpstypes.SignedOpening{Position: uint32(j), Opening: bz,
			Signature: proof.SignAnswer(key, chainID, ch.Id, proof.AnswerGemmOpening, proof.OpeningPayload(sec.GemmSecret, uint32(j), gemmCommit, bz))})
	}
	return m, nil
}

// reportFailed tells whether a report's result says the device failed
// (the chain's re-check refused what the report claimed).
func reportFailed(data []byte) bool {
	var txData sdk.TxMsgData
	if err := gogoproto.Unmarshal(data, &txData); err != nil || len(txData.MsgResponses) == 0 {
		return true
	}
	var resp pocpstypes.MsgSubmitChallengeResultResponse
	if err := gogoproto.Unmarshal(txData.MsgResponses[0].Value, &resp); err != nil {
		return true
	}
	return resp.DeviceFailed
}
