package proof

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Labeling (docs/pocps.md §3), SDR-style:
//
//	layer 0:  label[i] = SHA-256("loopin/pocps/v1/label" ‖ ek ‖ u32 0 ‖ u64 i)
//	layer ℓ:  label[i] = SHA-256("loopin/pocps/v1/label" ‖ ek ‖ u32 ℓ ‖ u64 i ‖ prev[q_0] ‖ … ‖ prev[q_{d−1}])
//
// where prev is layer ℓ−1 and the parents q_j come four at a time from
//
//	h = SHA-256("loopin/pocps/v1/parents" ‖ ek ‖ u32 ℓ ‖ u64 i ‖ u32 ⌊j/4⌋),  q_j = u64(h[8(j mod 4):+8]) mod N.
//
// Every label of a layer depends only on the layer before, so a layer is N
// independent lanes of work (one GPU thread each); the layers are sequential.

// ErrBadLabel is returned when an opened label is not the hash of its parents.
var ErrBadLabel = errors.New("label does not match its parents")

// ParentIndices appends to out the Parents indices (into layer−1) of label i
// of layer ≥ 1 and returns it.
func ParentIndices(p Params, ek Hash, layer uint32, i uint64, out []uint64) []uint64 {
	var h Hash
	for j := uint32(0); j < p.Parents; j++ {
		if j%4 == 0 {
			h = newHasher(tagParents, 48).bytes(ek[:]).u32(layer).u64(i).u32(j / 4).sum()
		}
		r := j % 4
		out = append(out, binary.BigEndian.Uint64(h[8*r:8*r+8])%p.Labels)
	}
	return out
}

// Label computes label i of layer from its parents' labels (none for layer 0).
func Label(ek Hash, layer uint32, i uint64, parents []Hash) Hash {
	h := newHasher(tagLabel, 44+32*len(parents)).bytes(ek[:]).u32(layer).u64(i)
	for _, par := range parents {
		h.bytes(par[:])
	}
	return h.sum()
}

// ComputeLayer fills out (Labels entries) with layer `layer`, reading the
// previous layer prev (nil for layer 0). It is the CPU reference of the
// labeling kernel.
func ComputeLayer(p Params, ek Hash, layer uint32, prev, out []Hash) {
	ComputeLabels(p, ek, layer, prev, out, 0, p.Labels)
}

// ComputeLabels fills out[lo:hi] of layer `layer`: the same labels as
// ComputeLayer, for one lane range, so that parallel provers share this code.
func ComputeLabels(p Params, ek Hash, layer uint32, prev, out []Hash, lo, hi uint64) {
	idx := make([]uint64, 0, p.Parents)
	parents := make([]Hash, p.Parents)
	for i := lo; i < hi; i++ {
		if layer == 0 {
			out[i] = Label(ek, 0, i, nil)
			continue
		}
		idx = ParentIndices(p, ek, layer, i, idx[:0])
		for j, q := range idx {
			parents[j] = prev[q]
		}
		out[i] = Label(ek, layer, i, parents)
	}
}

// LabelLeaves returns the Merkle leaf hashes of a layer.
func LabelLeaves(layer []Hash) []Hash {
	leaves := make([]Hash, len(layer))
	for i := range layer {
		leaves[i] = LeafHash(layer[i][:])
	}
	return leaves
}

// Sealing is the prover's state after sealing: every layer and its tree
// while the setup proof is pending, then (after Discard) only the sealed
// layer P and its tree.
type Sealing struct {
	Params Params
	Key    Hash
	// Layers[ℓ] is layer ℓ; after Discard only the last is non-nil.
	Layers [][]Hash
	// Trees[ℓ] is the Merkle tree of layer ℓ; after Discard only the last.
	Trees []*Tree
}

// Seal computes every layer and its Merkle tree on the CPU. progress, if not
// nil, is called after each layer with (layers done, layers total). It is
// the reference that GPU provers must match; memory is about
// Layers·Labels·96 bytes.
func Seal(p Params, ek Hash, progress func(done, total int)) (*Sealing, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	s := &Sealing{Params: p, Key: ek, Layers: make([][]Hash, p.Layers), Trees: make([]*Tree, p.Layers)}
	var prev []Hash
	for l := uint32(0); l < p.Layers; l++ {
		layer := make([]Hash, p.Labels)
		ComputeLayer(p, ek, l, prev, layer)
		tree, err := NewTree(LabelLeaves(layer))
		if err != nil {
			return nil, err
		}
		s.Layers[l], s.Trees[l] = layer, tree
		prev = layer
		if progress != nil {
			progress(int(l)+1, int(p.Layers))
		}
	}
	return s, nil
}

// Commitment returns the seal commitment registered on chain: the Merkle
// root of every layer, in order. The last root commits the sealed layer P.
func (s *Sealing) Commitment() Commitment { return s.View().Commitment() }

// Sealed returns the sealed layer P (the last layer).
func (s *Sealing) Sealed() []Hash { return s.Layers[len(s.Layers)-1] }

// SealedTree returns the Merkle tree of P.
func (s *Sealing) SealedTree() *Tree { return s.Trees[len(s.Trees)-1] }

// Discard drops every layer but P, as a device does once its setup proof
// has passed.
func (s *Sealing) Discard() {
	for l := 0; l < len(s.Layers)-1; l++ {
		s.Layers[l], s.Trees[l] = nil, nil
	}
}

// Commitment is a device's seal commitment: the root of each layer's tree.
type Commitment struct {
	LayerRoots []Hash
}

// SealRoot is the root of the sealed layer P.
func (c Commitment) SealRoot() Hash { return c.LayerRoots[len(c.LayerRoots)-1] }

// Validate checks that c fits p.
func (c Commitment) Validate(p Params) error {
	if len(c.LayerRoots) != int(p.Layers) {
		return fmt.Errorf("%w: commitment has %d layer roots, params say %d layers", ErrInvalidParams, len(c.LayerRoots), p.Layers)
	}
	return nil
}

// Opening is one opened label: its index, value and Merkle path.
type Opening struct {
	Index uint64
	Label Hash
	Path  []Hash
}

// verify checks the opening against root for a tree of 2^depth leaves.
func (o Opening) verify(root Hash, depth int) error {
	return VerifyPath(root, LeafHash(o.Label[:]), o.Index, depth, o.Path)
}
