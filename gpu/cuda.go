//go:build cgo && linux

package gpu

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/loopin-project/loopin/proof"
)

// CUDA is the GPU backend: the kernels of gpu/kernels on device 0 through
// the driver API. The sealed layer P stays in device memory; the host keeps
// what openings need (the layers until Discard, the Merkle trees, and GEMM
// outputs when they are small enough).
type CUDA struct {
	d *driver
}

// maxKeptOutputs bounds the GEMM outputs copied back for openings.
const maxKeptOutputs = 256 << 20

const threads = 128

func openCUDA() (Prover, error) {
	d, err := newDriver()
	if err != nil {
		return nil, err
	}
	return &CUDA{d: d}, nil
}

// Info reports the device, its memory, driver and compute capability.
func (c *CUDA) Info() Info { return c.d.info }

// Close unloads the module and releases the primary context.
func (c *CUDA) Close() error { c.d.close(); return nil }

// tree builds the Merkle tree over count leaf hashes in leaves (device) with
// the merkle_level kernel and copies every level back.
func (c *CUDA) tree(leaves devBuf, count uint64) (*proof.Tree, error) {
	host := make([]byte, count*32)
	if err := c.d.download(leaves, host); err != nil {
		return nil, err
	}
	t := &proof.Tree{Levels: [][]proof.Hash{bytesToHashes(host)}}
	in := leaves
	for n := count / 2; n >= 1; n /= 2 {
		out, err := c.d.alloc(n * 32)
		if err != nil {
			return nil, err
		}
		err = c.d.launch("merkle_level", n, threads, in, out, n)
		if in.ptr != leaves.ptr {
			c.d.free(in)
		}
		if err != nil {
			c.d.free(out)
			return nil, err
		}
		lvl := make([]byte, n*32)
		if err := c.d.download(out, lvl); err != nil {
			c.d.free(out)
			return nil, err
		}
		t.Levels = append(t.Levels, bytesToHashes(lvl))
		in = out
		if n == 1 {
			c.d.free(out)
		}
	}
	return t, nil
}

// Seal labels every layer on the device and copies each layer and its tree
// to the host for the setup proof.
func (c *CUDA) Seal(ctx context.Context, p proof.Params, ek proof.Hash, progress func(done, total int)) (Seal, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if p.GemmRows < 16 {
		return nil, fmt.Errorf("the CUDA backend needs gemm_rows ≥ 16, got %d", p.GemmRows)
	}
	s := &cudaSeal{c: c, sealing: &proof.Sealing{Params: p, Key: ek, Layers: make([][]proof.Hash, p.Layers), Trees: make([]*proof.Tree, p.Layers)}}
	err := c.d.do(func() error {
		var err error
		size := p.Labels * 32
		ekBuf, err := c.d.alloc(32)
		if err != nil {
			return err
		}
		defer c.d.free(ekBuf)
		if err := c.d.upload(ekBuf, ek[:]); err != nil {
			return err
		}
		prev, err := c.d.alloc(size)
		if err != nil {
			return err
		}
		cur, err := c.d.alloc(size)
		if err != nil {
			c.d.free(prev)
			return err
		}
		leaves, err := c.d.alloc(size)
		if err != nil {
			c.d.free(prev)
			c.d.free(cur)
			return err
		}
		defer c.d.free(leaves)
		for l := uint32(0); l < p.Layers; l++ {
			if err := ctx.Err(); err != nil {
				c.d.free(prev)
				c.d.free(cur)
				return err
			}
			if err := c.d.launch("label_layer", p.Labels, threads, ekBuf, l, p.Labels, p.Parents, prev, cur, leaves); err != nil {
				c.d.free(prev)
				c.d.free(cur)
				return err
			}
			host := make([]byte, size)
			if err := c.d.download(cur, host); err != nil {
				return err
			}
			tree, err := c.tree(leaves, p.Labels)
			if err != nil {
				return err
			}
			s.sealing.Layers[l], s.sealing.Trees[l] = bytesToHashes(host), tree
			prev, cur = cur, prev
			if progress != nil {
				progress(int(l)+1, int(p.Layers))
			}
		}
		c.d.free(cur)
		s.sealed = prev // the last layer stays on the device
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

type cudaSeal struct {
	c       *CUDA
	sealing *proof.Sealing
	sealed  devBuf
	res     *proof.ResidencyRun
	gemm    *proof.GemmRun
}

// Restore uploads s's sealed layer P to the device and answers from it.
func (c *CUDA) Restore(s *proof.Sealing) (Seal, error) {
	if s == nil || len(s.Layers) == 0 || len(s.Trees) != len(s.Layers) {
		return nil, errors.New("restore: the sealing has no layers")
	}
	last := s.Layers[len(s.Layers)-1]
	host := make([]byte, 0, len(last)*32)
	for _, h := range last {
		host = append(host, h[:]...)
	}
	seal := &cudaSeal{c: c, sealing: s}
	err := c.d.do(func() error {
		buf, err := c.d.alloc(uint64(len(host)))
		if err != nil {
			return err
		}
		if err := c.d.upload(buf, host); err != nil {
			c.d.free(buf)
			return err
		}
		seal.sealed = buf
		return nil
	})
	if err != nil {
		return nil, err
	}
	return seal, nil
}

func (s *cudaSeal) Commitment() proof.Commitment { return s.sealing.Commitment() }

func (s *cudaSeal) Sealing() *proof.Sealing { return s.sealing }

func (s *cudaSeal) ProveSetup(seed proof.Hash) (*proof.SetupProof, error) {
	return s.sealing.ProveSetup(seed)
}

func (s *cudaSeal) Discard() { s.sealing.Discard() }

func (s *cudaSeal) Residency(ctx context.Context, nonce proof.Hash) (proof.Hash, error) {
	p := s.sealing.Params
	var root proof.Hash
	err := s.c.d.do(func() error {
		nb, err := s.c.d.alloc(32)
		if err != nil {
			return err
		}
		defer s.c.d.free(nb)
		if err := s.c.d.upload(nb, nonce[:]); err != nil {
			return err
		}
		results, err := s.c.d.alloc(uint64(p.Walks) * 32)
		if err != nil {
			return err
		}
		defer s.c.d.free(results)
		leaves, err := s.c.d.alloc(uint64(p.Walks) * 32)
		if err != nil {
			return err
		}
		defer s.c.d.free(leaves)
		if err := s.c.d.launch("walk", uint64(p.Walks), threads, nb, s.sealed, p.Labels, p.Steps, p.Walks, uint32(p.Block()), results, leaves); err != nil {
			return err
		}
		host := make([]byte, uint64(p.Walks)*32)
		if err := s.c.d.download(results, host); err != nil {
			return err
		}
		tree, err := s.c.tree(leaves, uint64(p.Walks))
		if err != nil {
			return err
		}
		s.res = &proof.ResidencyRun{Nonce: nonce, Results: bytesToHashes(host), Tree: tree}
		root = tree.Root()
		return ctx.Err()
	})
	return root, err
}

func (s *cudaSeal) OpenResidency(walks []uint32) (*proof.ResidencyProof, error) {
	if s.res == nil {
		return nil, errors.New("no residency run to open")
	}
	return s.sealing.OpenResidency(s.res, walks), nil
}

func (s *cudaSeal) Gemm(ctx context.Context, seed proof.Hash) ([]proof.Hash, error) {
	p := s.sealing.Params
	m, n := uint64(p.GemmRows), uint64(p.GemmDim)
	keep := uint64(p.Rounds)*m*n*4 <= maxKeptOutputs
	run := &proof.GemmRun{Seed: seed}
	err := s.c.d.do(func() error {
		d := s.c.d
		bufs := map[string]uint64{"hash": 32, "b": n * n, "bt": n * n, "a": m * n, "c": m * n * 4, "segs": m * uint64(proof.RowSegments(int(n))) * 32, "leaves": m * 32}
		mem := map[string]devBuf{}
		defer func() {
			for _, b := range mem {
				d.free(b)
			}
		}()
		for name, size := range bufs {
			b, err := d.alloc(size)
			if err != nil {
				return err
			}
			mem[name] = b
		}
		prev := seed
		for t := uint32(0); t < p.Rounds; t++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			bseed := proof.GemmBSeed(seed, t)
			if err := d.upload(mem["hash"], bseed[:]); err != nil {
				return err
			}
			if err := d.launch("prg_fill", n*n/32, threads, mem["hash"], mem["b"], n*n/32); err != nil {
				return err
			}
			if err := d.launch("transpose_b", n*n, threads, mem["b"], mem["bt"], uint32(n)); err != nil {
				return err
			}
			if err := d.upload(mem["hash"], prev[:]); err != nil {
				return err
			}
			if err := d.launchBlocks("gather_rows", uint32(m), threads, mem["hash"], s.sealed, p.Labels, uint32(m), uint32(n), mem["a"]); err != nil {
				return err
			}
			work := m * n // one thread per output (dp4a)
			if d.arch != "sm_70" {
				work = (m / 16) * (n / 32) * 32 // one warp per 16×32 tile (mma)
			}
			if err := d.launch("gemm_s8", work, threads, mem["a"], mem["bt"], mem["c"], uint32(m), uint32(n)); err != nil {
				return err
			}
			segs := uint64(proof.RowSegments(int(n)))
			if err := d.launch("row_segments", m*segs, threads, mem["c"], uint32(m), uint32(n), mem["segs"]); err != nil {
				return err
			}
			if err := d.launch("row_leaves", m, threads, mem["segs"], uint32(m), uint32(segs), mem["leaves"]); err != nil {
				return err
			}
			tree, err := s.c.tree(mem["leaves"], m)
			if err != nil {
				return err
			}
			run.Trees = append(run.Trees, tree)
			run.Roots = append(run.Roots, tree.Root())
			if keep {
				raw := make([]byte, m*n*4)
				if err := d.download(mem["c"], raw); err != nil {
					return err
				}
				out := make([]int32, m*n)
				for i := range out {
					out[i] = int32(binary.LittleEndian.Uint32(raw[4*i:]))
				}
				run.C = append(run.C, out)
			}
			prev = tree.Root()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if keep {
		s.gemm = run
	} else {
		s.gemm = nil
	}
	return run.Roots, nil
}

func (s *cudaSeal) OpenGemm(refs []proof.RowRef) (*proof.GemmProof, error) {
	if s.gemm == nil {
		return nil, fmt.Errorf("no GEMM run to open (outputs above %d MiB are not kept)", maxKeptOutputs>>20)
	}
	return s.sealing.OpenGemm(s.gemm, refs), nil
}

func (s *cudaSeal) Close() error {
	_ = s.c.d.do(func() error { s.c.d.free(s.sealed); return nil })
	s.sealed = devBuf{}
	s.sealing, s.res, s.gemm = nil, nil, nil
	return nil
}

func bytesToHashes(b []byte) []proof.Hash {
	out := make([]proof.Hash, len(b)/32)
	for i := range out {
		copy(out[i][:], b[32*i:])
	}
	return out
}
