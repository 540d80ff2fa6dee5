package proof

import (
	"errors"
	"fmt"
)

// The setup proof (docs/pocps.md §4) shows that the committed layers were
// labeled correctly. Its k samples come from a seed the device cannot know
// when it commits (a later block hash):
//
//	auditSeed = SHA-256("loopin/pocps/v1/audit-setup" ‖ seed ‖ root_0 ‖ … ‖ root_{L−1})
//	sample j: layer ℓ_j = draw(2j) mod L, index i_j = draw(2j+1) mod N
//	draw(x) = u64(SHA-256("loopin/pocps/v1/sample" ‖ auditSeed ‖ u32 x)[0:8])
//
// Each sample opens label i_j of layer ℓ_j and, for ℓ_j ≥ 1, its parents in
// layer ℓ_j−1, all with Merkle paths to the committed roots. The verifier
// recomputes the label from the parents. A device that computed a fraction f
// of a layer's labels wrongly passes with probability about (1−f)^k.

// ErrSampleMismatch is returned when a proof opens other positions than the
// seed selects.
var ErrSampleMismatch = errors.New("opened position is not the one the challenge selects")

// SetupSample is one audited label with its parents.
type SetupSample struct {
	Layer   uint32
	Label   Opening
	Parents []Opening
}

// SetupProof answers a setup challenge.
type SetupProof struct {
	Samples []SetupSample
}

// KeptLayerSamples is how many setup samples open the sealed layer P (the
// last one, the layer a device keeps): a seal with a fraction f of P not
// computed from its parents passes setup with at most (1 − f)^20, 2⁻²⁰ at
// f = ½ (docs/pocps.md §9). The other samples are drawn over all layers.
const KeptLayerSamples = 20

// KeptSamples is the number of setup samples drawn in the sealed layer:
// min(KeptLayerSamples, k − ⌊k/4⌋), so that a quarter of the samples or
// more are left for the other layers (20 of the classes' k = 32).
func (p Params) KeptSamples() uint32 { return min(KeptLayerSamples, p.Samples-p.Samples/4) }

// SetupPositions returns the (layer, index) pairs that seed selects for c:
// the first KeptSamples in the sealed layer, the rest in any layer.
func SetupPositions(p Params, c Commitment, seed Hash) (layers []uint32, indices []uint64) {
	h := newHasher(tagAuditSetup, 32+32*len(c.LayerRoots)).bytes(seed[:])
	for _, r := range c.LayerRoots {
		h.bytes(r[:])
	}
	audit := h.sum()
	kept := p.KeptSamples()
	for j := uint32(0); j < p.Samples; j++ {
		layer := p.Layers - 1
		if j >= kept {
			layer = uint32(sampleIndex(tagSample, audit, 2*j, uint64(p.Layers)))
		}
		layers = append(layers, layer)
		indices = append(indices, sampleIndex(tagSample, audit, 2*j+1, p.Labels))
	}
	return layers, indices
}

// ProveSetup answers the setup challenge seed. The sealing must still hold
// every layer (before Discard).
func (s *Sealing) ProveSetup(seed Hash) (*SetupProof, error) {
	for l, layer := range s.Layers {
		if layer == nil {
			return nil, fmt.Errorf("layer %d was discarded: the setup proof needs every layer", l)
		}
	}
	return s.View().ProveSetup(s.Commitment(), seed)
}

// VerifySetup checks a setup proof for the device key ek and commitment c
// against seed. It returns nil, or an error wrapping ErrSampleMismatch,
// ErrBadPath or ErrBadLabel that names the failing sample.
func VerifySetup(p Params, ek Hash, c Commitment, seed Hash, proof *SetupProof) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if err := c.Validate(p); err != nil {
		return err
	}
	if proof == nil || len(proof.Samples) != int(p.Samples) {
		return fmt.Errorf("%w: want %d samples", ErrSampleMismatch, p.Samples)
	}
	layers, indices := SetupPositions(p, c, seed)
	depth := p.Depth()
	var want []uint64
	parents := make([]Hash, p.Parents)
	for j, s := range proof.Samples {
		if s.Layer != layers[j] || s.Label.Index != indices[j] {
			return fmt.Errorf("sample %d: %w: opened layer %d label %d, challenge selects layer %d label %d",
				j, ErrSampleMismatch, s.Layer, s.Label.Index, layers[j], indices[j])
		}
		if err := s.Label.verify(c.LayerRoots[s.Layer], depth); err != nil {
			return fmt.Errorf("sample %d label: %w", j, err)
		}
		if s.Layer == 0 {
			if s.Label.Label != Label(ek, 0, s.Label.Index, nil) || len(s.Parents) != 0 {
				return fmt.Errorf("sample %d: %w (layer 0)", j, ErrBadLabel)
			}
			continue
		}
		want = ParentIndices(p, ek, s.Layer, s.Label.Index, want[:0])
		if len(s.Parents) != len(want) {
			return fmt.Errorf("sample %d: %w: %d parents opened, %d required", j, ErrSampleMismatch, len(s.Parents), len(want))
		}
		for q, par := range s.Parents {
			if par.Index != want[q] {
				return fmt.Errorf("sample %d parent %d: %w", j, q, ErrSampleMismatch)
			}
			if err := par.verify(c.LayerRoots[s.Layer-1], depth); err != nil {
				return fmt.Errorf("sample %d parent %d: %w", j, q, err)
			}
			parents[q] = par.Label
		}
		if Label(ek, s.Layer, s.Label.Index, parents) != s.Label.Label {
			return fmt.Errorf("sample %d: %w (layer %d label %d)", j, ErrBadLabel, s.Layer, s.Label.Index)
		}
	}
	return nil
}
