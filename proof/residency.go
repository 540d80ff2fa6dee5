package proof

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Residency (docs/pocps.md §5): W independent walks of S dependent reads
// over the sealed layer P, from the verifier's nonce:
//
//	x_0 = SHA-256("loopin/pocps/v1/walk-start" ‖ nonce ‖ u32 w)
//	a_s = u64(x_s[0:8]) mod N
//	x_{s+1} = SHA-256("loopin/pocps/v1/walk-step" ‖ x_s ‖ P[a_s])
//	y_w = x_S
//
// Each read's address depends on the previous read, so the walk cannot start
// before the data arrives: its time is S memory latencies, and W walks in
// parallel measure the bandwidth of wherever P lives (HBM, PCIe, disk). The
// device commits root = Merkle(leaf(y_0), …, leaf(y_{W−1})) before it learns
// which walks are audited:
//
//	audit = SHA-256("loopin/pocps/v1/audit-residency" ‖ nonce ‖ root ‖ verifierSecret)
//	walk j = draw(audit, j) mod W
//
// verifierSecret is the verifier's, revealed to the device only after the
// root, so the device cannot grind the root to dodge the audit.

// ErrBadWalk is returned when an audited walk does not replay to its result.
var ErrBadWalk = errors.New("residency walk does not replay to the committed result")

// WalkStart is the initial state of walk w.
func WalkStart(nonce Hash, w uint32) Hash {
	return newHasher(tagWalkStart, 36).bytes(nonce[:]).u32(w).sum()
}

// WalkAddress is the label index a walk in state x reads next.
func WalkAddress(x Hash, labels uint64) uint64 {
	return binary.BigEndian.Uint64(x[:8]) % labels
}

// WalkStep is the state after reading label.
func WalkStep(x, label Hash) Hash {
	return newHasher(tagWalkStep, 64).bytes(x[:]).bytes(label[:]).sum()
}

// Walk runs walk w over P and returns y_w. It is the CPU reference of the
// residency kernel.
func Walk(p Params, sealed []Hash, nonce Hash, w uint32) Hash {
	x := WalkStart(nonce, w)
	for s := uint32(0); s < p.Steps; s++ {
		x = WalkStep(x, sealed[WalkAddress(x, p.Labels)])
	}
	return x
}

// ResidencyRun is the prover's result of one residency challenge.
type ResidencyRun struct {
	Nonce   Hash
	Results []Hash // y_w for every walk
	Tree    *Tree  // over leaf(y_w)
}

// Root is the residency commitment sent to the verifier.
func (r *ResidencyRun) Root() Hash { return r.Tree.Root() }

// Residency runs all W walks on the CPU and commits them.
func (s *Sealing) Residency(nonce Hash) (*ResidencyRun, error) {
	p := s.Params
	sealed := s.Sealed()
	results := make([]Hash, p.Walks)
	leaves := make([]Hash, p.Walks)
	for w := range results {
		results[w] = Walk(p, sealed, nonce, uint32(w))
		leaves[w] = LeafHash(results[w][:])
	}
	tree, err := NewTree(leaves)
	if err != nil {
		return nil, err
	}
	return &ResidencyRun{Nonce: nonce, Results: results, Tree: tree}, nil
}

// ResidencyAudit returns the walks audited for a committed root.
func ResidencyAudit(p Params, nonce, root, verifierSecret Hash) []uint32 {
	audit := newHasher(tagAuditRes, 96).bytes(nonce[:]).bytes(root[:]).bytes(verifierSecret[:]).sum()
	walks := make([]uint32, p.Samples)
	for j := range walks {
		walks[j] = uint32(sampleIndex(tagSample, audit, uint32(j), uint64(p.Walks)))
	}
	return walks
}

// WalkOpening proves one walk: its result with a path to the residency
// root, and the S labels it read with paths to the seal root.
type WalkOpening struct {
	Walk       uint32
	Result     Hash
	ResultPath []Hash
	Reads      []Opening
}

// ResidencyProof answers the audit of a residency challenge.
type ResidencyProof struct {
	Walks []WalkOpening
}

// OpenResidency returns the openings of the audited walks.
func (s *Sealing) OpenResidency(run *ResidencyRun, walks []uint32) *ResidencyProof {
	proof, err := s.View().OpenResidency(run, walks)
	if err != nil {
		panic("proof: opening an in-memory seal: " + err.Error())
	}
	return proof
}

// VerifyResidency checks the audited walks of a residency commitment root
// against the seal root. It returns nil, or an error wrapping
// ErrSampleMismatch, ErrBadPath or ErrBadWalk naming the failing walk. The
// timing is the verifier's to judge; this checks only the answers.
func VerifyResidency(p Params, sealRoot, nonce, root, verifierSecret Hash, proof *ResidencyProof) error {
	if err := p.Validate(); err != nil {
		return err
	}
	want := ResidencyAudit(p, nonce, root, verifierSecret)
	if proof == nil || len(proof.Walks) != len(want) {
		return fmt.Errorf("%w: want %d audited walks", ErrSampleMismatch, len(want))
	}
	for j, o := range proof.Walks {
		if o.Walk != want[j] {
			return fmt.Errorf("walk sample %d: %w: opened walk %d, audit selects %d", j, ErrSampleMismatch, o.Walk, want[j])
		}
		if err := verifyWalk(p, sealRoot, nonce, root, o); err != nil {
			return err
		}
	}
	return nil
}

// verifyWalk replays one opened walk: its result's path to root and each
// read's path to the seal root.
func verifyWalk(p Params, sealRoot, nonce, root Hash, o WalkOpening) error {
	depth, walkDepth := p.Depth(), log2(uint64(p.Walks))
	if err := VerifyPath(root, LeafHash(o.Result[:]), uint64(o.Walk), walkDepth, o.ResultPath); err != nil {
		return fmt.Errorf("walk %d result: %w", o.Walk, err)
	}
	if len(o.Reads) != int(p.Steps) {
		return fmt.Errorf("walk %d: %w: %d reads opened, %d steps", o.Walk, ErrSampleMismatch, len(o.Reads), p.Steps)
	}
	x := WalkStart(nonce, o.Walk)
	for st, rd := range o.Reads {
		if rd.Index != WalkAddress(x, p.Labels) {
			return fmt.Errorf("walk %d step %d: %w", o.Walk, st, ErrSampleMismatch)
		}
		if err := rd.verify(sealRoot, depth); err != nil {
			return fmt.Errorf("walk %d step %d: %w", o.Walk, st, err)
		}
		x = WalkStep(x, rd.Label)
	}
	if x != o.Result {
		return fmt.Errorf("walk %d: %w", o.Walk, ErrBadWalk)
	}
	return nil
}
