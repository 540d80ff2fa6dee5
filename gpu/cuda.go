//go:build cgo && linux

package gpu

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/loopin-project/loopin/proof"
)

// CUDA is the GPU backend: the kernels of gpu/kernels on device 0 through
// the driver API (docs/pocps.md §7, "Memory").
//
// The device holds the sealed layer P and bounded work buffers, never two
// layers: sealing labels layer ℓ in chunks against layer ℓ−1 on the
// device, streams each finished chunk to the host (memory or
// SealOptions.CacheDir), and then copies the finished layer over ℓ−1. The
// host keeps each layer's Merkle tree from height treeCut up; paths below
// are rebuilt from 2^treeCut labels. Residency and GEMM rounds run as
// back-to-back launches with their trees built on the device; only roots
// come back before the answer, and openings read what they need later. A
// GEMM audit recomputes its rows from P and the seed.
type CUDA struct {
	d *driver
	// kernel is the GEMM-round kernel set (Options.Kernel): KernelTiled or
	// KernelSimple.
	kernel string
}

const threads = 128

// maxChunkLabels bounds one labeling launch: the chunk's labels, leaf
// hashes and tree levels (96 bytes a label, 96 MiB at 2^20) are all the
// device holds while sealing besides the previous layer.
const maxChunkLabels = 1 << 20

// maxTreeCut is the height from which the host keeps every layer's tree:
// 2·N/1024 hashes a layer (128 MiB for a 64 GiB layer), and an opening
// reads 1024 labels (32 KiB).
const maxTreeCut = 10

// maxHostLayers: a seal whose layers together fit in this many bytes keeps
// every layer in host memory, so its setup proof needs no re-seal.
var maxHostLayers uint64 = 1 << 30

func treeCut(p proof.Params) int { return min(maxTreeCut, p.Depth()) }

func openCUDA(o Options) (Prover, error) {
	kernel := o.Kernel
	switch kernel {
	case "":
		kernel = KernelTiled
	case KernelTiled, KernelSimple:
	default:
		return nil, fmt.Errorf("unknown kernel set %q: use %s or %s", o.Kernel, KernelTiled, KernelSimple)
	}
	d, err := newDriver()
	if err != nil {
		return nil, err
	}
	d.kernel = kernel
	return &CUDA{d: d, kernel: kernel}, nil
}

// Info reports the device, its memory, driver, compute capability and the
// PTX loaded (with the reason for a fallback).
func (c *CUDA) Info() Info { return c.d.describe() }

// Memory reports the device memory this prover holds and has held, and
// the process's peak resident memory. It takes no lock: a seal's progress
// callback may call it.
func (c *CUDA) Memory() Memory {
	var m Memory
	m.DeviceInUse, m.DevicePeak = c.d.inUse.Load(), c.d.peak.Load()
	m.HostPeak = hostPeak()
	return m
}

// Close unloads the module and releases the primary context.
func (c *CUDA) Close() error { c.d.close(); return nil }

// answerBytes is the device memory a sealed device needs besides P to
// answer: a residency run kept until it is opened (results, leaves, tree),
// a GEMM run (B twice, A, C, the segment hashes, the rounds' trees, their
// B seeds) and the buffers of a GEMM audit's recomputation, which can all
// be held at once (a verifier need not open a run before the next).
func answerBytes(p proof.Params) uint64 {
	w, m, n, r := uint64(p.Walks), uint64(p.GemmRows), uint64(p.GemmDim), uint64(p.Rounds)
	residency := 3*w*32 + 32
	gemm := 2*n*n + m*n + 4*m*n + m*segments(p)*32 + r*(2*m-1)*32 + r*32 + 32
	audit := 2*n*n + 16*n + 16*4*n + 32
	return residency + gemm + audit
}

// segments is K, the segments of a GEMM output row (proof.RowSegments).
func segments(p proof.Params) uint64 { return uint64(proof.RowSegments(int(p.GemmDim))) }

// planChunk picks the labels of one labeling launch for a seal of p on a
// device with free bytes (held by nobody else), or says why it does not
// fit, with the numbers.
func planChunk(p proof.Params, free, total uint64) (uint64, error) {
	seal, answer := p.SealBytes(), answerBytes(p)
	chunk := min(uint64(maxChunkLabels), p.Labels)
	least := uint64(1) << treeCut(p)
	left := uint64(0)
	if free > seal+answer {
		left = free - seal - answer
	}
	for chunk > least && 3*32*chunk > left {
		chunk /= 2
	}
	if need := seal + max(answer, 3*32*chunk); need > free {
		return 0, fmt.Errorf("%w: a seal of %s needs %s of device memory (P %s, then %s to label it in chunks and %s to answer); %s of %s is free — "+
			"is another seal (a second miner sidecar) on this GPU?",
			ErrDeviceMemory, FormatBytes(seal), FormatBytes(need), FormatBytes(seal), FormatBytes(3*32*chunk), FormatBytes(answer), FormatBytes(free), FormatBytes(total))
	}
	return chunk, nil
}

// layerStore is where a finished layer's labels wait on the host.
type layerStore interface {
	proof.LayerReader
	write(first uint64, labels []proof.Hash) error
	remove()
}

// memStore is a layer in host memory.
type memStore struct{ proof.Labels }

func (m memStore) write(first uint64, labels []proof.Hash) error {
	copy(m.Labels[first:], labels)
	return nil
}
func (memStore) remove() {}

// fileStore is a layer in a cache file (Labels·32 bytes).
type fileStore struct{ f *os.File }

func newFileStore(dir string, layer uint32, labels uint64) (*fileStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("layer-%d.bin", layer)), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Truncate(int64(labels * 32)); err != nil {
		f.Close()
		return nil, fmt.Errorf("seal cache %s: %w", f.Name(), err)
	}
	return &fileStore{f: f}, nil
}

func (s *fileStore) write(first uint64, labels []proof.Hash) error {
	_, err := s.f.WriteAt(hashBytes(labels), int64(first*32))
	return err
}

func (s *fileStore) ReadLabels(first uint64, out []proof.Hash) error {
	_, err := s.f.ReadAt(hashBytes(out), int64(first*32))
	if err != nil {
		return fmt.Errorf("seal cache %s: labels [%d, %d): %w", s.f.Name(), first, first+uint64(len(out)), err)
	}
	return nil
}

func (s *fileStore) remove() {
	s.f.Close()
	os.Remove(s.f.Name())
}

// devLayer reads labels of a layer held in device memory.
type devLayer struct {
	d   *driver
	buf devBuf
}

func (l devLayer) ReadLabels(first uint64, out []proof.Hash) error {
	n := uint64(len(out))
	if first > l.buf.size/32 || n > l.buf.size/32-first {
		return fmt.Errorf("labels [%d, %d) outside a layer of %d", first, first+n, l.buf.size/32)
	}
	return l.d.do(func() error { return l.d.download(l.buf.at(first*32, n*32), hashBytes(out)) })
}

// levels queues the Merkle levels above count leaf hashes (a power of two)
// in leaves, writing them one after another into scratch (count−1 hashes),
// and returns every level as a view, leaves first, the root last.
//
// The tiled kernel set builds up to 9 levels a launch in shared memory
// (merkle_levels), the simple one a level a launch (merkle_level); the
// nodes are the same.
func (d *driver) levels(leaves devBuf, count uint64, scratch devBuf) ([]devBuf, error) {
	lv := []devBuf{leaves.at(0, count*32)}
	off := uint64(0)
	for n := count / 2; n >= 1; {
		if d.kernel == KernelSimple {
			out := scratch.at(off, n*32)
			if err := d.launch("merkle_level", n, threads, lv[len(lv)-1], out, n); err != nil {
				return nil, err
			}
			lv = append(lv, out)
			off += n * 32
			n /= 2
			continue
		}
		grid, block, levels := merkleLevelsLaunch(n)
		in := lv[len(lv)-1]
		if err := d.launchBlocks("merkle_levels", grid, block, in, scratch.at(off, scratch.size-off), n, levels); err != nil {
			return nil, err
		}
		for range levels {
			lv = append(lv, scratch.at(off, n*32))
			off += n * 32
			n /= 2
		}
	}
	return lv, nil
}

// fillB queues B_t (n×n int8) from the PRG seed at bseed into bt,
// column-major: one fused kernel (tiled set), or the PRG into b then a
// transpose (simple set; b is scratch of n² bytes).
func (d *driver) fillB(bseed, b, bt devBuf, n uint64) error {
	if d.kernel == KernelSimple {
		return firstErr(
			d.launch("prg_fill", n*n/32, threads, bseed, b, n*n/32),
			d.launch("transpose_b", n*n, threads, b, bt, uint32(n)),
		)
	}
	grid, block := prgFillBTLaunch(uint32(n))
	return d.launchBlocks("prg_fill_bt", grid, block, bseed, bt, uint32(n))
}

// allocAll allocates every size, or none (the error names the first that
// failed).
func (d *driver) allocAll(sizes ...uint64) ([]devBuf, error) {
	bufs := make([]devBuf, 0, len(sizes))
	for _, size := range sizes {
		b, err := d.alloc(size)
		if err != nil {
			d.freeAll(bufs...)
			return nil, err
		}
		bufs = append(bufs, b)
	}
	return bufs, nil
}

func (d *driver) freeAll(bufs ...devBuf) {
	for _, b := range bufs {
		d.free(b)
	}
}

// upperTree collects a layer's tree from height cut up: the chunks' levels
// from the device, then the levels above the chunks on the host.
type upperTree struct {
	cut, chunkHeight int
	levels           [][]proof.Hash // heights cut … chunkHeight, whole width
}

func newUpperTree(labels, chunk uint64, cut int) *upperTree {
	u := &upperTree{cut: cut, chunkHeight: bits.TrailingZeros64(chunk)} // chunk is a power of two
	for h := cut; h <= u.chunkHeight; h++ {
		u.levels = append(u.levels, make([]proof.Hash, labels>>h))
	}
	return u
}

// add downloads the levels from height cut up of the chunk starting at
// label first (lv from driver.levels).
func (u *upperTree) add(d *driver, first uint64, lv []devBuf) error {
	for k := range u.levels {
		h := u.cut + k
		dst := u.levels[k][first>>h : (first>>h)+lv[h].size/32]
		if err := d.download(lv[h], hashBytes(dst)); err != nil {
			return err
		}
	}
	return nil
}

// tree finishes the tree above the chunks' roots.
func (u *upperTree) tree() (*proof.Tree, error) {
	top, err := proof.NewTree(u.levels[len(u.levels)-1])
	if err != nil {
		return nil, err
	}
	return &proof.Tree{Cut: u.cut, Levels: append(u.levels, top.Levels[1:]...)}, nil
}

// label seals every layer of p for ek on the device: layer ℓ in chunks
// against layer ℓ−1, each chunk streamed into store(ℓ), then the finished
// layer copied over ℓ−1 on the device. done(ℓ, layer) is called once layer
// ℓ is whole in its store, with its upper tree. It returns P on the
// device. Errors: the seal does not fit (ErrDeviceMemory with the sizes),
// ctx's, the store's, the device's.
func (c *CUDA) label(ctx context.Context, p proof.Params, ek proof.Hash, progress func(done, total int),
	store func(layer uint32) (layerStore, error), done func(layer uint32, l proof.Layer) error) (devBuf, error) {
	d := c.d
	var sealed devBuf
	err := d.do(func() error {
		free, total, err := d.memInfo()
		if err != nil {
			return err
		}
		chunk, err := planChunk(p, free, total)
		if err != nil {
			return err
		}
		bufs, err := d.allocAll(32, p.SealBytes(), chunk*32, chunk*32, chunk*32)
		if err != nil {
			return err
		}
		ekBuf, prev, cur, leaves, scratch := bufs[0], bufs[1], bufs[2], bufs[3], bufs[4]
		defer d.freeAll(ekBuf, cur, leaves, scratch)
		ok := false
		defer func() {
			if !ok {
				d.free(prev)
			}
		}()
		if err := d.upload(ekBuf, ek[:]); err != nil {
			return err
		}
		host := make([]proof.Hash, chunk)
		for l := uint32(0); l < p.Layers; l++ {
			st, err := store(l)
			if err != nil {
				return err
			}
			up := newUpperTree(p.Labels, chunk, treeCut(p))
			for first := uint64(0); first < p.Labels; first += chunk {
				if err := ctx.Err(); err != nil {
					return err
				}
				if err := d.launch("label_layer", chunk, threads, ekBuf, l, p.Labels, p.Parents, prev, cur, leaves, first, chunk); err != nil {
					return err
				}
				lv, err := d.levels(leaves, chunk, scratch)
				if err != nil {
					return err
				}
				if err := d.download(cur, hashBytes(host)); err != nil {
					return err
				}
				if err := st.write(first, host); err != nil {
					return err
				}
				if err := up.add(d, first, lv); err != nil {
					return err
				}
			}
			tree, err := up.tree()
			if err != nil {
				return err
			}
			if err := done(l, proof.Layer{Reader: st, Tree: tree}); err != nil {
				return err
			}
			// Layer ℓ−1 is no longer needed: layer ℓ takes its place (P
			// after the last layer).
			for first := uint64(0); first < p.Labels; first += chunk {
				if err := st.ReadLabels(first, host); err != nil {
					return err
				}
				if err := d.upload(prev.at(first*32, chunk*32), hashBytes(host)); err != nil {
					return err
				}
			}
			if progress != nil {
				progress(int(l)+1, int(p.Layers))
			}
		}
		sealed, ok = prev, true
		return nil
	})
	return sealed, err
}

// Seal labels every layer on the device (see CUDA). The layers stay on the
// host for the setup proof when they fit in maxHostLayers or go to
// opts.CacheDir; otherwise only the trees stay, and ProveSetup re-seals.
// Errors: invalid params, gemm_rows < 16, the seal does not fit the
// device's free memory or, without a cache, the host's (with the sizes).
func (c *CUDA) Seal(ctx context.Context, p proof.Params, ek proof.Hash, opts SealOptions) (Seal, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if p.GemmRows < 16 {
		return nil, fmt.Errorf("the CUDA backend needs gemm_rows ≥ 16, got %d", p.GemmRows)
	}
	keepAll := opts.CacheDir != "" || uint64(p.Layers)*p.SealBytes() <= maxHostLayers
	if opts.CacheDir == "" {
		need := p.SealBytes()
		if keepAll {
			need *= uint64(p.Layers)
		}
		if avail := memAvailable(); avail > 0 && need > avail {
			return nil, fmt.Errorf("sealing needs %s of host memory for the layers in flight and %s is available: give a seal cache directory on a disk with %s free (--seal-cache DIR)",
				FormatBytes(need), FormatBytes(avail), FormatBytes(uint64(p.Layers)*p.SealBytes()))
		}
	}
	s := &cudaSeal{c: c, p: p, ek: ek, layers: make([]proof.Layer, p.Layers)}
	var shared layerStore
	store := func(l uint32) (layerStore, error) {
		switch {
		case opts.CacheDir != "":
			return newFileStore(opts.CacheDir, l, p.Labels)
		case keepAll:
			return memStore{make(proof.Labels, p.Labels)}, nil
		case shared == nil:
			shared = memStore{make(proof.Labels, p.Labels)}
		}
		return shared, nil
	}
	done := func(l uint32, layer proof.Layer) error {
		if !keepAll {
			layer.Reader = nil
		}
		s.layers[l] = layer
		return nil
	}
	sealed, err := c.label(ctx, p, ek, opts.Progress, store, done)
	if err != nil {
		s.removeStores()
		return nil, err
	}
	s.sealed = sealed
	s.commit = s.view().Commitment()
	s.holdP()
	return s, nil
}

type cudaSeal struct {
	c      *CUDA
	p      proof.Params
	ek     proof.Hash
	commit proof.Commitment
	// layers[ℓ] is where layer ℓ is held (Reader nil: not held) and its
	// upper tree (nil after Discard or Restore, back after a re-seal).
	layers []proof.Layer
	sealed devBuf // P on the device
	// lost: P's device memory was given back for a re-seal that did not
	// finish; every answer is errSealLost until the seal is restored.
	lost bool
	res  *cudaResidency
	gemm *cudaGemm
}

// holdP makes P's reader the device copy, dropping its host store.
func (s *cudaSeal) holdP() {
	last := &s.layers[len(s.layers)-1]
	if st, ok := last.Reader.(layerStore); ok {
		st.remove()
	}
	last.Reader = devLayer{d: s.c.d, buf: s.sealed}
}

func (s *cudaSeal) view() *proof.SealView {
	return &proof.SealView{Params: s.p, Key: s.ek, Layers: s.layers}
}

func (s *cudaSeal) removeStores() {
	for l := range s.layers {
		if st, ok := s.layers[l].Reader.(layerStore); ok {
			st.remove()
			s.layers[l].Reader = nil
		}
	}
}

// Restore uploads P from sealed in chunks, rebuilding its tree on the
// device, and checks the root against c's.
func (c *CUDA) Restore(ctx context.Context, p proof.Params, ek proof.Hash, commit proof.Commitment, sealed io.Reader) (Seal, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := commit.Validate(p); err != nil {
		return nil, err
	}
	s := &cudaSeal{c: c, p: p, ek: ek, commit: commit, layers: make([]proof.Layer, p.Layers)}
	d := c.d
	err := d.do(func() error {
		free, total, err := d.memInfo()
		if err != nil {
			return err
		}
		chunk, err := planChunk(p, free, total)
		if err != nil {
			return err
		}
		bufs, err := d.allocAll(p.SealBytes(), chunk*32, chunk*32)
		if err != nil {
			return err
		}
		buf, leaves, scratch := bufs[0], bufs[1], bufs[2]
		defer d.freeAll(leaves, scratch)
		host := make([]proof.Hash, chunk)
		up := newUpperTree(p.Labels, chunk, treeCut(p))
		for first := uint64(0); first < p.Labels; first += chunk {
			if err := ctx.Err(); err != nil {
				d.free(buf)
				return err
			}
			if _, err := io.ReadFull(sealed, hashBytes(host)); err != nil {
				d.free(buf)
				return fmt.Errorf("restore: read the sealed layer (%s): %w", FormatBytes(p.SealBytes()), err)
			}
			part := buf.at(first*32, chunk*32)
			if err := d.upload(part, hashBytes(host)); err != nil {
				d.free(buf)
				return err
			}
			if err := d.launch("label_leaves", chunk, threads, part, leaves, chunk); err != nil {
				d.free(buf)
				return err
			}
			lv, err := d.levels(leaves, chunk, scratch)
			if err == nil {
				err = up.add(d, first, lv)
			}
			if err != nil {
				d.free(buf)
				return err
			}
		}
		tree, err := up.tree()
		if err == nil && tree.Root() != commit.SealRoot() {
			err = fmt.Errorf("restore: %w", errWrongSeal)
		}
		if err != nil {
			d.free(buf)
			return err
		}
		s.sealed = buf
		s.layers[p.Layers-1].Tree = tree
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.holdP()
	return s, nil
}

func (s *cudaSeal) Params() proof.Params { return s.p }

func (s *cudaSeal) Commitment() proof.Commitment { return s.commit }

// WriteSealed streams P from the device in chunks.
func (s *cudaSeal) WriteSealed(w io.Writer) error {
	if s.lost {
		return errSealLost
	}
	d := s.c.d
	chunk := min(uint64(maxChunkLabels), s.p.Labels)
	host := make([]proof.Hash, chunk)
	for first := uint64(0); first < s.p.Labels; first += chunk {
		err := d.do(func() error { return d.download(s.sealed.at(first*32, chunk*32), hashBytes(host)) })
		if err != nil {
			return err
		}
		if _, err := w.Write(hashBytes(host)); err != nil {
			return err
		}
	}
	return nil
}

// ProveSetup answers from the held layers or re-seals: P's device memory
// is given back, the layers are labeled again (P comes back last), and the
// spans of labels the samples open are kept as each layer passes. The
// re-seal's roots must equal the commitment.
func (s *cudaSeal) ProveSetup(ctx context.Context, seed proof.Hash) (*proof.SetupProof, error) {
	p := s.p
	if s.LayersHeld() {
		return s.view().ProveSetup(s.commit, seed)
	}
	// The spans of 2^cut labels each layer's openings read.
	cut := treeCut(p)
	want := make([]map[uint64][]proof.Hash, p.Layers)
	for l := range want {
		want[l] = map[uint64][]proof.Hash{}
	}
	layers, indices := proof.SetupPositions(p, s.commit, seed)
	var parents []uint64
	for j, l := range layers {
		want[l][indices[j]>>cut] = nil
		if l > 0 {
			parents = proof.ParentIndices(p, s.ek, l, indices[j], parents[:0])
			for _, q := range parents {
				want[l-1][q>>cut] = nil
			}
		}
	}
	if avail := memAvailable(); avail > 0 && p.SealBytes() > avail {
		return nil, fmt.Errorf("setup: sealing again needs %s of host memory for a layer in flight and %s is available", FormatBytes(p.SealBytes()), FormatBytes(avail))
	}
	_ = s.c.d.do(func() error { s.freeRuns(); s.c.d.free(s.sealed); return nil })
	s.sealed, s.lost = devBuf{}, true
	var shared layerStore
	store := func(uint32) (layerStore, error) {
		if shared == nil {
			shared = memStore{make(proof.Labels, p.Labels)}
		}
		return shared, nil
	}
	trees := make([]*proof.Tree, p.Layers)
	done := func(l uint32, layer proof.Layer) error {
		if layer.Tree.Root() != s.commit.LayerRoots[l] {
			return fmt.Errorf("setup: the re-seal's layer %d differs from the commitment", l)
		}
		trees[l] = layer.Tree
		for span := range want[l] {
			labels := make([]proof.Hash, 1<<cut)
			if err := layer.Reader.ReadLabels(span<<cut, labels); err != nil {
				return err
			}
			want[l][span] = labels
		}
		return nil
	}
	sealed, err := s.c.label(ctx, p, s.ek, nil, store, done)
	if err != nil {
		return nil, fmt.Errorf("setup: re-seal: %w (%w)", err, errSealLost)
	}
	s.sealed, s.lost = sealed, false
	view := &proof.SealView{Params: p, Key: s.ek, Layers: make([]proof.Layer, p.Layers)}
	for l := range view.Layers {
		view.Layers[l] = proof.Layer{Reader: spans{cut: cut, spans: want[l]}, Tree: trees[l]}
	}
	s.layers[p.Layers-1].Tree = trees[p.Layers-1]
	s.holdP()
	return view.ProveSetup(s.commit, seed)
}

// errSealLost: the seal is not on the device (a re-seal that failed); it
// wraps ErrDeviceReset, so a miner restores it from its disk copy.
var errSealLost = fmt.Errorf("%w: the seal's P was given back for a re-seal that did not finish", ErrDeviceReset)

// spans serves the labels of the spans of 2^cut labels a re-seal kept.
type spans struct {
	cut   int
	spans map[uint64][]proof.Hash
}

func (s spans) ReadLabels(first uint64, out []proof.Hash) error {
	span := first >> s.cut
	labels := s.spans[span]
	if labels == nil || (first+uint64(len(out))-1)>>s.cut != span {
		return fmt.Errorf("labels [%d, %d) were not kept by the re-seal", first, first+uint64(len(out)))
	}
	copy(out, labels[first-span<<s.cut:])
	return nil
}

func (s *cudaSeal) LayersHeld() bool {
	for _, l := range s.layers {
		if l.Reader == nil || l.Tree == nil {
			return false
		}
	}
	return true
}

// Discard drops every layer but P (cache files included).
func (s *cudaSeal) Discard() {
	for l := 0; l < len(s.layers)-1; l++ {
		if st, ok := s.layers[l].Reader.(layerStore); ok {
			st.remove()
		}
		s.layers[l] = proof.Layer{}
	}
}

// cudaResidency is a residency run: on the device until it is opened.
type cudaResidency struct {
	nonce proof.Hash
	bufs  []devBuf // nonce, results, leaves, tree levels
	lv    []devBuf
	run   *proof.ResidencyRun // downloaded at the first opening
}

func (s *cudaSeal) Residency(ctx context.Context, nonce proof.Hash) (proof.Hash, error) {
	p := s.p
	d := s.c.d
	w := uint64(p.Walks)
	var root proof.Hash
	if s.lost {
		return root, errSealLost
	}
	err := d.do(func() error {
		s.freeResidency()
		bufs, err := d.allocAll(32, w*32, w*32, max(w-1, 1)*32)
		if err != nil {
			return err
		}
		r := &cudaResidency{nonce: nonce, bufs: bufs}
		s.res = r
		if err := d.upload(bufs[0], nonce[:]); err != nil {
			return err
		}
		if err := d.launch("walk", w, threads, bufs[0], s.sealed, p.Labels, p.Steps, p.Walks, uint32(p.Block()), bufs[1], bufs[2]); err != nil {
			return err
		}
		if r.lv, err = d.levels(bufs[2], w, bufs[3]); err != nil {
			return err
		}
		return d.download(r.lv[len(r.lv)-1], root[:])
	})
	if err != nil {
		return proof.Hash{}, err
	}
	return root, ctx.Err()
}

func (s *cudaSeal) OpenResidency(walks []uint32) (*proof.ResidencyProof, error) {
	r := s.res
	if r == nil {
		return nil, errors.New("no residency run to open")
	}
	if r.run == nil {
		d := s.c.d
		run := &proof.ResidencyRun{Nonce: r.nonce, Results: make([]proof.Hash, s.p.Walks), Tree: &proof.Tree{}}
		err := d.do(func() error {
			if err := d.download(r.bufs[1], hashBytes(run.Results)); err != nil {
				return err
			}
			for _, lv := range r.lv {
				level := make([]proof.Hash, lv.size/32)
				if err := d.download(lv, hashBytes(level)); err != nil {
					return err
				}
				run.Tree.Levels = append(run.Tree.Levels, level)
			}
			d.freeAll(r.bufs...)
			r.bufs, r.lv = nil, nil
			return nil
		})
		if err != nil {
			return nil, err
		}
		r.run = run
	}
	return s.view().OpenResidency(r.run, walks)
}

// cudaGemm is a GEMM run: its roots, and every round's tree on the device
// ((2m−1) hashes a round) until it is opened.
type cudaGemm struct {
	seed  proof.Hash
	roots []proof.Hash
	trees devBuf
	host  map[uint32]*proof.Tree
}

// gemm queues C = A·B (m×n int32) with the kernel set's GEMM for the
// device's arch (gemmLaunch: gemm_s8_tiled for the tiled set at multiples
// of 128, else gemm_s8).
func (d *driver) gemm(a, bt, c devBuf, m, n uint32) error {
	kernel, grid, block, ok := gemmLaunch(d.arch, d.kernel, m, n)
	if !ok {
		return fmt.Errorf("no %s GEMM for %d×%d on %s", d.kernel, m, n, d.arch)
	}
	return d.launchBlocks(kernel, grid, block, a, bt, c, m, n)
}

// Gemm runs the R rounds back to back on the device: round t's B from the
// PRG, its rows gathered at offsets set by the root of round t−1 (read on
// the device), the product, the rows' leaves and the round's tree; the
// roots come back once, at the end.
func (s *cudaSeal) Gemm(ctx context.Context, seed proof.Hash) ([]proof.Hash, error) {
	p := s.p
	m, n, rounds := uint64(p.GemmRows), uint64(p.GemmDim), uint64(p.Rounds)
	treeHashes := 2*m - 1
	d := s.c.d
	var roots []proof.Hash
	if s.lost {
		return nil, errSealLost
	}
	err := d.do(func() error {
		s.freeGemm()
		trees, err := d.alloc(rounds * treeHashes * 32)
		if err != nil {
			return err
		}
		g := &cudaGemm{seed: seed, trees: trees}
		s.gemm = g
		k := segments(p)
		bufs, err := d.allocAll(32, rounds*32, n*n, n*n, m*n, 4*m*n, m*k*32)
		if err != nil {
			return err
		}
		defer d.freeAll(bufs...)
		seedBuf, bseeds, b, bt, a, c, segs := bufs[0], bufs[1], bufs[2], bufs[3], bufs[4], bufs[5], bufs[6]
		host := make([]proof.Hash, rounds)
		for t := range host {
			host[t] = proof.GemmBSeed(seed, uint32(t))
		}
		if err := d.upload(seedBuf, seed[:]); err != nil {
			return err
		}
		if err := d.upload(bseeds, hashBytes(host)); err != nil {
			return err
		}
		prev := seedBuf
		for t := uint64(0); t < rounds; t++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			tree := trees.at(t*treeHashes*32, treeHashes*32)
			leaves, scratch := tree.at(0, m*32), tree.at(m*32, (m-1)*32)
			lv, err := d.gemmRound(p, queue, bseeds.at(t*32, 32), prev, s.sealed, b, bt, a, c, segs, leaves, scratch)
			if err != nil {
				return err
			}
			prev = lv[len(lv)-1]
		}
		for t := uint64(0); t < rounds; t++ {
			var root proof.Hash
			if err := d.download(trees.at((t*treeHashes+treeHashes-1)*32, 32), root[:]); err != nil {
				return err
			}
			roots = append(roots, root)
		}
		g.roots = roots
		return nil
	})
	if err != nil {
		return nil, err
	}
	return roots, nil
}

// queue runs a launch without timing it (gemmRound's step in a challenge).
func queue(_ string, launch func() error) error { return launch() }

// treeKernel names the kernel that builds Merkle levels in this kernel set.
func (d *driver) treeKernel() string {
	if d.kernel == KernelSimple {
		return "merkle_level"
	}
	return "merkle_levels"
}

// gemmRound queues one GEMM round (docs/pocps.md §6): B_t from the PRG seed
// at bseed (into bt, b scratch), the m rows of A gathered from sealed at
// offsets set by the previous root at prev, C = A·B, the rows' segment
// hashes and leaves, and the round's tree into scratch (m−1 hashes). It
// returns the tree's levels, the root last. step runs each kernel under its
// name: queue in a challenge, a timer in Profile.
func (d *driver) gemmRound(p proof.Params, step func(kernel string, launch func() error) error, bseed, prev, sealed, b, bt, a, c, segs, leaves, scratch devBuf) ([]devBuf, error) {
	m, n, k := uint64(p.GemmRows), uint64(p.GemmDim), segments(p)
	gemmKernel, _, _, _ := gemmLaunch(d.arch, d.kernel, uint32(m), uint32(n))
	var lv []devBuf
	err := firstErr(
		step(bKernels(d.kernel), func() error { return d.fillB(bseed, b, bt, n) }),
		step("gather_rows", func() error {
			return d.launchBlocks("gather_rows", uint32(m), threads, prev, sealed, p.Labels, uint32(m), uint32(n), a)
		}),
		step(gemmKernel, func() error { return d.gemm(a, bt, c, uint32(m), uint32(n)) }),
		step("row_segments", func() error { return d.launch("row_segments", m*k, threads, c, uint32(m), uint32(n), segs) }),
		step("row_leaves", func() error { return d.launch("row_leaves", m, threads, segs, uint32(m), uint32(k), leaves) }),
		step(d.treeKernel()+" (GEMM round)", func() error {
			var err error
			lv, err = d.levels(leaves, m, scratch)
			return err
		}),
	)
	return lv, err
}

// OpenGemm downloads the audited rounds' trees and recomputes the audited
// rows on the device: B_t again from the seed, the rows of A from P, and
// the product of at most 16 rows at a time.
func (s *cudaSeal) OpenGemm(refs []proof.RowRef) (*proof.GemmProof, error) {
	g := s.gemm
	if g == nil {
		return nil, errors.New("no GEMM run to open")
	}
	p := s.p
	m, n := uint64(p.GemmRows), uint64(p.GemmDim)
	treeHashes := 2*m - 1
	d := s.c.d
	if g.host == nil {
		g.host = map[uint32]*proof.Tree{}
	}
	byRound := map[uint32][]uint32{}
	for _, ref := range refs {
		if ref.Round >= p.Rounds || uint64(ref.Row) >= m {
			return nil, fmt.Errorf("row %+v outside %d rounds of %d rows", ref, p.Rounds, m)
		}
		if !slices.Contains(byRound[ref.Round], ref.Row) {
			byRound[ref.Round] = append(byRound[ref.Round], ref.Row)
		}
	}
	rows := map[proof.RowRef][]int32{}
	err := d.do(func() error {
		bufs, err := d.allocAll(32, n*n, n*n, 16*n, 16*4*n)
		if err != nil {
			return err
		}
		defer d.freeAll(bufs...)
		bseed, b, bt, a, c := bufs[0], bufs[1], bufs[2], bufs[3], bufs[4]
		for _, t := range slices.Sorted(maps.Keys(byRound)) {
			if g.host[t] == nil {
				all := make([]proof.Hash, treeHashes)
				if err := d.download(g.trees.at(uint64(t)*treeHashes*32, treeHashes*32), hashBytes(all)); err != nil {
					return err
				}
				tree := &proof.Tree{}
				for w := m; w >= 1; w /= 2 {
					tree.Levels = append(tree.Levels, all[:w])
					all = all[w:]
				}
				g.host[t] = tree
			}
			prev := g.seed
			if t > 0 {
				prev = g.roots[t-1]
			}
			seed := proof.GemmBSeed(g.seed, t)
			if err := firstErr(
				d.upload(bseed, seed[:]),
				d.fillB(bseed, b, bt, n),
			); err != nil {
				return err
			}
			want := byRound[t]
			for len(want) > 0 {
				batch := want[:min(16, len(want))]
				want = want[len(batch):]
				rowsA := make([]byte, 16*n)
				for i, r := range batch {
					gi := proof.GatherIndex(p, prev, r)
					if err := d.download(s.sealed.at(gi*32, n), rowsA[uint64(i)*n:uint64(i+1)*n]); err != nil {
						return err
					}
				}
				if err := d.upload(a, rowsA); err != nil {
					return err
				}
				if err := d.gemm(a, bt, c, 16, uint32(n)); err != nil {
					return err
				}
				raw := make([]byte, 16*4*n)
				if err := d.download(c, raw); err != nil {
					return err
				}
				for i, r := range batch {
					out := make([]int32, n)
					for j := range out {
						out[j] = int32(binary.LittleEndian.Uint32(raw[(uint64(i)*n+uint64(j))*4:]))
					}
					rows[proof.RowRef{Round: t, Row: r}] = out
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	run := &proof.GemmRun{Seed: g.seed, Roots: g.roots, Trees: make([]*proof.Tree, p.Rounds)}
	for t, tree := range g.host {
		run.Trees[t] = tree
	}
	return s.view().OpenGemm(run, refs, func(ref proof.RowRef) ([]int32, error) { return rows[ref], nil })
}

// freeResidency and freeGemm free the device buffers of the last run of
// their kind (inside driver.do); freeRuns both.
func (s *cudaSeal) freeResidency() {
	if s.res != nil {
		s.c.d.freeAll(s.res.bufs...)
		s.res = nil
	}
}

func (s *cudaSeal) freeGemm() {
	if s.gemm != nil {
		s.c.d.free(s.gemm.trees)
		s.gemm = nil
	}
}

func (s *cudaSeal) freeRuns() { s.freeResidency(); s.freeGemm() }

func (s *cudaSeal) Close() error {
	_ = s.c.d.do(func() error {
		s.freeRuns()
		s.c.d.free(s.sealed)
		return nil
	})
	s.removeStores()
	s.sealed = devBuf{}
	s.layers = nil
	return nil
}

var _ Profiler = (*cudaSeal)(nil)

// Profile times each kernel of one labeling chunk (against P as the
// previous layer: the same work as a seal's), one GEMM round and one
// residency run, synchronizing after every launch.
func (s *cudaSeal) Profile(ctx context.Context, seed proof.Hash) ([]KernelTime, error) {
	p := s.p
	d := s.c.d
	m, n, w := uint64(p.GemmRows), uint64(p.GemmDim), uint64(p.Walks)
	chunk := min(uint64(maxChunkLabels), p.Labels)
	var out []KernelTime
	err := d.do(func() error {
		times := map[string]*KernelTime{}
		timed := func(kernel string, launch func() error) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			start := time.Now()
			if err := launch(); err != nil {
				return err
			}
			if err := d.sync("run " + kernel); err != nil {
				return err
			}
			kt := times[kernel]
			if kt == nil {
				kt = &KernelTime{Kernel: kernel}
				times[kernel] = kt
				out = append(out, KernelTime{Kernel: kernel})
			}
			kt.Launches++
			kt.Time += time.Since(start)
			return nil
		}
		tree := func(name string, leaves devBuf, count uint64, scratch devBuf) error {
			return timed(d.treeKernel()+" ("+name+")", func() error { _, err := d.levels(leaves, count, scratch); return err })
		}
		bufs, err := d.allocAll(32, chunk*32, chunk*32, chunk*32)
		if err != nil {
			return err
		}
		ekBuf, cur, leaves, scratch := bufs[0], bufs[1], bufs[2], bufs[3]
		if err := firstErr(
			d.upload(ekBuf, s.ek[:]),
			timed("label_layer", func() error {
				return d.launch("label_layer", chunk, threads, ekBuf, uint32(1), p.Labels, p.Parents, s.sealed, cur, leaves, uint64(0), chunk)
			}),
			tree("label chunk", leaves, chunk, scratch),
			timed("label_leaves", func() error { return d.launch("label_leaves", chunk, threads, cur, leaves, chunk) }),
		); err != nil {
			d.freeAll(bufs...)
			return err
		}
		d.freeAll(bufs...)

		bufs, err = d.allocAll(64, n*n, n*n, m*n, 4*m*n, m*32, m*32, m*segments(p)*32)
		if err != nil {
			return err
		}
		defer d.freeAll(bufs...)
		seeds, b, bt, a, c, rowLeaves, rowTree, segs := bufs[0], bufs[1], bufs[2], bufs[3], bufs[4], bufs[5], bufs[6], bufs[7]
		bseed := proof.GemmBSeed(seed, 0)
		if err := d.upload(seeds, append(bseed[:], seed[:]...)); err != nil {
			return err
		}
		if _, err := d.gemmRound(p, timed, seeds.at(0, 32), seeds.at(32, 32), s.sealed, b, bt, a, c, segs, rowLeaves, rowTree); err != nil {
			return err
		}

		wb, err := d.allocAll(32, w*32, w*32, w*32)
		if err != nil {
			return err
		}
		defer d.freeAll(wb...)
		if err := firstErr(
			d.upload(wb[0], seed[:]),
			timed("walk", func() error {
				return d.launch("walk", w, threads, wb[0], s.sealed, p.Labels, p.Steps, p.Walks, uint32(p.Block()), wb[1], wb[2])
			}),
			tree("residency", wb[2], w, wb[3]),
		); err != nil {
			return err
		}
		for i := range out {
			out[i] = *times[out[i].Kernel]
		}
		return nil
	})
	return out, err
}

// bKernels names the kernels that write B_t for a kernel set (fillB).
func bKernels(set string) string {
	if set == KernelSimple {
		return "prg_fill + transpose_b"
	}
	return "prg_fill_bt"
}

// ResidencyFromHost implements Profiler.
func (s *cudaSeal) ResidencyFromHost(ctx context.Context, nonce proof.Hash) (time.Duration, time.Duration, error) {
	p := s.p
	d := s.c.d
	w := uint64(p.Walks)
	var dev, host time.Duration
	err := d.do(func() error {
		mapped, err := d.allocHost(p.SealBytes())
		if err != nil {
			return err
		}
		defer d.freeHost(mapped)
		if err := d.download(s.sealed, mapped.bytes()); err != nil {
			return err
		}
		bufs, err := d.allocAll(32, 2*w*32, 2*w*32)
		if err != nil {
			return err
		}
		defer d.freeAll(bufs...)
		if err := d.upload(bufs[0], nonce[:]); err != nil {
			return err
		}
		run := func(sealed devBuf, k int) (time.Duration, error) {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			start := time.Now()
			if err := d.launch("walk", w, threads, bufs[0], sealed, p.Labels, p.Steps, p.Walks, uint32(p.Block()), bufs[1].at(uint64(k)*w*32, w*32), bufs[2].at(uint64(k)*w*32, w*32)); err != nil {
				return 0, err
			}
			err := d.sync("run walk")
			return time.Since(start), err
		}
		if dev, err = run(s.sealed, 0); err != nil {
			return err
		}
		if host, err = run(mapped.dev, 1); err != nil {
			return err
		}
		results := make([]proof.Hash, 2*w)
		if err := d.download(bufs[1], hashBytes(results)); err != nil {
			return err
		}
		if !slices.Equal(results[:w], results[w:]) {
			return errors.New("residency from host memory: the walks differ from the device's")
		}
		return nil
	})
	return dev, host, err
}
