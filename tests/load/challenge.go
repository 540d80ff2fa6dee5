package main

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"golang.org/x/sync/errgroup"

	sdk "github.com/cosmos/cosmos-sdk/types"
	gogoproto "github.com/cosmos/gogoproto/proto"

	"github.com/loopin-project/loopin/gpu"
	"github.com/loopin-project/loopin/proof"
	"github.com/loopin-project/loopin/sidecar/protocol"
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
	classDeadlines := map[string]deadlines{}
	for _, d := range devices {
		if _, ok := classDeadlines[d.GpuClass]; ok {
			continue
		}
		pool, err := c.app.PoolsKeeper.PoolByClass(ctx, d.GpuClass)
		if err != nil {
			return nil, err
		}
		class, err := c.app.PoolsKeeper.GPUClass(ctx, pool.Id)
		if err != nil {
			return nil, err
		}
		classDeadlines[d.GpuClass] = deadlines{class.ResidencyDeadline, class.GemmDeadline}
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
			m, err := answerChallenge(context.Background(), c.chainID, s, d, pending[i], vi, classDeadlines[d.GpuClass])
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

// deadlines are a class's residency and GEMM deadlines (x/pools).
type deadlines struct{ residency, gemm time.Duration }

// answerChallenge runs challenge ch as the sidecars do (sidecar/protocol):
// verifier vi's Verifier against the Miner of the device sealed as s, which
// answers with the device's key, and returns the report, committing to the
// transcript. Errors: the device did not pass (the reason and the
// verifier's error).
func answerChallenge(ctx context.Context, chainID string, s *proof.Sealing, d *pocpstypes.Device, ch pocpstypes.Challenge, vi int, dl deadlines) (*pocpstypes.MsgSubmitChallengeResult, error) {
	seal := gpu.NewCPU(1).FromSealing(s)
	miner := protocol.NewMiner(seal, DeviceAnswerKey(d.Fingerprint), chainID)
	// The verifier's clock steps 5 ms at each reading: the measured times,
	// and so the report's bytes, are the same in every run (exec compares
	// the executors by the app hash they reach).
	clock := time.Unix(0, 0)
	step := func() time.Time { clock = clock.Add(5 * time.Millisecond); return clock }
	v := &protocol.Verifier{VRF: VerifierVRFKey(vi), ChainID: chainID, SampleSize: reportOpenings, Now: step}
	res := v.Challenge(ctx, miner, Address(RoleVerifier, vi).String(), ch, *d, dl.residency, dl.gemm)
	if res.Err != nil || !res.Msg.Passed {
		return nil, fmt.Errorf("device %d did not pass (%s): %v", d.Id, res.Msg.FailureReason, res.Err)
	}
	var err error
	if res.Msg.TranscriptHash, err = protocol.TranscriptHash(res.Transcript); err != nil {
		return nil, err
	}
	return res.Msg, nil
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
