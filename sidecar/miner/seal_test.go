package miner

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/loopin-project/loopin/gpu"
	"github.com/loopin-project/loopin/proof"
)

// The miner keeps the sealed layer P alone (seal.bin) with the layer roots
// in state.json; a restart restores the same seal, whose answers equal the
// original's. A seal.bin of every layer (an earlier loopind) is restored
// and rewritten as P alone; a truncated or foreign seal.bin is refused
// with what to do.
func TestSealSurvivesARestart(t *testing.T) {
	ctx := context.Background()
	p := proof.TinyParams()
	ek := proof.Hash{5}
	prover := gpu.NewCPU(1)
	seal, err := prover.Seal(ctx, p, ek, gpu.SealOptions{})
	require.NoError(t, err)
	pj, err := json.Marshal(p)
	require.NoError(t, err)
	st := state{DeviceID: 7, Key: ek[:], Params: pj, LayerRoots: rootsOf(seal.Commitment())}
	dir := t.TempDir()
	require.NoError(t, save(dir, st, seal))
	// Later saves of the state alone (the device id, the stake) keep the
	// roots a restart needs.
	st.StakeID = 3
	require.NoError(t, save(dir, st, nil))
	require.Error(t, save(dir, state{DeviceID: 7}, nil), "a state without roots is not written")
	fi, err := os.Stat(filepath.Join(dir, "seal.bin"))
	require.NoError(t, err)
	require.EqualValues(t, p.SealBytes(), fi.Size(), "P alone is kept")

	nonce := proof.Hash{1}
	want, err := seal.Residency(ctx, nonce)
	require.NoError(t, err)
	wantSetup, err := seal.ProveSetup(ctx, proof.Hash{2})
	require.NoError(t, err)

	got, back, err := load(ctx, dir, prover)
	require.NoError(t, err)
	require.Equal(t, uint64(7), got.DeviceID)
	require.Equal(t, uint64(3), got.StakeID)
	require.Equal(t, seal.Commitment(), back.Commitment())
	root, err := back.Residency(ctx, nonce)
	require.NoError(t, err)
	require.Equal(t, want, root)
	setup, err := back.ProveSetup(ctx, proof.Hash{2})
	require.NoError(t, err)
	require.Equal(t, wantSetup, setup, "the setup proof of a restored seal (re-sealed)")

	// The layout of an earlier loopind: every layer, no roots.
	ref, err := proof.Seal(p, ek, nil)
	require.NoError(t, err)
	old := t.TempDir()
	var all []byte
	for _, layer := range ref.Layers {
		for _, h := range layer {
			all = append(all, h[:]...)
		}
	}
	require.NoError(t, os.WriteFile(filepath.Join(old, "seal.bin"), all, 0o600))
	bz, err := json.Marshal(state{DeviceID: 8, Key: ek[:], Params: pj})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(old, "state.json"), bz, 0o600))
	got, migrated, err := load(ctx, old, prover)
	require.NoError(t, err)
	require.Equal(t, ref.Commitment(), migrated.Commitment())
	require.Len(t, got.LayerRoots, int(p.Layers))
	fi, err = os.Stat(filepath.Join(old, "seal.bin"))
	require.NoError(t, err)
	require.EqualValues(t, p.SealBytes(), fi.Size(), "rewritten as P alone")
	_, again, err := load(ctx, old, prover)
	require.NoError(t, err, "and loads in the present layout")
	require.Equal(t, ref.Commitment(), again.Commitment())

	// A damaged seal.bin is refused, and the error says what to do.
	raw, err := os.ReadFile(filepath.Join(dir, "seal.bin"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "seal.bin"), raw[:100], 0o600))
	_, _, err = load(ctx, dir, prover)
	require.ErrorContains(t, err, "to seal and register anew")
	raw[50] ^= 1
	require.NoError(t, os.WriteFile(filepath.Join(dir, "seal.bin"), raw, 0o600))
	_, _, err = load(ctx, dir, prover)
	require.ErrorContains(t, err, "does not match the commitment")
}
