package proof

import (
	"crypto/sha256"
	"errors"
	"fmt"
)

// Merkle trees (docs/pocps.md §2): binary, over a power-of-two number of
// leaves, with domain-separated leaf and node hashes (RFC 6962 style):
//
//	leaf = SHA-256(0x00 ‖ data)      node = SHA-256(0x01 ‖ left ‖ right)
//
// A path lists the sibling hashes from the leaf's level up to the level
// below the root; the leaf index gives the side at each level.

// ErrBadPath is returned when a Merkle path does not lead to the root.
var ErrBadPath = errors.New("merkle path does not match the root")

// LeafHash is the Merkle leaf hash of data.
func LeafHash(data []byte) Hash {
	buf := make([]byte, 1+len(data))
	copy(buf[1:], data)
	return sha256.Sum256(buf)
}

// NodeHash is the Merkle node hash of two children.
func NodeHash(left, right Hash) Hash {
	var buf [65]byte
	buf[0] = 1
	copy(buf[1:33], left[:])
	copy(buf[33:], right[:])
	return sha256.Sum256(buf[:])
}

// Tree holds the levels of a Merkle tree from height Cut up: Levels[0] are
// the leaf hashes when Cut = 0 (the whole tree, 2·leaves·32 bytes), or the
// roots of the subtrees of 2^Cut leaves (2·leaves·32/2^Cut bytes: a prover
// at class size keeps this and recomputes the levels below from the
// labels, Layer.Block); the last level is the root alone.
type Tree struct {
	Levels [][]Hash
	Cut    int
}

// Upper returns the levels of t from height cut up (t itself when cut is
// at or below t.Cut; the root alone when cut is above the root).
func (t *Tree) Upper(cut int) *Tree {
	if cut <= t.Cut {
		return t
	}
	drop := min(cut-t.Cut, len(t.Levels)-1)
	return &Tree{Levels: append([][]Hash(nil), t.Levels[drop:]...), Cut: t.Cut + drop}
}

// upperPath returns the siblings of node i of Levels[lvl], bottom-up.
func (t *Tree) upperPath(lvl int, i uint64) []Hash {
	path := make([]Hash, 0, len(t.Levels)-1-lvl)
	for _, l := range t.Levels[lvl : len(t.Levels)-1] {
		path = append(path, l[i^1])
		i >>= 1
	}
	return path
}

// NewTree builds the tree over leaf hashes; len(leaves) must be a power of
// two ≥ 1.
func NewTree(leaves []Hash) (*Tree, error) {
	if !isPow2(uint64(len(leaves))) {
		return nil, fmt.Errorf("merkle tree needs a power-of-two number of leaves, got %d", len(leaves))
	}
	t := &Tree{Levels: [][]Hash{leaves}}
	for lvl := leaves; len(lvl) > 1; {
		next := make([]Hash, len(lvl)/2)
		for i := range next {
			next[i] = NodeHash(lvl[2*i], lvl[2*i+1])
		}
		t.Levels = append(t.Levels, next)
		lvl = next
	}
	return t, nil
}

// Root returns the root hash.
func (t *Tree) Root() Hash { return t.Levels[len(t.Levels)-1][0] }

// Path returns the siblings of leaf i, from the bottom up. t must be whole
// (Cut = 0); a cut tree's paths come from Layer.Block.
func (t *Tree) Path(i uint64) []Hash {
	if t.Cut != 0 {
		panic("proof: Path of a cut tree (use Layer.Block)")
	}
	return t.upperPath(0, i)
}

// VerifyPath checks that leaf (a leaf hash) sits at index i of a tree with
// 2^depth leaves and the given root. It returns ErrBadPath otherwise.
func VerifyPath(root, leaf Hash, i uint64, depth int, path []Hash) error {
	if len(path) != depth {
		return fmt.Errorf("%w: path has %d hashes, tree depth is %d", ErrBadPath, len(path), depth)
	}
	if depth < 64 && i>>uint(depth) != 0 {
		return fmt.Errorf("%w: index %d outside a tree of 2^%d leaves", ErrBadPath, i, depth)
	}
	h := leaf
	for _, sib := range path {
		if i&1 == 0 {
			h = NodeHash(h, sib)
		} else {
			h = NodeHash(sib, h)
		}
		i >>= 1
	}
	if h != root {
		return ErrBadPath
	}
	return nil
}

func isPow2(n uint64) bool { return n != 0 && n&(n-1) == 0 }

// log2 returns k with 2^k = n for a power of two n.
func log2(n uint64) int {
	k := 0
	for n > 1 {
		n >>= 1
		k++
	}
	return k
}
