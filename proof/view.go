package proof

import (
	"fmt"
)

// A prover at class size cannot hold every layer and every Merkle tree in
// host memory (8 layers of a 64 GiB seal, and trees twice that). It keeps
// each layer where it can (device memory, a host buffer, a disk cache, or
// nowhere until it re-seals) behind a LayerReader, and of each tree only
// the levels from a cut height up (Tree.Cut): the path below the cut is
// recomputed from the 2^Cut labels of the block that holds the label
// (docs/pocps.md §7, "Memory"). SealView opens the proofs from such a seal;
// Sealing (every layer in memory) is the special case Cut = 0.

// LayerReader reads the labels of one layer.
type LayerReader interface {
	// ReadLabels copies labels [first, first+len(out)) into out. Errors:
	// the range is outside the layer, or the storage failed.
	ReadLabels(first uint64, out []Hash) error
}

// Labels is a layer held in memory.
type Labels []Hash

// ReadLabels implements LayerReader.
func (l Labels) ReadLabels(first uint64, out []Hash) error {
	if first > uint64(len(l)) || uint64(len(out)) > uint64(len(l))-first {
		return fmt.Errorf("labels [%d, %d) outside a layer of %d", first, first+uint64(len(out)), len(l))
	}
	copy(out, l[first:])
	return nil
}

// Layer is one layer as a prover holds it: where its labels are, and its
// tree (whole, or from Tree.Cut up).
type Layer struct {
	Reader LayerReader
	Tree   *Tree
}

// Block returns the w labels [g, g+w) of the layer (w a power of two, g a
// multiple of w) and the path of their subtree's root to the layer's root
// (depth − log2 w hashes, bottom-up). A single label is w = 1. It reads
// max(w, 2^Cut) labels. Errors: a misaligned block, the reader's, or, when
// the path is rebuilt from the span below the cut, a span that does not
// hash to the kept node (a corrupted store).
func (l Layer) Block(g, w uint64) (labels, path []Hash, err error) {
	if !isPow2(w) || g%w != 0 {
		return nil, nil, fmt.Errorf("block of %d labels at %d: not an aligned power of two", w, g)
	}
	t := l.Tree
	span := uint64(1) << t.Cut
	height := log2(w) // the height of the block's subtree root
	if w >= span {
		// The path is all in the kept levels; the labels are what the
		// store holds (not checked against the tree here: a verifier does).
		labels = make([]Hash, w)
		if err := l.Reader.ReadLabels(g, labels); err != nil {
			return nil, nil, err
		}
		lvl := height - t.Cut
		if lvl >= len(t.Levels) {
			return nil, nil, fmt.Errorf("block of %d labels larger than the layer", w)
		}
		return labels, t.upperPath(lvl, g/w), nil
	}
	// The block lies inside one 2^Cut span: read the span, rebuild its
	// subtree, and take the path from the block's height to the cut.
	start := g &^ (span - 1)
	all := make([]Hash, span)
	if err := l.Reader.ReadLabels(start, all); err != nil {
		return nil, nil, err
	}
	sub, err := NewTree(LabelLeaves(all))
	if err != nil {
		return nil, nil, err
	}
	if sub.Root() != t.Levels[0][start/span] {
		return nil, nil, fmt.Errorf("labels [%d, %d) do not match the layer's tree", start, start+span)
	}
	i := (g - start) / w
	for _, lvl := range sub.Levels[height : len(sub.Levels)-1] {
		path = append(path, lvl[i^1])
		i >>= 1
	}
	path = append(path, t.upperPath(0, start/span)...)
	return all[g-start : g-start+w], path, nil
}

// Open returns the opening of label i (its value and leaf path).
func (l Layer) Open(i uint64) (Opening, error) {
	labels, path, err := l.Block(i, 1)
	if err != nil {
		return Opening{}, err
	}
	return Opening{Index: i, Label: labels[0], Path: path}, nil
}

// SealView is a seal as a prover holds it: every layer until Discard, then
// the sealed layer P only. It answers the setup proof and opens residency
// and GEMM answers whatever the layers' storage.
type SealView struct {
	Params Params
	Key    Hash
	// Layers[ℓ] is layer ℓ; a Layer with a nil Reader is not held.
	Layers []Layer
}

// View returns s as a SealView (every layer in memory, whole trees).
func (s *Sealing) View() *SealView {
	v := &SealView{Params: s.Params, Key: s.Key, Layers: make([]Layer, len(s.Layers))}
	for l := range s.Layers {
		if s.Layers[l] != nil {
			v.Layers[l] = Layer{Reader: Labels(s.Layers[l]), Tree: s.Trees[l]}
		}
	}
	return v
}

// Commitment returns the layer roots, from the kept trees.
func (v *SealView) Commitment() Commitment {
	roots := make([]Hash, len(v.Layers))
	for l, layer := range v.Layers {
		if layer.Tree == nil {
			panic("proof: commitment of a discarded layer")
		}
		roots[l] = layer.Tree.Root()
	}
	return Commitment{LayerRoots: roots}
}

// Sealed returns the sealed layer P.
func (v *SealView) Sealed() Layer { return v.Layers[len(v.Layers)-1] }

// ProveSetup answers the setup challenge seed for commitment c from the
// held layers. Errors: a needed layer is not held, or its reader's.
func (v *SealView) ProveSetup(c Commitment, seed Hash) (*SetupProof, error) {
	p := v.Params
	layers, indices := SetupPositions(p, c, seed)
	need := func(l uint32) (Layer, error) {
		if v.Layers[l].Reader == nil {
			return Layer{}, fmt.Errorf("layer %d is not held: the setup proof needs every layer", l)
		}
		return v.Layers[l], nil
	}
	proof := &SetupProof{}
	var parents []uint64
	for j := range layers {
		l, i := layers[j], indices[j]
		layer, err := need(l)
		if err != nil {
			return nil, err
		}
		o, err := layer.Open(i)
		if err != nil {
			return nil, fmt.Errorf("setup sample %d: %w", j, err)
		}
		sample := SetupSample{Layer: l, Label: o}
		if l > 0 {
			prev, err := need(l - 1)
			if err != nil {
				return nil, err
			}
			parents = ParentIndices(p, v.Key, l, i, parents[:0])
			for _, q := range parents {
				po, err := prev.Open(q)
				if err != nil {
					return nil, fmt.Errorf("setup sample %d parent: %w", j, err)
				}
				sample.Parents = append(sample.Parents, po)
			}
		}
		proof.Samples = append(proof.Samples, sample)
	}
	return proof, nil
}

// OpenResidency returns the openings of the given walks of run, replaying
// each walk against P. Errors: the reader's.
func (v *SealView) OpenResidency(run *ResidencyRun, walks []uint32) (*ResidencyProof, error) {
	p := v.Params
	b := p.Block()
	sealed := v.Sealed()
	proof := &ResidencyProof{}
	for _, w := range walks {
		o := WalkOpening{Walk: w, Result: run.Results[w], ResultPath: run.Tree.Path(uint64(w))}
		x := WalkStart(run.Nonce, w)
		for st := uint32(0); st < p.Steps; st++ {
			a := WalkAddress(p, x)
			labels, path, err := sealed.Block(a, b)
			if err != nil {
				return nil, fmt.Errorf("walk %d step %d: %w", w, st, err)
			}
			o.Reads = append(o.Reads, BlockOpening{Index: a, Labels: labels, Path: path})
			x = WalkStep(x, labels)
		}
		proof.Walks = append(proof.Walks, o)
	}
	return proof, nil
}

// OpenGemm returns the openings of the audited rows of run. row gives the
// output row of a ref (nil: from run.C); a prover that keeps only the
// rounds' trees recomputes it. Errors: row's or the reader's.
func (v *SealView) OpenGemm(run *GemmRun, refs []RowRef, row func(RowRef) ([]int32, error)) (*GemmProof, error) {
	p := v.Params
	n := int(p.GemmDim)
	if row == nil {
		row = func(ref RowRef) ([]int32, error) {
			return append([]int32(nil), run.C[ref.Round][int(ref.Row)*n:(int(ref.Row)+1)*n]...), nil
		}
	}
	sealed := v.Sealed()
	proof := &GemmProof{}
	for _, ref := range refs {
		prev := run.Seed
		if ref.Round > 0 {
			prev = run.Roots[ref.Round-1]
		}
		c, err := row(ref)
		if err != nil {
			return nil, fmt.Errorf("row %+v: %w", ref, err)
		}
		a, path, err := sealed.Block(GatherIndex(p, prev, ref.Row), p.RowLabels())
		if err != nil {
			return nil, fmt.Errorf("row %+v: %w", ref, err)
		}
		proof.Rows = append(proof.Rows, GemmRowOpening{Ref: ref, C: c, CPath: run.Trees[ref.Round].Path(uint64(ref.Row)), A: a, APath: path})
	}
	return proof, nil
}
