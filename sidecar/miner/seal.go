package miner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"

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
}

// save writes state.json and, when s is given, the seal's layers first
// (seal.bin), each atomically (a temporary file synced, then renamed): a
// state.json on disk always describes a whole seal.bin.
func save(dir string, st state, s *proof.Sealing) error {
	bz, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if s != nil {
		var buf bytes.Buffer
		for _, layer := range s.Layers {
			for _, h := range layer {
				buf.Write(h[:])
			}
		}
		if err := renameio.WriteFile(filepath.Join(dir, "seal.bin"), buf.Bytes(), 0o600); err != nil {
			return err
		}
	}
	return renameio.WriteFile(filepath.Join(dir, "state.json"), bz, 0o600)
}

// load reads the state and the seal back (nil sealing when there is none).
func load(dir string) (state, *proof.Sealing, error) {
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
	raw, err := os.ReadFile(filepath.Join(dir, "seal.bin"))
	if err != nil {
		return st, nil, fmt.Errorf("the seal is missing (%w): delete %s to seal and register anew", err, dir)
	}
	want := int(p.Layers) * int(p.Labels) * 32
	if len(raw) != want {
		return st, nil, fmt.Errorf("seal.bin has %d bytes, want %d", len(raw), want)
	}
	s := &proof.Sealing{Params: p, Layers: make([][]proof.Hash, p.Layers), Trees: make([]*proof.Tree, p.Layers)}
	copy(s.Key[:], st.Key)
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
	return st, s, nil
}
