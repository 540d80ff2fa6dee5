// Package protocol is the PoCPS challenge protocol between a verifier
// sidecar and a miner sidecar (x/pocps/README.md, docs/protocol.md §6; docs/pocps.md),
// independent of the transport: Miner answers for one sealed device,
// Verifier runs a challenge against any MinerAPI on its own clock, audits
// the answers with its secret and builds the report the chain re-checks
// (MsgSubmitSetupResult, MsgSubmitChallengeResult). The sidecars put a gRPC
// transport and the chain client (sidecar/chain) around it.
package protocol

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"cosmossdk.io/math"

	"github.com/loopin-project/loopin/gpu"
	"github.com/loopin-project/loopin/proof"
	"github.com/loopin-project/loopin/sidecar/types"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
)

// MinerAPI is what a verifier asks of the miner sidecar of a device: the
// setup proof for a seed, a residency walk and a GEMM for the verifier's
// nonce and seed, then the openings the verifier's audit picks. Every
// method may be slow (the device works) and fails with the miner's error.
type MinerAPI interface {
	// Setup returns the encoded setup proof for seed.
	Setup(ctx context.Context, seed proof.Hash) ([]byte, error)
	// Residency runs the walk for nonce and returns its root.
	Residency(ctx context.Context, nonce proof.Hash) (proof.Hash, error)
	// OpenResidency opens the walks of the run for nonce.
	OpenResidency(ctx context.Context, nonce proof.Hash, walks []uint32) ([]byte, error)
	// Gemm runs the GEMM for seed and returns its per-round roots.
	Gemm(ctx context.Context, seed proof.Hash) ([]proof.Hash, error)
	// OpenGemm opens the rows of the run for seed.
	OpenGemm(ctx context.Context, seed proof.Hash, rows []proof.RowRef) ([]byte, error)
}

// Miner answers MinerAPI for one sealed device from its seal on a gpu
// backend (gpu.Seal: CPU or CUDA). The seal keeps the latest residency and
// GEMM runs until they are opened; one challenge runs at a time. Safe for
// concurrent use.
type Miner struct {
	s  gpu.Seal
	mu sync.Mutex
	// resNonce and gemmSeed name the runs the seal holds.
	resNonce, gemmSeed *proof.Hash
}

// NewMiner answers from seal s (nil: a miner that lost its seal, which
// answers ErrNoSeal).
func NewMiner(s gpu.Seal) *Miner { return &Miner{s: s} }

var _ MinerAPI = (*Miner)(nil)

// ErrNoSeal is returned by a miner that holds no seal (lost or never
// made): it cannot answer, and its verifier reports "no answer".
var ErrNoSeal = errors.New("no seal in memory")

// ErrUnknownRun is returned when an opening names a run the miner does not
// hold (never started, or replaced by a later one).
var ErrUnknownRun = errors.New("no such run: ask for the walk or the GEMM first")

// Setup implements MinerAPI.
func (m *Miner) Setup(_ context.Context, seed proof.Hash) ([]byte, error) {
	if m.s == nil {
		return nil, ErrNoSeal
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	pf, err := m.s.ProveSetup(seed)
	if err != nil {
		return nil, err
	}
	return pf.MarshalBinary()
}

// Residency implements MinerAPI.
func (m *Miner) Residency(ctx context.Context, nonce proof.Hash) (proof.Hash, error) {
	if m.s == nil {
		return proof.Hash{}, ErrNoSeal
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	root, err := m.s.Residency(ctx, nonce)
	if err != nil {
		m.resNonce = nil
		return proof.Hash{}, err
	}
	m.resNonce = &nonce
	return root, nil
}

// OpenResidency implements MinerAPI.
func (m *Miner) OpenResidency(_ context.Context, nonce proof.Hash, walks []uint32) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.s == nil || m.resNonce == nil || *m.resNonce != nonce {
		return nil, ErrUnknownRun
	}
	pf, err := m.s.OpenResidency(walks)
	if err != nil {
		return nil, err
	}
	return pf.MarshalBinary()
}

// Gemm implements MinerAPI.
func (m *Miner) Gemm(ctx context.Context, seed proof.Hash) ([]proof.Hash, error) {
	if m.s == nil {
		return nil, ErrNoSeal
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	roots, err := m.s.Gemm(ctx, seed)
	if err != nil {
		m.gemmSeed = nil
		return nil, err
	}
	m.gemmSeed = &seed
	return roots, nil
}

// OpenGemm implements MinerAPI.
func (m *Miner) OpenGemm(_ context.Context, seed proof.Hash, rows []proof.RowRef) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.s == nil || m.gemmSeed == nil || *m.gemmSeed != seed {
		return nil, ErrUnknownRun
	}
	pf, err := m.s.OpenGemm(rows)
	if err != nil {
		return nil, err
	}
	return pf.MarshalBinary()
}

// Verifier runs challenges. Its Seed makes its secrets: the verifier secret
// of a challenge, and the nonce and GEMM seed it sends, are hashes of Seed
// and the challenge id, unknown to the miner beforehand and revealed to the
// chain in the report. Now is its clock (time.Now when nil).
type Verifier struct {
	Seed [32]byte
	Now  func() time.Time
	// SampleSize bounds how many audited walks and rows go on chain (the
	// full audit stays in the verifier's transcript). Default 2.
	SampleSize int
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) derive(tag string, challengeID uint64) proof.Hash {
	h := sha256.New()
	h.Write([]byte("loopin/verifier/v1/" + tag))
	h.Write(v.Seed[:])
	h.Write(binary.BigEndian.AppendUint64(nil, challengeID))
	var out proof.Hash
	copy(out[:], h.Sum(nil))
	return out
}

// Setup asks the miner for the setup proof of challenge ch (seed: the hash
// of block ch.SeedHeight) and checks it as the chain will; it returns the
// report. Errors: the miner's, or proof.VerifySetup's for a bad proof (no
// report: the chain would reject it; the device stays unsealed).
func (v *Verifier) Setup(ctx context.Context, miner MinerAPI, hotKey string, ch pocpstypes.Challenge, device pocpstypes.Device, seed proof.Hash) (*pocpstypes.MsgSubmitSetupResult, error) {
	bz, err := miner.Setup(ctx, seed)
	if err != nil {
		return nil, fmt.Errorf("miner: %w", err)
	}
	var pf proof.SetupProof
	if err := pf.UnmarshalBinary(bz); err != nil {
		return nil, fmt.Errorf("setup proof: %w", err)
	}
	var ek proof.Hash
	copy(ek[:], device.Key)
	if err := proof.VerifySetup(device.Seal.Params.ProofParams(), ek, device.Seal.Commitment(), seed, &pf); err != nil {
		return nil, err
	}
	return &pocpstypes.MsgSubmitSetupResult{HotKey: hotKey, ChallengeId: ch.Id, Proof: bz}, nil
}

// Result is a challenge's outcome with what the verifier measured.
type Result struct {
	Msg *pocpstypes.MsgSubmitChallengeResult
	// Transcript is everything sent and received, with the full openings
	// (the report carries only a bounded sample of them). The caller sets
	// its endpoint and commits it in Msg.TranscriptHash (TranscriptHash).
	// Residency and Gemm are the measured round trips, verifier clock.
	Residency, Gemm time.Duration
	// Err is why the challenge failed (nil when it passed).
	Err error
	// Transcript is the challenge's full transcript.
	Transcript *types.ChallengeTranscript
}

// TranscriptHash is the SHA-256 of t's protobuf encoding, the
// transcript_hash a report commits to. Errors: t cannot be encoded.
func TranscriptHash(t *types.ChallengeTranscript) ([]byte, error) {
	bz, err := t.Marshal()
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256(bz)
	return h[:], nil
}

// Challenge runs residency/throughput challenge ch against the miner of
// device: it sends its nonce and seed, times each answer on its own clock,
// audits all the rows and walks its secret picks, and builds the report
// with a bounded sample of openings. A miner that answers late fails
// "late", one that does not answer fails "no answer", a wrong opening fails
// "bad proof" with the failing opening in the sample. residencyDeadline and
// gemmDeadline are the class's (x/pools).
func (v *Verifier) Challenge(ctx context.Context, miner MinerAPI, hotKey string, ch pocpstypes.Challenge, device pocpstypes.Device,
	residencyDeadline, gemmDeadline time.Duration,
) *Result {
	started := v.now()
	res := v.challenge(ctx, miner, hotKey, ch, device, residencyDeadline, gemmDeadline)
	t := res.Transcript
	t.ChallengeId, t.DeviceId, t.Started = ch.Id, device.Id, started.UnixNano()
	t.Passed, t.Reason = res.Msg.Passed, res.Msg.FailureReason.String()
	if res.Err != nil {
		t.Error = res.Err.Error()
	}
	return res
}

func (v *Verifier) challenge(ctx context.Context, miner MinerAPI, hotKey string, ch pocpstypes.Challenge, device pocpstypes.Device,
	residencyDeadline, gemmDeadline time.Duration,
) *Result {
	p := device.Seal.Params.ProofParams()
	sealRoot := device.Seal.Commitment().SealRoot()
	secret, nonce, seed := v.derive("secret", ch.Id), v.derive("nonce", ch.Id), v.derive("gemm-seed", ch.Id)
	k := v.SampleSize
	if k <= 0 {
		k = 2
	}
	msg := &pocpstypes.MsgSubmitChallengeResult{
		HotKey: hotKey, ChallengeId: ch.Id, W: math.ZeroInt(), TranscriptHash: make([]byte, 32),
		Nonce: nonce[:], GemmSeed: seed[:], VerifierSecret: secret[:],
	}
	t := &types.ChallengeTranscript{Nonce: nonce[:], GemmSeed: seed[:]}
	res := &Result{Msg: msg, Transcript: t}
	fail := func(reason pocpstypes.FailureReason, err error) *Result {
		msg.Passed, msg.FailureReason, res.Err = false, reason, err
		return res
	}

	start := v.now()
	root, err := miner.Residency(ctx, nonce)
	res.Residency = v.now().Sub(start)
	msg.ResidencyMs = uint64(res.Residency / time.Millisecond)
	if err != nil {
		return fail(pocpstypes.FAILURE_REASON_NO_ANSWER, fmt.Errorf("residency: %w", err))
	}
	msg.ResidencyRoot = append([]byte(nil), root[:]...)
	walks := proof.ResidencyAudit(p, nonce, root, secret)
	t.ResidencyRoot, t.ResidencyNs, t.Walks = msg.ResidencyRoot, int64(res.Residency), walks
	resBz, err := miner.OpenResidency(ctx, nonce, walks)
	t.ResidencyProof = resBz
	if err != nil {
		return fail(pocpstypes.FAILURE_REASON_NO_ANSWER, fmt.Errorf("residency openings: %w", err))
	}
	var rp proof.ResidencyProof
	if err := rp.UnmarshalBinary(resBz); err != nil {
		return fail(pocpstypes.FAILURE_REASON_NO_ANSWER, fmt.Errorf("residency openings: %w", err))
	}
	resErr := proof.VerifyResidency(p, sealRoot, nonce, root, secret, &rp)
	n := min(k, len(rp.Walks))
	if resErr != nil {
		n = failingPrefix(len(rp.Walks), int(p.Samples), k, func(i int) error {
			return proof.VerifyResidencySample(p, sealRoot, nonce, root, secret, rp.Walks[:i])
		})
	}
	sample := proof.ResidencyProof{Walks: rp.Walks[:n]}
	if msg.ResidencySample, err = sample.MarshalBinary(); err != nil {
		return fail(pocpstypes.FAILURE_REASON_NO_ANSWER, err)
	}

	start = v.now()
	roots, err := miner.Gemm(ctx, seed)
	res.Gemm = v.now().Sub(start)
	msg.GemmMs = uint64(res.Gemm / time.Millisecond)
	if err != nil {
		return fail(pocpstypes.FAILURE_REASON_NO_ANSWER, fmt.Errorf("gemm: %w", err))
	}
	for _, r := range roots {
		msg.GemmRoots = append(msg.GemmRoots, append([]byte(nil), r[:]...))
	}
	rows := proof.GemmAudit(p, seed, roots, secret)
	t.GemmRoots, t.GemmNs = msg.GemmRoots, int64(res.Gemm)
	for _, r := range rows {
		t.Rows = append(t.Rows, &types.RowRef{Round: r.Round, Row: r.Row})
	}
	gemmBz, err := miner.OpenGemm(ctx, seed, rows)
	t.GemmProof = gemmBz
	if err != nil {
		return fail(pocpstypes.FAILURE_REASON_NO_ANSWER, fmt.Errorf("gemm openings: %w", err))
	}
	var gp proof.GemmProof
	if err := gp.UnmarshalBinary(gemmBz); err != nil {
		return fail(pocpstypes.FAILURE_REASON_NO_ANSWER, fmt.Errorf("gemm openings: %w", err))
	}
	f := proof.NewFreivalds(p, seed, secret, proof.GemmAuditRounds(p, seed, secret))
	gemmErr := proof.VerifyGemm(p, sealRoot, seed, roots, secret, &gp, f)
	n = min(k, len(gp.Rows))
	if gemmErr != nil {
		// The chain checks one 32-column block per row, chosen by the block
		// hash at submission; a zero seed stands in for it here, so a row
		// wrong only outside that block may still pass on chain.
		n = failingPrefix(len(gp.Rows), int(p.Samples), k, func(i int) error {
			return proof.VerifyGemmSample(p, sealRoot, seed, roots, secret, proof.Hash{}, gp.Rows[:i])
		})
	}
	gsample := proof.GemmProof{Rows: gp.Rows[:n]}
	if msg.GemmSample, err = gsample.MarshalBinary(); err != nil {
		return fail(pocpstypes.FAILURE_REASON_NO_ANSWER, err)
	}

	switch {
	case resErr != nil:
		return fail(pocpstypes.FAILURE_REASON_BAD_PROOF, fmt.Errorf("residency: %w", resErr))
	case gemmErr != nil:
		return fail(pocpstypes.FAILURE_REASON_BAD_PROOF, fmt.Errorf("gemm: %w", gemmErr))
	case proof.VerifyDeadline(res.Residency, residencyDeadline) != nil:
		return fail(pocpstypes.FAILURE_REASON_LATE, fmt.Errorf("residency took %s, deadline %s", res.Residency, residencyDeadline))
	case proof.VerifyDeadline(res.Gemm, gemmDeadline) != nil:
		return fail(pocpstypes.FAILURE_REASON_LATE, fmt.Errorf("gemm took %s, deadline %s", res.Gemm, gemmDeadline))
	}
	msg.Passed = true
	// W: the GEMM's int8 operations over the measured time (ops/s).
	secs := max(res.Gemm, time.Millisecond)
	msg.W = math.NewIntFromUint64(p.GemmOps()).MulRaw(int64(time.Second)).QuoRaw(int64(secs))
	return res
}

// failingPrefix returns the length of the shortest prefix (of at most
// limit of the total openings) whose sample check fails, so the chain's
// re-check of the sample sees the failure (samples are prefixes of the
// audit list); k when none does.
func failingPrefix(total, limit, k int, check func(n int) error) int {
	for n := 1; n <= min(total, limit); n++ {
		if check(n) != nil {
			return n
		}
	}
	return min(k, total)
}
