package proof

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Canonical binary encoding of the proofs (docs/pocps.md §11), for
// transcripts and for the bounded samples a MsgSubmitChallengeResult
// carries. Integers are big-endian except GEMM outputs (little-endian int32,
// as hashed). Decoding rejects trailing bytes and any count that the
// remaining input cannot hold, so a hostile input cannot make it allocate.
//
//	opening   = u64 index ‖ label[32] ‖ u8 len ‖ path[len][32]
//	setup     = u32 count ‖ { u32 layer ‖ opening ‖ u8 parents ‖ opening… }
//	block     = u64 index ‖ u32 labels ‖ label[labels][32] ‖ u8 len ‖ path[len][32]
//	residency = u32 count ‖ { u32 walk ‖ result[32] ‖ u8 len ‖ path… ‖ u32 reads ‖ block… }   (format v2)
//	gemm      = u32 count ‖ { u32 round ‖ u32 row ‖ u32 n ‖ C[n] int32 LE ‖ u8 len ‖ path… ‖ u32 w ‖ A[w][32] ‖ u8 len ‖ path… }

// ErrEncoding is returned when proof bytes do not decode.
var ErrEncoding = errors.New("malformed proof encoding")

type writer struct{ b []byte }

func (w *writer) u8(v uint8)   { w.b = append(w.b, v) }
func (w *writer) u32(v uint32) { w.b = binary.BigEndian.AppendUint32(w.b, v) }
func (w *writer) u64(v uint64) { w.b = binary.BigEndian.AppendUint64(w.b, v) }
func (w *writer) hash(h Hash)  { w.b = append(w.b, h[:]...) }
func (w *writer) path(p []Hash) {
	w.u8(uint8(len(p)))
	for _, h := range p {
		w.hash(h)
	}
}
func (w *writer) opening(o Opening) { w.u64(o.Index); w.hash(o.Label); w.path(o.Path) }

type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.err = fmt.Errorf("%w: need %d bytes, %d left", ErrEncoding, n, len(r.b))
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u8() uint8 {
	if b := r.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u32() uint32 {
	if b := r.take(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if b := r.take(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

func (r *reader) hash() (h Hash) {
	if b := r.take(32); b != nil {
		copy(h[:], b)
	}
	return h
}

// count reads a u32 count of items of at least minSize bytes each.
func (r *reader) count(minSize int) int {
	n := r.u32()
	if r.err == nil && uint64(n)*uint64(minSize) > uint64(len(r.b)) {
		r.err = fmt.Errorf("%w: %d items cannot fit in %d bytes", ErrEncoding, n, len(r.b))
		return 0
	}
	return int(n)
}

func (r *reader) path() []Hash {
	n := int(r.u8())
	if r.err == nil && n*32 > len(r.b) {
		r.err = fmt.Errorf("%w: path of %d hashes in %d bytes", ErrEncoding, n, len(r.b))
		return nil
	}
	p := make([]Hash, n)
	for i := range p {
		p[i] = r.hash()
	}
	return p
}

func (r *reader) opening() Opening {
	return Opening{Index: r.u64(), Label: r.hash(), Path: r.path()}
}

func (r *reader) done() error {
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%w: %d trailing bytes", ErrEncoding, len(r.b))
	}
	return r.err
}

const minOpening = 8 + 32 + 1

// minBlock is the smallest encoded block read: index, label count, path length.
const minBlock = 8 + 4 + 1

// MarshalBinary encodes the setup proof.
func (p *SetupProof) MarshalBinary() ([]byte, error) {
	w := &writer{}
	w.u32(uint32(len(p.Samples)))
	for _, s := range p.Samples {
		w.u32(s.Layer)
		w.opening(s.Label)
		w.u8(uint8(len(s.Parents)))
		for _, o := range s.Parents {
			w.opening(o)
		}
	}
	return w.b, nil
}

// UnmarshalBinary decodes a setup proof; errors wrap ErrEncoding.
func (p *SetupProof) UnmarshalBinary(b []byte) error {
	r := &reader{b: b}
	n := r.count(4 + minOpening + 1)
	p.Samples = make([]SetupSample, 0, n)
	for i := 0; i < n && r.err == nil; i++ {
		s := SetupSample{Layer: r.u32(), Label: r.opening()}
		np := int(r.u8())
		for j := 0; j < np && r.err == nil; j++ {
			s.Parents = append(s.Parents, r.opening())
		}
		p.Samples = append(p.Samples, s)
	}
	return r.done()
}

// MarshalBinary encodes the residency proof.
func (p *ResidencyProof) MarshalBinary() ([]byte, error) {
	w := &writer{}
	w.u32(uint32(len(p.Walks)))
	for _, o := range p.Walks {
		w.u32(o.Walk)
		w.hash(o.Result)
		w.path(o.ResultPath)
		w.u32(uint32(len(o.Reads)))
		for _, rd := range o.Reads {
			w.u64(rd.Index)
			w.u32(uint32(len(rd.Labels)))
			for _, l := range rd.Labels {
				w.hash(l)
			}
			w.path(rd.Path)
		}
	}
	return w.b, nil
}

// UnmarshalBinary decodes a residency proof; errors wrap ErrEncoding.
func (p *ResidencyProof) UnmarshalBinary(b []byte) error {
	r := &reader{b: b}
	n := r.count(4 + 32 + 1 + 4)
	p.Walks = make([]WalkOpening, 0, n)
	for i := 0; i < n && r.err == nil; i++ {
		o := WalkOpening{Walk: r.u32(), Result: r.hash(), ResultPath: r.path()}
		reads := r.count(minBlock)
		for j := 0; j < reads && r.err == nil; j++ {
			rd := BlockOpening{Index: r.u64()}
			nl := r.count(32)
			rd.Labels = make([]Hash, 0, nl)
			for q := 0; q < nl && r.err == nil; q++ {
				rd.Labels = append(rd.Labels, r.hash())
			}
			rd.Path = r.path()
			o.Reads = append(o.Reads, rd)
		}
		p.Walks = append(p.Walks, o)
	}
	return r.done()
}

// MarshalBinary encodes the GEMM proof.
func (p *GemmProof) MarshalBinary() ([]byte, error) {
	w := &writer{}
	w.u32(uint32(len(p.Rows)))
	for _, o := range p.Rows {
		w.u32(o.Ref.Round)
		w.u32(o.Ref.Row)
		w.u32(uint32(len(o.C)))
		for _, c := range o.C {
			w.b = binary.LittleEndian.AppendUint32(w.b, uint32(c))
		}
		w.path(o.CPath)
		w.u32(uint32(len(o.A)))
		for _, a := range o.A {
			w.hash(a)
		}
		w.path(o.APath)
	}
	return w.b, nil
}

// UnmarshalBinary decodes a GEMM proof; errors wrap ErrEncoding.
func (p *GemmProof) UnmarshalBinary(b []byte) error {
	r := &reader{b: b}
	n := r.count(4 + 4 + 4 + 1 + 4 + 1)
	p.Rows = make([]GemmRowOpening, 0, n)
	for i := 0; i < n && r.err == nil; i++ {
		o := GemmRowOpening{Ref: RowRef{Round: r.u32(), Row: r.u32()}}
		nc := r.count(4)
		if raw := r.take(4 * nc); raw != nil {
			o.C = make([]int32, nc)
			for j := range o.C {
				o.C[j] = int32(binary.LittleEndian.Uint32(raw[4*j:]))
			}
		}
		o.CPath = r.path()
		na := r.count(32)
		o.A = make([]Hash, 0, na)
		for j := 0; j < na && r.err == nil; j++ {
			o.A = append(o.A, r.hash())
		}
		o.APath = r.path()
		p.Rows = append(p.Rows, o)
	}
	return r.done()
}

// SampleBytes returns the encoded size of one sample of each proof for p:
// a setup sample with its parents, an audited walk (S blocks of B labels,
// each with its subtree path: docs/pocps.md §10), an audited GEMM row.
// A proof of j samples is 4 + j·size bytes (setup samples of layer 0 are
// smaller).
func (p Params) SampleBytes() (setup, walk, gemmRow int) {
	depth := p.Depth()
	opening := minOpening + 32*depth
	setup = 4 + opening + 1 + int(p.Parents)*opening
	b := p.Block()
	block := minBlock + 32*int(b) + 32*(depth-log2(b))
	walk = 4 + 32 + 1 + 32*log2(uint64(p.Walks)) + 4 + int(p.Steps)*block
	w := int(p.RowLabels())
	gemmRow = 4 + 4 + 4 + 4*int(p.GemmDim) + 1 + 32*log2(uint64(p.GemmRows)) + 4 + 32*w + 1 + 32*(depth-log2(uint64(w)))
	return setup, walk, gemmRow
}

// SamplesWithin returns how many samples of each proof fit in maxBytes
// (capped at Samples): the bound on what a transaction carries for the
// chain to re-check.
func (p Params) SamplesWithin(maxBytes int) (setup, walks, gemmRows int) {
	s, w, g := p.SampleBytes()
	fit := func(size int) int {
		return max(0, min(int(p.Samples), (maxBytes-4)/size))
	}
	return fit(s), fit(w), fit(g)
}
