package proof_test

import (
	"encoding"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/loopin-project/loopin/proof"
)

type binaryProof interface {
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}

func TestEncodingRoundTripAndSizes(t *testing.T) {
	s := sealTiny(t)
	p := s.Params
	setup, err := s.ProveSetup(key("seed"))
	require.NoError(t, err)
	sealRoot := s.Commitment().SealRoot()
	run, err := s.Residency(key("n"))
	require.NoError(t, err)
	res := s.OpenResidency(run, proof.ResidencyAudit(p, key("n"), run.Root(), key("s")))
	g, err := s.Gemm(key("g"))
	require.NoError(t, err)
	gemm := s.OpenGemm(g, proof.GemmAudit(p, key("g"), g.Roots, key("s")))

	setupSize, walkSize, rowSize := p.SampleBytes()
	for _, c := range []struct {
		in, out binaryProof
		maxSize int
	}{
		{setup, &proof.SetupProof{}, 4 + int(p.Samples)*setupSize},
		{res, &proof.ResidencyProof{}, 4 + int(p.Samples)*walkSize},
		{gemm, &proof.GemmProof{}, 4 + int(p.Samples)*rowSize},
	} {
		bz, err := c.in.MarshalBinary()
		require.NoError(t, err)
		require.LessOrEqual(t, len(bz), c.maxSize, "%T is within its bound", c.in)
		require.NoError(t, c.out.UnmarshalBinary(bz))
		require.Equal(t, c.in, c.out)
		// Truncated or padded input is refused.
		require.ErrorIs(t, c.out.UnmarshalBinary(bz[:len(bz)-1]), proof.ErrEncoding)
		require.ErrorIs(t, c.out.UnmarshalBinary(append(bz, 0)), proof.ErrEncoding)
	}
	// The decoded proofs still verify.
	var res2 proof.ResidencyProof
	bz, _ := res.MarshalBinary()
	require.NoError(t, res2.UnmarshalBinary(bz))
	require.NoError(t, proof.VerifyResidency(p, sealRoot, key("n"), run.Root(), key("s"), &res2))
}

// At class sizes a transaction-sized budget still carries a useful sample
// of every proof for the chain to re-check.
func TestClassSamplesFitATransaction(t *testing.T) {
	const budget = 256 << 10
	for _, class := range proof.ClassNames() {
		p, _, err := proof.ClassParams(class)
		require.NoError(t, err)
		setup, walks, rows := p.SamplesWithin(budget)
		require.GreaterOrEqual(t, setup, 16, class)
		require.GreaterOrEqual(t, walks, 4, class)
		require.GreaterOrEqual(t, rows, 2, class)
	}
}

func FuzzDecodeProofs(f *testing.F) {
	s := sealTiny(f)
	setup, err := s.ProveSetup(key("seed"))
	require.NoError(f, err)
	bz, _ := setup.MarshalBinary()
	f.Add(uint8(0), bz)
	run, _ := s.Residency(key("n"))
	bz, _ = s.OpenResidency(run, []uint32{1, 2}).MarshalBinary()
	f.Add(uint8(1), bz)
	g, _ := s.Gemm(key("g"))
	bz, _ = s.OpenGemm(g, []proof.RowRef{{Round: 1, Row: 3}}).MarshalBinary()
	f.Add(uint8(2), bz)
	f.Add(uint8(2), []byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		var target binaryProof
		switch which % 3 {
		case 0:
			target = &proof.SetupProof{}
		case 1:
			target = &proof.ResidencyProof{}
		default:
			target = &proof.GemmProof{}
		}
		if err := target.UnmarshalBinary(b); err != nil {
			require.ErrorIs(t, err, proof.ErrEncoding)
			return
		}
		// Whatever decodes re-encodes to the same bytes.
		again, err := target.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, b, again)
	})
}

// A walk read whose label count the input cannot hold is refused before
// anything is allocated for it (format v2's block reads).
func TestResidencyBlockCountIsBounded(t *testing.T) {
	b := []byte{0, 0, 0, 1} // one walk
	b = append(b, 0, 0, 0, 7)
	b = append(b, make([]byte, 32)...) // result
	b = append(b, 0)                   // empty result path
	b = append(b, 0, 0, 0, 1)          // one read
	b = append(b, make([]byte, 8)...)  // index
	b = append(b, 0xff, 0xff, 0xff, 0xff)
	b = append(b, make([]byte, 64)...)
	var rp proof.ResidencyProof
	require.ErrorIs(t, rp.UnmarshalBinary(b), proof.ErrEncoding)
	// The same read with a count that fits decodes.
	copy(b[4+4+32+1+4+8:], []byte{0, 0, 0, 2})
	b = append(b, 0) // empty path after the two labels
	require.NoError(t, rp.UnmarshalBinary(b))
	require.Len(t, rp.Walks[0].Reads[0].Labels, 2)
}
