// Package protocol is the PoCPS challenge protocol between a verifier
// sidecar and a miner sidecar (x/pocps/README.md, docs/protocol.md §6;
// docs/pocps.md §14), independent of the transport: Miner answers for one
// sealed device and signs every answer with the device key, Verifier runs
// a challenge against any MinerAPI on its own clock, audits the answers
// with the secret its VRF key gives for the challenge, and builds the
// report the chain re-checks (MsgSubmitSetupResult,
// MsgSubmitChallengeResult). The sidecars put a TLS gRPC transport and the
// chain client (sidecar/chain) around it.
package protocol

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"

	"cosmossdk.io/math"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/loopin-project/loopin/gpu"
	"github.com/loopin-project/loopin/proof"
	"github.com/loopin-project/loopin/sidecar/types"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
)

// MinerAPI is what a verifier asks of the miner sidecar of a device, for
// challenge id: the setup proof for a seed, a residency walk and a GEMM for
// the challenge's nonce and seed, then the openings at audit positions the
// secret selects. Every answer is signed by the device key. Every method
// may be slow (the device works) and fails with the miner's error.
type MinerAPI interface {
	// Setup returns the encoded setup proof for seed and its signature.
	Setup(ctx context.Context, challenge uint64, seed proof.Hash) (pf []byte, sig []byte, err error)
	// Residency runs the walk for nonce and returns its signed root.
	Residency(ctx context.Context, challenge uint64, nonce proof.Hash) (root proof.Hash, sig []byte, err error)
	// OpenResidency opens the audited walks at positions of the run for nonce.
	OpenResidency(ctx context.Context, challenge uint64, nonce, secret proof.Hash, positions []uint32) ([]*types.Opening, error)
	// Gemm runs the GEMM for seed and returns its signed round roots.
	Gemm(ctx context.Context, challenge uint64, seed proof.Hash) (roots []proof.Hash, sig []byte, err error)
	// OpenGemm opens the audited rows at positions of the run for seed.
	OpenGemm(ctx context.Context, challenge uint64, seed, secret proof.Hash, positions []uint32) ([]*types.Opening, error)
}

// Miner answers MinerAPI for one sealed device from its seal on a gpu
// backend (gpu.Seal: CPU or CUDA), signing with the device key over the
// chain id. The seal keeps the latest residency and GEMM runs until they
// are opened; one challenge runs at a time. Safe for concurrent use.
type Miner struct {
	s       gpu.Seal
	key     ed25519.PrivateKey
	chainID string
	mu      sync.Mutex
	// res and gemm name the runs the seal holds.
	res, gemm *run
	// ran holds the challenges whose residency or GEMM already ran (the
	// last maxRan), so a verifier cannot come back with its own old
	// challenge to replace another's run (once).
	ran map[runKey]bool
	// restore takes the seal back after a device reset (OnDeviceReset).
	restore func(ctx context.Context) (gpu.Seal, error)
	// sealed: Discard was called; setup answers the last setup proof
	// answered, for its challenge and seed.
	sealed bool
	setup  *setupAnswer
}

// setupAnswer is a signed setup proof, kept so that a repeated request
// costs nothing (a re-seal when the layers are not held).
type setupAnswer struct {
	challenge  uint64
	seed       proof.Hash
	proof, sig []byte
}

// runKey names one run: a challenge and its kind (residency or GEMM).
type runKey struct {
	challenge uint64
	gemm      bool
}

const maxRan = 1024

// ErrAlreadyRan is returned for a second walk or GEMM of one challenge.
var ErrAlreadyRan = errors.New("this challenge already ran and another challenge's run followed it")

// once records that challenge's run of the kind starts, or refuses it: a
// challenge that ran before may run again only while its run is still the
// seal's latest of that kind (a verifier restarted mid-challenge), never
// once another challenge's run has followed. Callers hold m.mu.
func (m *Miner) once(challenge uint64, gemm bool) error {
	k := runKey{challenge, gemm}
	latest := m.res
	if gemm {
		latest = m.gemm
	}
	if m.ran[k] && (latest == nil || latest.challenge != challenge) {
		return ErrAlreadyRan
	}
	if m.ran == nil || len(m.ran) >= maxRan {
		m.ran = map[runKey]bool{}
	}
	m.ran[k] = true
	return nil
}

// run is a residency or GEMM run the seal holds: its challenge, nonce or
// seed, and commitment.
type run struct {
	challenge uint64
	input     proof.Hash
	roots     []proof.Hash
	// secret is the audit secret the run was first opened with (one per
	// run), opened its signed openings by audit position.
	secret *proof.Hash
	opened map[uint32]*types.Opening
}

// openings checks a request to open positions of r with secret against
// params p (at most k distinct positions below k, one secret per run) and
// returns the positions still to open. Errors: a position outside the
// audit, a repeated position, too many, another secret.
func (r *run) openings(p proof.Params, secret proof.Hash, positions []uint32) ([]uint32, error) {
	if len(positions) > int(p.Samples) {
		return nil, fmt.Errorf("%d audit positions asked, the audit has %d", len(positions), p.Samples)
	}
	if r.secret != nil && *r.secret != secret {
		return nil, errors.New("this run was opened with another audit secret")
	}
	seen := map[uint32]bool{}
	var todo []uint32
	for _, j := range positions {
		if j >= p.Samples {
			return nil, fmt.Errorf("audit position %d: the audit has %d", j, p.Samples)
		}
		if seen[j] {
			return nil, fmt.Errorf("audit position %d asked twice", j)
		}
		seen[j] = true
		if r.opened[j] == nil {
			todo = append(todo, j)
		}
	}
	if r.secret == nil {
		r.secret, r.opened = &secret, map[uint32]*types.Opening{}
	}
	return todo, nil
}

// answer returns the signed openings of positions, in order, from r.opened.
func (r *run) answer(positions []uint32) []*types.Opening {
	out := make([]*types.Opening, len(positions))
	for i, j := range positions {
		out[i] = r.opened[j]
	}
	return out
}

// NewMiner answers from seal s with device key key for chain chainID (nil
// s: a miner that lost its seal, which answers ErrNoSeal).
func NewMiner(s gpu.Seal, key ed25519.PrivateKey, chainID string) *Miner {
	return &Miner{s: s, key: key, chainID: chainID}
}

// OnDeviceReset sets how the miner takes its seal back when the device
// faulted and was reset (gpu.ErrDeviceReset: the seal's device memory is
// gone): restore returns the seal again (the miner sidecar restores it
// from its disk copy). The answer that met the fault is tried once more on
// the restored seal; a run opened before the fault is not (ErrUnknownRun).
func (m *Miner) OnDeviceReset(restore func(ctx context.Context) (gpu.Seal, error)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.restore = restore
}

// recovered restores the seal after err when err is a device reset and a
// restore is set (inside m.mu), reporting whether to try again.
func (m *Miner) recovered(ctx context.Context, err error) bool {
	if !errors.Is(err, gpu.ErrDeviceReset) || m.restore == nil {
		return false
	}
	s, rerr := m.restore(ctx)
	if rerr != nil {
		return false
	}
	m.s.Close()
	m.s = s
	m.res, m.gemm = nil, nil
	return true
}

// Close closes the seal the miner holds now (the one it was made with, or
// the one a device reset restored).
func (m *Miner) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.s == nil {
		return nil
	}
	return m.s.Close()
}

var _ MinerAPI = (*Miner)(nil)

// Discard drops every layer of the seal but P (gpu.Seal.Discard), between
// requests: once the chain has accepted the setup proof, the other layers
// (and a seal cache's files) are not needed again.
func (m *Miner) Discard() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.s != nil {
		m.s.Discard()
	}
	m.sealed = true
}

// ErrSealed is returned for a setup request once the seal has been
// discarded (the chain accepted the setup proof): answering it would mean
// sealing again, which a verifier holding any of the device's challenges
// could ask for at will.
var ErrSealed = errors.New("the device's setup proof has passed: it answers no setup challenge")

// ErrNoSeal is returned by a miner that holds no seal (lost or never
// made): it cannot answer, and its verifier reports "no answer".
var ErrNoSeal = errors.New("no seal in memory")

// ErrUnknownRun is returned when an opening names a run the miner does not
// hold (never started, or replaced by a later one).
var ErrUnknownRun = errors.New("no such run: ask for the walk or the GEMM first")

func (m *Miner) sign(challenge uint64, kind proof.AnswerKind, payload []byte) []byte {
	return proof.SignAnswer(m.key, m.chainID, challenge, kind, payload)
}

// Setup implements MinerAPI.
func (m *Miner) Setup(ctx context.Context, challenge uint64, seed proof.Hash) ([]byte, []byte, error) {
	if m.s == nil {
		return nil, nil, ErrNoSeal
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if a := m.setup; a != nil && a.challenge == challenge && a.seed == seed {
		return a.proof, a.sig, nil
	}
	if m.sealed {
		return nil, nil, ErrSealed
	}
	// A re-seal that stops midway would leave the device without its seal:
	// it runs to the end even if the verifier goes away.
	ctx = context.WithoutCancel(ctx)
	pf, err := m.s.ProveSetup(ctx, seed)
	if m.recovered(ctx, err) {
		pf, err = m.s.ProveSetup(ctx, seed)
	}
	if err != nil {
		return nil, nil, err
	}
	bz, err := pf.MarshalBinary()
	if err != nil {
		return nil, nil, err
	}
	sig := m.sign(challenge, proof.AnswerSetup, proof.SetupPayload(seed, bz))
	m.setup = &setupAnswer{challenge: challenge, seed: seed, proof: bz, sig: sig}
	return bz, sig, nil
}

// Residency implements MinerAPI.
func (m *Miner) Residency(ctx context.Context, challenge uint64, nonce proof.Hash) (proof.Hash, []byte, error) {
	if m.s == nil {
		return proof.Hash{}, nil, ErrNoSeal
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.once(challenge, false); err != nil {
		return proof.Hash{}, nil, err
	}
	m.res = nil
	root, err := m.s.Residency(ctx, nonce)
	if m.recovered(ctx, err) {
		root, err = m.s.Residency(ctx, nonce)
	}
	if err != nil {
		return proof.Hash{}, nil, err
	}
	m.res = &run{challenge: challenge, input: nonce, roots: []proof.Hash{root}}
	return root, m.sign(challenge, proof.AnswerResidencyRoot, proof.RootPayload(nonce, root)), nil
}

// OpenResidency implements MinerAPI: the walks are the audit of the
// miner's own root and the given secret, so a verifier cannot have the
// device sign a walk the audit does not select.
func (m *Miner) OpenResidency(_ context.Context, challenge uint64, nonce, secret proof.Hash, positions []uint32) ([]*types.Opening, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.s == nil || m.res == nil || m.res.challenge != challenge || m.res.input != nonce {
		return nil, ErrUnknownRun
	}
	p := m.s.Params()
	todo, err := m.res.openings(p, secret, positions)
	if err != nil {
		return nil, err
	}
	audit := proof.ResidencyAudit(p, nonce, m.res.roots[0], secret)
	for _, j := range todo {
		pf, err := m.s.OpenResidency([]uint32{audit[j]})
		if err != nil {
			return nil, err
		}
		bz, err := pf.MarshalBinary()
		if err != nil {
			return nil, err
		}
		sig := m.sign(challenge, proof.AnswerResidencyOpening, proof.OpeningPayload(secret, j, proof.RootPayload(nonce, m.res.roots[0]), bz))
		m.res.opened[j] = &types.Opening{Position: j, Opening: bz, Signature: sig}
	}
	return m.res.answer(positions), nil
}

// Gemm implements MinerAPI.
func (m *Miner) Gemm(ctx context.Context, challenge uint64, seed proof.Hash) ([]proof.Hash, []byte, error) {
	if m.s == nil {
		return nil, nil, ErrNoSeal
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.once(challenge, true); err != nil {
		return nil, nil, err
	}
	m.gemm = nil
	roots, err := m.s.Gemm(ctx, seed)
	if m.recovered(ctx, err) {
		roots, err = m.s.Gemm(ctx, seed)
	}
	if err != nil {
		return nil, nil, err
	}
	m.gemm = &run{challenge: challenge, input: seed, roots: roots}
	return roots, m.sign(challenge, proof.AnswerGemmRoots, proof.RootPayload(seed, roots...)), nil
}

// OpenGemm implements MinerAPI, like OpenResidency.
func (m *Miner) OpenGemm(_ context.Context, challenge uint64, seed, secret proof.Hash, positions []uint32) ([]*types.Opening, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.s == nil || m.gemm == nil || m.gemm.challenge != challenge || m.gemm.input != seed {
		return nil, ErrUnknownRun
	}
	p := m.s.Params()
	todo, err := m.gemm.openings(p, secret, positions)
	if err != nil {
		return nil, err
	}
	audit := proof.GemmAudit(p, seed, m.gemm.roots, secret)
	for _, j := range todo {
		pf, err := m.s.OpenGemm([]proof.RowRef{audit[j]})
		if err != nil {
			return nil, err
		}
		bz, err := pf.MarshalBinary()
		if err != nil {
			return nil, err
		}
		sig := m.sign(challenge, proof.AnswerGemmOpening, proof.OpeningPayload(secret, j, proof.RootPayload(seed, m.gemm.roots...), bz))
		m.gemm.opened[j] = &types.Opening{Position: j, Opening: bz, Signature: sig}
	}
	return m.gemm.answer(positions), nil
}

// Verifier runs challenges. Its VRF key makes each challenge's secrets
// (proof.SecretsFromVRF of its unique signature over the challenge): the
// residency nonce, GEMM seed and audit secrets, each unknown to the miner
// until the verifier sends it, and checked by the chain. Now is its clock
// (time.Now when nil).
type Verifier struct {
	VRF     proof.VRFKey
	ChainID string
	Now     func() time.Time
	// SampleSize bounds how many audited walks and rows go on chain (the
	// full audit stays in the verifier's transcript). Default 2.
	SampleSize int
	// OpenTimeout bounds each request for openings (default 30 s); the
	// commitments are bounded by a multiple of their deadline.
	OpenTimeout time.Duration
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// Secrets returns the VRF proof σ of challenge ch and the secrets it gives.
func (v *Verifier) Secrets(ch pocpstypes.Challenge) ([]byte, proof.Secrets) {
	return v.VRF.ProveChallenge(v.ChainID, ch.Id, ch.Nonce)
}

// call runs f with a deadline of limit (or ctx's, when sooner).
func call[T any](ctx context.Context, limit time.Duration, f func(context.Context) (T, error)) (T, error) {
	cctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	return f(cctx)
}

// Setup asks the miner for the setup proof of challenge ch, seeded by the
// verifier's SetupSeed, and always returns a report: the device-signed
// proof (the chain re-checks it in full and seals or fails the device) or,
// when the miner is silent, stalls past ctx or answers without a valid
// signature, an empty proof ("no answer"). The setup is not timed, so a
// miner that is away (a restart) is asked again, with backoff, until ctx
// ends. verdict is nil when the proof passed the verifier's own check.
func (v *Verifier) Setup(ctx context.Context, miner MinerAPI, hotKey string, ch pocpstypes.Challenge, device pocpstypes.Device) (report *pocpstypes.MsgSubmitSetupResult, verdict error) {
	sigma, sec := v.Secrets(ch)
	seed := sec.SetupSeed
	report = &pocpstypes.MsgSubmitSetupResult{HotKey: hotKey, ChallengeId: ch.Id, VrfProof: sigma}
	type answer struct{ pf, sig []byte }
	var a answer
	var err error
	for wait := 250 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		// ctx bounds it (the runner keeps the challenge's deadline).
		pf, sig, err2 := miner.Setup(ctx, ch.Id, seed)
		a, err = answer{pf, sig}, err2
		if err == nil || ctx.Err() != nil || final(err) {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
	if err != nil {
		return report, fmt.Errorf("no answer: %w", err)
	}
	if err := proof.VerifyAnswer(device.DevicePubkey, a.sig, v.ChainID, ch.Id, proof.AnswerSetup, proof.SetupPayload(seed, a.pf)); err != nil {
		return report, fmt.Errorf("no answer: setup proof %w", err)
	}
	report.Proof, report.DeviceSignature = a.pf, a.sig
	var pf proof.SetupProof
	if err := pf.UnmarshalBinary(a.pf); err != nil {
		return report, fmt.Errorf("bad proof: %w", err)
	}
	var ek proof.Hash
	copy(ek[:], device.Key)
	if err := proof.VerifySetup(device.Seal.Params.ProofParams(), ek, device.Seal.Commitment(), seed, &pf); err != nil {
		return report, fmt.Errorf("bad proof: %w", err)
	}
	return report, nil
}

// final tells a miner's refusal that asking again cannot change (it is not
// this verifier's challenge, the request is malformed, the device is not
// served there) from a miner that is away or busy.
func final(err error) bool {
	switch status.Code(err) {
	case codes.Unauthenticated, codes.PermissionDenied, codes.InvalidArgument, codes.NotFound:
		return true
	}
	return false
}

// Result is a challenge's outcome with what the verifier measured.
type Result struct {
	Msg *pocpstypes.MsgSubmitChallengeResult
	// Residency and Gemm are the measured round trips, verifier clock.
	Residency, Gemm time.Duration
	// Err is why the challenge failed (nil when it passed).
	Err error
	// Transcript is everything sent and received, with the full openings
	// (the report carries only a bounded sample of them). The caller sets
	// its endpoint and commits it in Msg.TranscriptHash (TranscriptHash).
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
// device: it sends the challenge's nonce and seed, times each answer on
// its own clock, reveals its secret, audits every walk and row the secret
// selects, and builds the report. A miner that answers late fails "late";
// one that does not answer within a bounded time (4 × the deadline plus
// 1 s for a commitment, OpenTimeout for openings, never past ctx), or
// answers without the device's signature, fails "no answer"; a signed
// answer that fails the audit fails "bad proof" with that opening (and,
// for a row, the wrong entry) as evidence. residencyDeadline and
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

func positions(n uint32) []uint32 {
	out := make([]uint32, n)
	for i := range out {
		out[i] = uint32(i)
	}
	return out
}

func toSigned(os []*types.Opening) []pocpstypes.SignedOpening {
	out := make([]pocpstypes.SignedOpening, len(os))
	for i, o := range os {
		out[i] = pocpstypes.SignedOpening{Position: o.Position, Opening: o.Opening, Signature: o.Signature}
	}
	return out
}

func (v *Verifier) challenge(ctx context.Context, miner MinerAPI, hotKey string, ch pocpstypes.Challenge, device pocpstypes.Device,
	residencyDeadline, gemmDeadline time.Duration,
) *Result {
	p := device.Seal.Params.ProofParams()
	sealRoot := device.Seal.Commitment().SealRoot()
	pub := device.DevicePubkey
	sigma, sec := v.Secrets(ch)
	nonce, seed := sec.ResidencyNonce, sec.GemmSeed
	k := v.SampleSize
	if k <= 0 {
		k = 2
	}
	k = min(k, int(p.Samples))
	openTimeout := v.OpenTimeout
	if openTimeout <= 0 {
		openTimeout = 30 * time.Second
	}
	msg := &pocpstypes.MsgSubmitChallengeResult{
		HotKey: hotKey, ChallengeId: ch.Id, W: math.ZeroInt(), TranscriptHash: make([]byte, 32), VrfProof: sigma,
	}
	t := &types.ChallengeTranscript{Nonce: nonce[:], GemmSeed: seed[:], Secret: sec.ResidencySecret[:], GemmSecret: sec.GemmSecret[:]}
	res := &Result{Msg: msg, Transcript: t}
	fail := func(reason pocpstypes.FailureReason, err error) *Result {
		msg.Passed, msg.FailureReason, res.Err = false, reason, err
		if reason != pocpstypes.FAILURE_REASON_BAD_PROOF {
			// Only signed evidence goes on chain with a BAD_PROOF; the
			// commitments stay in the transcript.
			msg.ResidencyRoot, msg.ResidencyRootSignature, msg.GemmRoots, msg.GemmRootsSignature = nil, nil, nil, nil
			msg.ResidencyOpenings, msg.GemmOpenings = nil, nil
		}
		return res
	}
	badProof := func(err error, residency, gemm []pocpstypes.SignedOpening) *Result {
		msg.ResidencyOpenings, msg.GemmOpenings = residency, gemm
		return fail(pocpstypes.FAILURE_REASON_BAD_PROOF, err)
	}

	type roots struct {
		roots []proof.Hash
		sig   []byte
	}
	start := v.now()
	r, err := call(ctx, 4*residencyDeadline+time.Second, func(ctx context.Context) (roots, error) {
		root, sig, err := miner.Residency(ctx, ch.Id, nonce)
		return roots{[]proof.Hash{root}, sig}, err
	})
	res.Residency = v.now().Sub(start)
	msg.ResidencyMs = uint64(res.Residency / time.Millisecond)
	if err != nil {
		return fail(pocpstypes.FAILURE_REASON_NO_ANSWER, fmt.Errorf("residency: %w", err))
	}
	root := r.roots[0]
	if err := proof.VerifyAnswer(pub, r.sig, v.ChainID, ch.Id, proof.AnswerResidencyRoot, proof.RootPayload(nonce, root)); err != nil {
		return fail(pocpstypes.FAILURE_REASON_NO_ANSWER, fmt.Errorf("residency root: %w", err))
	}
	msg.ResidencyRoot, msg.ResidencyRootSignature = append([]byte(nil), root[:]...), r.sig
	t.ResidencyRoot, t.ResidencyRootSignature, t.ResidencyNs = msg.ResidencyRoot, r.sig, int64(res.Residency)
	t.Walks = proof.ResidencyAudit(p, nonce, root, sec.ResidencySecret)
	walks, err := call(ctx, openTimeout, func(ctx context.Context) ([]*types.Opening, error) {
		return miner.OpenResidency(ctx, ch.Id, nonce, sec.ResidencySecret, positions(p.Samples))
	})
	t.ResidencyOpenings = walks
	if err != nil {
		return fail(pocpstypes.FAILURE_REASON_NO_ANSWER, fmt.Errorf("residency openings: %w", err))
	}
	if len(walks) != int(p.Samples) {
		return fail(pocpstypes.FAILURE_REASON_NO_ANSWER, fmt.Errorf("residency openings: %d of %d", len(walks), p.Samples))
	}
	for j, o := range walks {
		if o.Position != uint32(j) {
			return fail(pocpstypes.FAILURE_REASON_NO_ANSWER, fmt.Errorf("residency opening %d at position %d", j, o.Position))
		}
		if err := proof.VerifyAnswer(pub, o.Signature, v.ChainID, ch.Id, proof.AnswerResidencyOpening, proof.OpeningPayload(sec.ResidencySecret, o.Position, proof.RootPayload(nonce, root), o.Opening)); err != nil {
			return fail(pocpstypes.FAILURE_REASON_NO_ANSWER, fmt.Errorf("residency opening %d: %w", j, err))
		}
	}
	for j, o := range walks {
		var rp proof.ResidencyProof
		err := rp.UnmarshalBinary(o.Opening)
		if err == nil && len(rp.Walks) != 1 {
			err = fmt.Errorf("%d walks in one opening", len(rp.Walks))
		}
		if err == nil {
			err = proof.VerifyWalkAt(p, sealRoot, nonce, root, sec.ResidencySecret, uint32(j), rp.Walks[0])
		}
		if err != nil {
			return badProof(fmt.Errorf("residency: %w", err), toSigned(walks[j:j+1]), nil)
		}
	}
	msg.ResidencyOpenings = toSigned(walks[:k])

	start = v.now()
	g, err := call(ctx, 4*gemmDeadline+time.Second, func(ctx context.Context) (roots, error) {
		rs, sig, err := miner.Gemm(ctx, ch.Id, seed)
		return roots{rs, sig}, err
	})
	res.Gemm = v.now().Sub(start)
	msg.GemmMs = uint64(res.Gemm / time.Millisecond)
	if err != nil {
		return fail(pocpstypes.FAILURE_REASON_NO_ANSWER, fmt.Errorf("gemm: %w", err))
	}
	if err := proof.VerifyAnswer(pub, g.sig, v.ChainID, ch.Id, proof.AnswerGemmRoots, proof.RootPayload(seed, g.roots...)); err != nil {
		return fail(pocpstypes.FAILURE_REASON_NO_ANSWER, fmt.Errorf("gemm roots: %w", err))
	}
	for _, r := range g.roots {
		msg.GemmRoots = append(msg.GemmRoots, append([]byte(nil), r[:]...))
	}
	msg.GemmRootsSignature = g.sig
	t.GemmRoots, t.GemmRootsSignature, t.GemmNs = msg.GemmRoots, g.sig, int64(res.Gemm)
	if len(g.roots) != int(p.Rounds) {
		// Signed, and wrong: any row opening proves it on chain.
		return fail(pocpstypes.FAILURE_REASON_NO_ANSWER, fmt.Errorf("gemm: %d roots for %d rounds", len(g.roots), p.Rounds))
	}
	rows, err := call(ctx, openTimeout, func(ctx context.Context) ([]*types.Opening, error) {
		return miner.OpenGemm(ctx, ch.Id, seed, sec.GemmSecret, positions(p.Samples))
	})
	t.GemmOpenings = rows
	if err != nil {
		return fail(pocpstypes.FAILURE_REASON_NO_ANSWER, fmt.Errorf("gemm openings: %w", err))
	}
	if len(rows) != int(p.Samples) {
		return fail(pocpstypes.FAILURE_REASON_NO_ANSWER, fmt.Errorf("gemm openings: %d of %d", len(rows), p.Samples))
	}
	for j, o := range rows {
		if o.Position != uint32(j) {
			return fail(pocpstypes.FAILURE_REASON_NO_ANSWER, fmt.Errorf("gemm opening %d at position %d", j, o.Position))
		}
		if err := proof.VerifyAnswer(pub, o.Signature, v.ChainID, ch.Id, proof.AnswerGemmOpening, proof.OpeningPayload(sec.GemmSecret, o.Position, proof.RootPayload(seed, g.roots...), o.Opening)); err != nil {
			return fail(pocpstypes.FAILURE_REASON_NO_ANSWER, fmt.Errorf("gemm opening %d: %w", j, err))
		}
	}
	f := proof.NewFreivalds(p, seed, sec.GemmSecret, proof.GemmAuditRounds(p, seed, sec.GemmSecret))
	refs := proof.GemmAudit(p, seed, g.roots, sec.GemmSecret)
	for j, o := range rows {
		var gp proof.GemmProof
		err := gp.UnmarshalBinary(o.Opening)
		if err == nil && len(gp.Rows) != 1 {
			err = fmt.Errorf("%d rows in one opening", len(gp.Rows))
		}
		if err == nil {
			// The chain's own check of this row (paths, a column block).
			err = proof.VerifyRowAt(p, sealRoot, seed, g.roots, sec.GemmSecret, sec.Columns, uint32(j), gp.Rows[0])
		}
		if err == nil && gp.Rows[0].Ref == refs[j] {
			// Freivalds over the whole row; a failure is located exactly.
			if ferr := proof.VerifyRowFreivalds(gp.Rows[0], f); ferr != nil {
				col, wrong := proof.WrongEntry(p, seed, gp.Rows[0])
				if !wrong {
					continue // Freivalds' 1/p false alarm: nothing provable
				}
				evidence := toSigned(rows[j : j+1])
				evidence[0].Column = col
				return badProof(fmt.Errorf("gemm: %w", ferr), nil, evidence)
			}
		}
		if err != nil {
			return badProof(fmt.Errorf("gemm: %w", err), nil, toSigned(rows[j:j+1]))
		}
	}
	msg.GemmOpenings = toSigned(rows[:k])

	switch {
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
