package proof

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A layer kept with its tree cut at any height opens every label and block
// with the same paths as the whole tree, and refuses labels that do not
// hash to the kept levels (a corrupted store) instead of opening them.
func TestCutTreeOpensLikeTheWholeTree(t *testing.T) {
	p := TinyParams()
	s, err := Seal(p, Hash{7}, nil)
	require.NoError(t, err)
	layer, whole := s.Sealed(), s.SealedTree()
	for cut := 0; cut <= p.Depth(); cut++ {
		l := Layer{Reader: Labels(layer), Tree: whole.Upper(cut)}
		require.Equal(t, cut, l.Tree.Cut)
		for _, i := range []uint64{0, 1, 5, 511, 1023} {
			o, err := l.Open(i)
			require.NoError(t, err)
			require.Equal(t, Opening{Index: i, Label: layer[i], Path: whole.Path(i)}, o, "cut %d label %d", cut, i)
			require.NoError(t, o.verify(whole.Root(), p.Depth()))
		}
		for _, w := range []uint64{2, 4, 32, 1024} {
			g := (777 / w) * w
			labels, path, err := l.Block(g, w)
			require.NoError(t, err)
			require.Equal(t, layer[g:g+w], labels)
			sub, err := NewTree(LabelLeaves(labels))
			require.NoError(t, err)
			require.NoError(t, VerifyPath(whole.Root(), sub.Root(), g/w, p.Depth()-log2(w), path), "cut %d block %d", cut, w)
		}
		_, _, err := l.Block(3, 2)
		require.ErrorContains(t, err, "aligned")
	}
	bad := append(Labels(nil), layer...)
	bad[40][0] ^= 1
	l := Layer{Reader: bad, Tree: whole.Upper(6)}
	_, err = l.Open(41)
	require.ErrorContains(t, err, "do not match the layer's tree")
	_, err = l.Open(200)
	require.NoError(t, err, "other spans still open")
	// Out of range reads are errors, not panics.
	_, err = Layer{Reader: Labels(layer[:10]), Tree: whole.Upper(2)}.Open(500)
	require.ErrorContains(t, err, "outside a layer")
}

// A scaled class keeps the class's rule that the seal is more than half of
// the (scaled) memory and that two seals do not fit.
func TestScaledClassParams(t *testing.T) {
	for _, class := range ClassNames() {
		full, _, err := ClassParams(class)
		require.NoError(t, err)
		spec, _ := Spec(class)
		for _, scale := range []uint64{1, 64, 4096} {
			p, mem, err := ScaledClassParams(class, scale)
			require.NoError(t, err, "%s/%d", class, scale)
			require.Equal(t, spec.MemoryBytes/scale, mem)
			require.Greater(t, 2*p.SealBytes(), mem, "%s/%d: the seal is more than half the memory", class, scale)
			require.LessOrEqual(t, p.SealBytes(), mem)
			require.Equal(t, full.Layers, p.Layers)
			require.Equal(t, full.Steps, p.Steps)
			if scale == 1 {
				require.Equal(t, full, p)
			}
		}
	}
	_, _, err := ScaledClassParams("h100-sxm", 3)
	require.ErrorContains(t, err, "power of two")
	_, _, err = ScaledClassParams("h100-sxm", 1<<30)
	require.ErrorContains(t, err, "under 128 KiB")
}
