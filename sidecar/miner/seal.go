package miner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"

	"github.com/loopin-project/loopin/gpu"
	"github.com/loopin-project/loopin/proof"
)

// state is what the sidecar keeps in Dir/state.json.
type state struct {
	DeviceID    uint64 `json:"device_id"`
	Fingerprint []byte `json:"fingerprint"`
	KeyHeight   int64  `json:"key_height"`
	Key         []byte `json:"key"`
	Params      []byte `json:"params"` // JSON of proof.Params
	StakeID     uint64 `json:"stake_id"`
	// LayerRoots is the seal's commitment (every layer's root), what
	// Restore checks seal.bin against.
	LayerRoots [][]byte `json:"layer_roots"`
}

func (st state) commitment() proof.Commitment {
	c := proof.Commitment{LayerRoots: make([]proof.Hash, len(st.LayerRoots))}
	for i, r := range st.LayerRoots {
		copy(c.LayerRoots[i][:], r)
	}
	return c
}

func rootsOf(c proof.Commitment) [][]byte {
	out := make([][]byte, len(c.LayerRoots))
	for i, r := range c.LayerRoots {
		out[i] = append([]byte(nil), r[:]...)
	}
	return out
}

// save writes state.json and, when seal is given, its sealed layer P first
// (seal.bin, Labels·32 bytes streamed from the backend), each atomically (a
// temporary file synced, then renamed): a state.json on disk always
// describes a whole seal.bin. st.LayerRoots must be the seal's.
func save(dir string, st state, seal gpu.Seal) error {
	if len(st.LayerRoots) == 0 {
		return errors.New("save: the state has no layer roots")
	}
	if seal != nil {
		f, err := renameio.NewPendingFile(filepath.Join(dir, "seal.bin"), renameio.WithPermissions(0o600))
		if err != nil {
			return err
		}
		defer f.Cleanup()
		w := bufio.NewWriterSize(f, 4<<20)
		if err := seal.WriteSealed(w); err != nil {
			return fmt.Errorf("write the seal to %s: %w", f.Name(), err)
		}
		if err := w.Flush(); err != nil {
			return err
		}
		if err := f.CloseAtomicallyReplace(); err != nil {
			return err
		}
	}
	bz, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return renameio.WriteFile(filepath.Join(dir, "state.json"), bz, 0o600)
}

// load reads the state and restores the seal it describes on prover (nil
// seal when there is none). A seal.bin of an earlier loopind (every layer,
// no layer roots in the state) is read once with the CPU reference and
// rewritten as P alone. Errors: unreadable state, a missing, short or
// foreign seal.bin, the device out of memory.
func load(ctx context.Context, dir string, prover gpu.Prover) (state, gpu.Seal, error) {
	var st state
	bz, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if errors.Is(err, os.ErrNotExist) {
		return st, nil, nil
	} else if err != nil {
		return st, nil, err
	}
	if err := json.Unmarshal(bz, &st); err != nil {
		return st, nil, fmt.Errorf("%s: %w", filepath.Join(dir, "state.json"), err)
	}
	var p proof.Params
	if err := json.Unmarshal(st.Params, &p); err != nil {
		return st, nil, err
	}
	if err := p.Validate(); err != nil {
		return st, nil, fmt.Errorf("%s: %w", filepath.Join(dir, "state.json"), err)
	}
	if len(st.Key) != len(proof.Hash{}) {
		return st, nil, fmt.Errorf("%s: the device key has %d bytes, want 32", filepath.Join(dir, "state.json"), len(st.Key))
	}
	var ek proof.Hash
	copy(ek[:], st.Key)
	path := filepath.Join(dir, "seal.bin")
	f, err := os.Open(path)
	if err != nil {
		return st, nil, fmt.Errorf("the seal is missing (%w): delete %s to seal and register anew", err, dir)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return st, nil, err
	}
	if len(st.LayerRoots) == 0 {
		return migrate(ctx, dir, st, p, ek, f, fi.Size(), prover)
	}
	if fi.Size() != int64(p.SealBytes()) {
		return st, nil, fmt.Errorf("%s has %d bytes, the seal's P has %d: delete %s to seal and register anew", path, fi.Size(), p.SealBytes(), dir)
	}
	seal, err := prover.Restore(ctx, p, ek, st.commitment(), bufio.NewReaderSize(f, 4<<20))
	if err != nil {
		return st, nil, fmt.Errorf("restore the seal in %s: %w", dir, err)
	}
	return st, seal, nil
}

// migrate reads a seal.bin of every layer (an earlier loopind's), finds
// the commitment with the CPU reference, restores P on prover and saves
// the seal in the present form.
func migrate(ctx context.Context, dir string, st state, p proof.Params, ek proof.Hash, f *os.File, size int64, prover gpu.Prover) (state, gpu.Seal, error) {
	if size != int64(p.Layers)*int64(p.SealBytes()) {
		return st, nil, fmt.Errorf("seal.bin has %d bytes, want %d (P) or %d (every layer): delete %s to seal and register anew",
			size, p.SealBytes(), int64(p.Layers)*int64(p.SealBytes()), dir)
	}
	raw, err := io.ReadAll(f)
	if err != nil {
		return st, nil, err
	}
	s := &proof.Sealing{Params: p, Key: ek, Layers: make([][]proof.Hash, p.Layers), Trees: make([]*proof.Tree, p.Layers)}
	for l := range s.Layers {
		layer := make([]proof.Hash, p.Labels)
		for i := range layer {
			off := (l*int(p.Labels) + i) * 32
			copy(layer[i][:], raw[off:off+32])
		}
		tree, err := proof.NewTree(proof.LabelLeaves(layer))
		if err != nil {
			return st, nil, err
		}
		s.Layers[l], s.Trees[l] = layer, tree
	}
	last := raw[len(raw)-int(p.SealBytes()):]
	seal, err := prover.Restore(ctx, p, ek, s.Commitment(), bytes.NewReader(last))
	if err != nil {
		return st, nil, fmt.Errorf("restore the seal in %s: %w", dir, err)
	}
	st.LayerRoots = rootsOf(seal.Commitment())
	if err := save(dir, st, seal); err != nil {
		seal.Close()
		return st, nil, err
	}
	return st, seal, nil
}
