package proof_test

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/loopin-project/loopin/proof"
)

// Attacks on format v2's residency step and segmented row leaf
// (docs/pocps.md §5, §6, §9): each builds the attack and asserts it is
// refused.

// A walk opening must open each step's whole aligned block. Opening half
// of it (with a valid Merkle proof of that half), a block one label off
// the aligned address, or another aligned block with valid paths is
// refused.
func TestWalkOpeningOfPartOfABlockIsRefused(t *testing.T) {
	s := sealTiny(t)
	p := s.Params
	b := p.Block()
	require.Greater(t, b, uint64(1), "the tiny params' blocks have several labels")
	sealRoot := s.Commitment().SealRoot()
	sealed, tree := s.Sealed(), s.SealedTree()
	nonce, secret := key("partial nonce"), key("partial secret")
	run, err := s.Residency(nonce)
	require.NoError(t, err)
	pf := s.OpenResidency(run, proof.ResidencyAudit(p, nonce, run.Root(), secret))
	require.NoError(t, proof.VerifyWalkAt(p, sealRoot, nonce, run.Root(), secret, 0, pf.Walks[0]))
	rd := pf.Walks[0].Reads[2]
	require.Zero(t, rd.Index%b, "honest blocks are aligned")

	attacks := map[string]proof.BlockOpening{
		// The first half of the block with the path of the half's subtree
		// root: a valid Merkle proof, but not the block the step reads.
		"half block": {Index: rd.Index, Labels: sealed[rd.Index : rd.Index+b/2], Path: tree.Path(rd.Index)[log2(b/2):]},
		// The block's labels without the last, path unchanged.
		"short block": {Index: rd.Index, Labels: rd.Labels[:b-1], Path: rd.Path},
		// The block one label further on: not aligned, so never a walk's.
		"unaligned block": {Index: rd.Index + 1, Labels: sealed[rd.Index+1 : rd.Index+1+b], Path: rd.Path},
		// Another aligned block, with its own valid path.
		"other block": func() proof.BlockOpening {
			a := (rd.Index + b) % p.Labels
			return proof.BlockOpening{Index: a, Labels: sealed[a : a+b], Path: tree.Path(a)[log2(b):]}
		}(),
	}
	for name, read := range attacks {
		bad := cloneResidency(&proof.ResidencyProof{Walks: pf.Walks[:1]})
		bad.Walks[0].Reads[2] = read
		err := proof.VerifyWalkAt(p, sealRoot, nonce, run.Root(), secret, 0, bad.Walks[0])
		require.ErrorIs(t, err, proof.ErrSampleMismatch, name)
	}

	// The whole block at the right place but one word changed: the path
	// fails; with the path "fixed" by the honest labels' root, the replay
	// fails. Every word reaches the state.
	for q := uint64(0); q < b; q++ {
		for word := 0; word < 8; word++ {
			labels := append([]proof.Hash(nil), rd.Labels...)
			labels[q][4*word] ^= 0x80
			x := proof.WalkStart(nonce, pf.Walks[0].Walk)
			for st := 0; st < 2; st++ {
				x = proof.WalkStep(x, pf.Walks[0].Reads[st].Labels)
			}
			require.NotEqual(t, proof.WalkStep(x, rd.Labels), proof.WalkStep(x, labels), "label %d word %d", q, word)
		}
	}
}

// missingDevice holds the seal with a fraction of its blocks replaced by
// zeros (it dropped them to save memory), keeps P's whole Merkle tree, and
// answers every walk over what it holds.
func missingDevice(t *testing.T, s *proof.Sealing, missing func(block uint64) bool) *proof.Sealing {
	t.Helper()
	p := s.Params
	b := p.Block()
	held := append([]proof.Hash(nil), s.Sealed()...)
	for blk := uint64(0); blk < p.Labels/b; blk++ {
		if missing(blk) {
			for q := blk * b; q < (blk+1)*b; q++ {
				held[q] = proof.Hash{}
			}
		}
	}
	return &proof.Sealing{Params: p, Key: s.Key, Layers: [][]proof.Hash{held}, Trees: []*proof.Tree{s.SealedTree()}}
}

// A device missing a fraction f of P completes a walk only when all S of
// its blocks are held, probability (1−f)^S, and passes an audit only when
// all k audited walks are complete: (1−f)^{S·k} (docs/pocps.md §9). With
// half of P zeroed, S = 8 and k = 8 that is 2⁻⁶⁴: every audit fails. With
// 1/16 missing, the fraction of complete walks is (15/16)^8 ≈ 0.60, and
// the audit passes with (15/16)^64 ≈ 1.6 %.
func TestResidencyWithPartOfPMissingFailsTheAudit(t *testing.T) {
	s := sealTiny(t)
	p := s.Params
	sealRoot := s.Commitment().SealRoot()

	half := missingDevice(t, s, func(blk uint64) bool { return blk%2 == 1 })
	for i := 0; i < 16; i++ {
		nonce, secret := key(fmt.Sprint("half nonce ", i)), key(fmt.Sprint("half secret ", i))
		run, err := half.Residency(nonce)
		require.NoError(t, err)
		pf := half.OpenResidency(run, proof.ResidencyAudit(p, nonce, run.Root(), secret))
		require.Error(t, proof.VerifyResidency(p, sealRoot, nonce, run.Root(), secret, pf), "trial %d: half of P missing passes with 2^-64", i)
	}

	sixteenth := missingDevice(t, s, func(blk uint64) bool { return blk%16 == 5 })
	var complete, walks, passed, trials int
	for i := 0; i < 64; i++ {
		nonce, secret := key(fmt.Sprint("1/16 nonce ", i)), key(fmt.Sprint("1/16 secret ", i))
		honest, err := s.Residency(nonce)
		require.NoError(t, err)
		run, err := sixteenth.Residency(nonce)
		require.NoError(t, err)
		for w := range run.Results {
			if run.Results[w] == honest.Results[w] {
				complete++
			}
			walks++
		}
		pf := sixteenth.OpenResidency(run, proof.ResidencyAudit(p, nonce, run.Root(), secret))
		err = proof.VerifyResidency(p, sealRoot, nonce, run.Root(), secret, pf)
		if err == nil {
			passed++
		} else {
			require.ErrorIs(t, err, proof.ErrBadPath, "the zeroed labels do not open against the seal root")
		}
		trials++
	}
	perWalk := math.Pow(15.0/16, float64(p.Steps))
	frac := float64(complete) / float64(walks)
	t.Logf("1/16 of P missing: %d of %d walks complete (%.3f, (15/16)^%d = %.3f); %d of %d audits passed", complete, walks, frac, p.Steps, perWalk, passed, trials)
	require.InDelta(t, perWalk, frac, 0.05, "complete walks: %d of %d", complete, walks)
	// (15/16)^64 ≈ 1.6 % per audit: about one pass in 64 trials; more than
	// 6 would be a bound broken (binomial tail < 10⁻³).
	require.LessOrEqual(t, passed, 6, "%d of %d audits passed with 1/16 of P missing", passed, trials)
}

// A row whose segment is changed after it was committed fails its path;
// a row committed with a wrong segment (the device skipped half its work
// and committed consistently) is caught by VerifyRowAt whenever the
// 32-column block falls in that segment, and by Freivalds' check always.
func TestTamperedRowSegmentFailsVerifyRowAt(t *testing.T) {
	p := proof.TinyParams()
	p.Labels, p.GemmRows, p.GemmDim, p.Rounds = 1<<12, 16, 512, 2
	require.Equal(t, 2, proof.RowSegments(int(p.GemmDim)))
	s, err := proof.Seal(p, key("segmented device"), nil)
	require.NoError(t, err)
	sealRoot := s.Commitment().SealRoot()
	seed, secret := key("segment seed"), key("segment secret")
	run, err := s.Gemm(seed)
	require.NoError(t, err)
	refs := proof.GemmAudit(p, seed, run.Roots, secret)
	pf := s.OpenGemm(run, refs)
	require.NoError(t, proof.VerifyRowAt(p, sealRoot, seed, run.Roots, secret, key("cols"), 0, pf.Rows[0]))

	tampered := cloneGemm(pf)
	tampered.Rows[0].C[proof.RowSegment+3] ^= 1 // segment 1
	require.ErrorIs(t, proof.VerifyRowAt(p, sealRoot, seed, run.Roots, secret, key("cols"), 0, tampered.Rows[0]), proof.ErrBadPath)
	swapped := cloneGemm(pf)
	row := swapped.Rows[0].C
	copy(row, append(append([]int32(nil), row[proof.RowSegment:]...), row[:proof.RowSegment]...)) // segments in the other order
	require.ErrorIs(t, proof.VerifyRowAt(p, sealRoot, seed, run.Roots, secret, key("cols"), 0, swapped.Rows[0]), proof.ErrBadPath, "segment j is bound to its position")

	// Commit every row of the last round with segment 1 zeroed.
	n, last := int(p.GemmDim), p.Rounds-1
	leaves := make([]proof.Hash, p.GemmRows)
	for r := 0; r < int(p.GemmRows); r++ {
		clear(run.C[last][r*n+proof.RowSegment : (r+1)*n])
		leaves[r] = proof.RowLeaf(run.C[last][r*n : (r+1)*n])
	}
	tree, err := proof.NewTree(leaves)
	require.NoError(t, err)
	run.Trees[last], run.Roots[last] = tree, tree.Root()
	var inSegment1, caught, audited int
	for i := 0; i < 16; i++ {
		sec := key(fmt.Sprint("segment audit ", i))
		refs := proof.GemmAudit(p, seed, run.Roots, sec)
		for j, ref := range refs {
			if ref.Round != last {
				continue
			}
			o := s.OpenGemm(run, []proof.RowRef{ref}).Rows[0]
			f := proof.NewFreivalds(p, seed, sec, []uint32{last})
			require.ErrorIs(t, proof.VerifyRowFreivalds(o, f), proof.ErrFreivalds)
			cols := key(fmt.Sprint("cols ", i, j))
			err := proof.VerifyRowAt(p, sealRoot, seed, run.Roots, sec, cols, uint32(j), o)
			if err != nil {
				require.ErrorIs(t, err, proof.ErrFreivalds)
				caught++
			}
			if c := proof.ColumnBlockStart(p, cols, uint32(j)); c >= proof.RowSegment {
				inSegment1++
				require.Error(t, err, "a block in the zeroed segment is caught")
			}
			audited++
		}
	}
	require.Positive(t, inSegment1)
	require.GreaterOrEqual(t, caught, inSegment1)
	t.Logf("%d rows audited, %d blocks in the zeroed segment, %d caught by VerifyRowAt", audited, inSegment1, caught)
}

// log2 is k with 2^k = n for a power of two n.
func log2(n uint64) int { return bits.TrailingZeros64(n) }

// Every bit of the block a walk step reads reaches the next address: a
// device cannot issue the next read before the block's last bytes have
// arrived (the mix alone would leave the address in the low bits of one
// lane, which some words' bits never reach; the fmix64 of WalkAddress
// closes that). For random states and blocks at a class's 2^28 blocks,
// flipping any one of the block's 2048 bits moves the next address.
func TestEveryBitOfABlockMovesTheNextAddress(t *testing.T) {
	p := proof.Params{Labels: 1 << 31, Layers: 1, Parents: 1, Samples: 1, Walks: 1, Steps: 1, GemmRows: 16, GemmDim: 32, Rounds: 1, WalkBlock: 8}
	require.NoError(t, p.Validate())
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 20; trial++ {
		var x proof.WalkState
		for i := range x {
			x[i] = rng.Uint32()
		}
		block := make([]proof.Hash, p.Block())
		for i := range block {
			for j := range block[i] {
				block[i][j] = byte(rng.Uint32())
			}
		}
		base := proof.WalkAddress(p, proof.WalkStep(x, block))
		stuck := 0
		for bit := 0; bit < len(block)*256; bit++ {
			flipped := append([]proof.Hash(nil), block...)
			flipped[bit/256][bit%256/8] ^= 1 << (bit % 8)
			if proof.WalkAddress(p, proof.WalkStep(x, flipped)) == base {
				stuck++
			}
		}
		require.Zero(t, stuck, "trial %d: %d of the block's bits do not move the next address", trial, stuck)
	}
}
