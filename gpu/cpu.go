package gpu

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/loopin-project/loopin/proof"
)

// CPU is the reference backend: package proof's algorithms, spread over
// goroutines. It is exact by construction and the one the CUDA backend is
// compared against.
type CPU struct {
	workers int
}

// NewCPU returns the CPU backend with workers goroutines (0: one per core).
func NewCPU(workers int) *CPU {
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	return &CPU{workers: workers}
}

// Info reports the CPU model and RAM.
func (c *CPU) Info() Info {
	return Info{Backend: BackendCPU, Device: cpuModel(), MemoryBytes: memTotal(), Workers: c.workers}
}

// Close does nothing.
func (c *CPU) Close() error { return nil }

// parallel runs f(lo, hi) over [0, n) in c.workers chunks.
func (c *CPU) parallel(n uint64, f func(lo, hi uint64)) {
	w := uint64(c.workers)
	if n < w*64 {
		f(0, n)
		return
	}
	chunk := (n + w - 1) / w
	var wg sync.WaitGroup
	for lo := uint64(0); lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() { defer wg.Done(); f(lo, hi) }()
	}
	wg.Wait()
}

// tree builds a Merkle tree level by level in parallel.
func (c *CPU) tree(leaves []proof.Hash) (*proof.Tree, error) {
	if len(leaves) == 0 || len(leaves)&(len(leaves)-1) != 0 {
		return nil, fmt.Errorf("merkle tree needs a power-of-two number of leaves, got %d", len(leaves))
	}
	t := &proof.Tree{Levels: [][]proof.Hash{leaves}}
	for lvl := leaves; len(lvl) > 1; {
		next := make([]proof.Hash, len(lvl)/2)
		c.parallel(uint64(len(next)), func(lo, hi uint64) {
			for i := lo; i < hi; i++ {
				next[i] = proof.NodeHash(lvl[2*i], lvl[2*i+1])
			}
		})
		t.Levels = append(t.Levels, next)
		lvl = next
	}
	return t, nil
}

// Seal labels every layer in parallel (each layer's labels are
// independent) and keeps every layer and tree in memory (about
// Layers·Labels·96 bytes); opts.CacheDir is ignored.
func (c *CPU) Seal(ctx context.Context, p proof.Params, ek proof.Hash, opts SealOptions) (Seal, error) {
	sealing, err := c.seal(ctx, p, ek, opts.Progress)
	if err != nil {
		return nil, err
	}
	return &cpuSeal{cpu: c, sealing: sealing, commitment: sealing.Commitment()}, nil
}

func (c *CPU) seal(ctx context.Context, p proof.Params, ek proof.Hash, progress func(done, total int)) (*proof.Sealing, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	s := &proof.Sealing{Params: p, Key: ek, Layers: make([][]proof.Hash, p.Layers), Trees: make([]*proof.Tree, p.Layers)}
	var prev []proof.Hash
	for l := uint32(0); l < p.Layers; l++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		layer := make([]proof.Hash, p.Labels)
		leaves := make([]proof.Hash, p.Labels)
		c.parallel(p.Labels, func(lo, hi uint64) {
			proof.ComputeLabels(p, ek, l, prev, layer, lo, hi)
			for i := lo; i < hi; i++ {
				leaves[i] = proof.LeafHash(layer[i][:])
			}
		})
		tree, err := c.tree(leaves)
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

type cpuSeal struct {
	cpu        *CPU
	sealing    *proof.Sealing
	commitment proof.Commitment
	res        *proof.ResidencyRun
	gemm       *proof.GemmRun
}

// Restore reads P from sealed and rebuilds its tree; the other layers come
// back when ProveSetup re-seals.
func (c *CPU) Restore(ctx context.Context, p proof.Params, ek proof.Hash, commit proof.Commitment, sealed io.Reader) (Seal, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := commit.Validate(p); err != nil {
		return nil, err
	}
	raw := make([]byte, p.SealBytes())
	if _, err := io.ReadFull(sealed, raw); err != nil {
		return nil, fmt.Errorf("restore: read the sealed layer (%s): %w", FormatBytes(p.SealBytes()), err)
	}
	layer := bytesToHashes(raw)
	tree, err := c.tree(proof.LabelLeaves(layer))
	if err != nil {
		return nil, err
	}
	if tree.Root() != commit.SealRoot() {
		return nil, fmt.Errorf("restore: %w", errWrongSeal)
	}
	s := &proof.Sealing{Params: p, Key: ek, Layers: make([][]proof.Hash, p.Layers), Trees: make([]*proof.Tree, p.Layers)}
	s.Layers[p.Layers-1], s.Trees[p.Layers-1] = layer, tree
	return &cpuSeal{cpu: c, sealing: s, commitment: commit}, nil
}

// FromSealing answers from s, a seal the CPU reference made in memory
// (proof.Seal): tests and tools that hold one.
func (c *CPU) FromSealing(s *proof.Sealing) Seal {
	return &cpuSeal{cpu: c, sealing: s, commitment: s.Commitment()}
}

// errWrongSeal: a sealed layer read back does not have the committed root.
var errWrongSeal = errors.New("the sealed layer does not match the commitment's seal root (a corrupted or foreign seal file)")

func (s *cpuSeal) Params() proof.Params { return s.sealing.Params }

func (s *cpuSeal) Commitment() proof.Commitment { return s.commitment }

func (s *cpuSeal) WriteSealed(w io.Writer) error { return writeLabels(w, s.sealing.Sealed()) }

// ProveSetup answers from the layers, re-sealing first when they are gone.
func (s *cpuSeal) ProveSetup(ctx context.Context, seed proof.Hash) (*proof.SetupProof, error) {
	if !s.LayersHeld() {
		again, err := s.cpu.seal(ctx, s.sealing.Params, s.sealing.Key, nil)
		if err != nil {
			return nil, err
		}
		if !slices.Equal(again.Commitment().LayerRoots, s.commitment.LayerRoots) {
			return nil, errors.New("setup: the re-seal does not match the commitment")
		}
		s.sealing = again
	}
	return s.sealing.ProveSetup(seed)
}

func (s *cpuSeal) LayersHeld() bool {
	for _, layer := range s.sealing.Layers {
		if layer == nil {
			return false
		}
	}
	return true
}

func (s *cpuSeal) Discard() { s.sealing.Discard() }

func (s *cpuSeal) Residency(ctx context.Context, nonce proof.Hash) (proof.Hash, error) {
	p := s.sealing.Params
	sealed := s.sealing.Sealed()
	results := make([]proof.Hash, p.Walks)
	leaves := make([]proof.Hash, p.Walks)
	s.cpu.parallel(uint64(p.Walks), func(lo, hi uint64) {
		for w := lo; w < hi; w++ {
			results[w] = proof.Walk(p, sealed, nonce, uint32(w))
			leaves[w] = proof.LeafHash(results[w][:])
		}
	})
	if err := ctx.Err(); err != nil {
		return proof.Hash{}, err
	}
	tree, err := s.cpu.tree(leaves)
	if err != nil {
		return proof.Hash{}, err
	}
	s.res = &proof.ResidencyRun{Nonce: nonce, Results: results, Tree: tree}
	return tree.Root(), nil
}

func (s *cpuSeal) OpenResidency(walks []uint32) (*proof.ResidencyProof, error) {
	if s.res == nil {
		return nil, errors.New("no residency run to open")
	}
	return s.sealing.OpenResidency(s.res, walks), nil
}

func (s *cpuSeal) Gemm(ctx context.Context, seed proof.Hash) ([]proof.Hash, error) {
	p := s.sealing.Params
	m, n := int(p.GemmRows), int(p.GemmDim)
	sealed := s.sealing.Sealed()
	run := &proof.GemmRun{Seed: seed}
	prev := seed
	for t := uint32(0); t < p.Rounds; t++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b := proof.GemmB(p, seed, t)
		c := make([]int32, m*n)
		leaves := make([]proof.Hash, m)
		s.cpu.parallel(uint64(m), func(lo, hi uint64) {
			a := make([]int8, n)
			for r := lo; r < hi; r++ {
				leaves[r] = proof.GemmRow(p, sealed, prev, b, uint32(r), a, c[int(r)*n:(int(r)+1)*n])
			}
		})
		tree, err := s.cpu.tree(leaves)
		if err != nil {
			return nil, err
		}
		run.Trees = append(run.Trees, tree)
		run.Roots = append(run.Roots, tree.Root())
		run.C = append(run.C, c)
		prev = tree.Root()
	}
	s.gemm = run
	return run.Roots, nil
}

func (s *cpuSeal) OpenGemm(refs []proof.RowRef) (*proof.GemmProof, error) {
	if s.gemm == nil {
		return nil, errors.New("no GEMM run to open")
	}
	return s.sealing.OpenGemm(s.gemm, refs), nil
}

func (s *cpuSeal) Close() error {
	s.sealing, s.res, s.gemm = nil, nil, nil
	return nil
}

// Memory reports the process's peak resident memory.
func (c *CPU) Memory() Memory { return Memory{HostPeak: hostPeak()} }

// writeLabels writes labels as Labels·32 bytes, buffered.
func writeLabels(w io.Writer, labels []proof.Hash) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	for i := range labels {
		if _, err := bw.Write(labels[i][:]); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func bytesToHashes(b []byte) []proof.Hash {
	out := make([]proof.Hash, len(b)/32)
	for i := range out {
		copy(out[i][:], b[32*i:])
	}
	return out
}

// hostPeak reads VmHWM (the peak resident set) from /proc/self/status, 0
// where there is none.
func hostPeak() uint64 { return procBytes("/proc/self/status", "VmHWM") }

// memAvailable reads MemAvailable from /proc/meminfo (Linux), 0 elsewhere.
func memAvailable() uint64 { return procBytes("/proc/meminfo", "MemAvailable") }

// cpuModel reads the CPU model name from /proc/cpuinfo (Linux), or GOARCH.
func cpuModel() string {
	bz, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		for _, line := range strings.Split(string(bz), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				return strings.TrimSpace(v)
			}
		}
	}
	return runtime.GOARCH + " CPU"
}

// memTotal reads MemTotal from /proc/meminfo (Linux), 0 elsewhere.
func memTotal() uint64 { return procBytes("/proc/meminfo", "MemTotal") }

// procBytes reads the "key: N kB" line of a /proc file (Linux) in bytes, 0
// where there is none.
func procBytes(file, key string) uint64 {
	bz, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(bz), "\n") {
		var kb uint64
		if _, err := fmt.Sscanf(line, key+": %d kB", &kb); err == nil {
			return kb * 1024
		}
	}
	return 0
}
