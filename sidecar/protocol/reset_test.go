package protocol_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/loopin-project/loopin/gpu"
	"github.com/loopin-project/loopin/proof"
	"github.com/loopin-project/loopin/sidecar/protocol"
)

// faulted is a seal whose device was reset: every answer fails with
// gpu.ErrDeviceReset.
type faulted struct {
	gpu.Seal
	closed bool
}

func (f *faulted) Residency(context.Context, proof.Hash) (proof.Hash, error) {
	return proof.Hash{}, fmt.Errorf("%w: CUDA launch walk: error 700", gpu.ErrDeviceReset)
}

func (f *faulted) Close() error { f.closed = true; return nil }

// A miner whose GPU faulted restores its seal (OnDeviceReset) and answers
// the challenge from the restored seal; without a restore, or when the
// restore fails, the fault is the answer.
func TestMinerRestoresItsSealAfterADeviceReset(t *testing.T) {
	ctx := context.Background()
	p := proof.TinyParams()
	ref, err := proof.Seal(p, proof.Hash{3}, nil)
	require.NoError(t, err)
	good := gpu.NewCPU(1).FromSealing(ref)
	want, err := good.Residency(ctx, proof.Hash{9})
	require.NoError(t, err)
	key := ed25519.NewKeyFromSeed(make([]byte, 32))

	bad := &faulted{Seal: good}
	m := protocol.NewMiner(bad, key, "loopin-test-1")
	_, _, err = m.Residency(ctx, 1, proof.Hash{9})
	require.ErrorIs(t, err, gpu.ErrDeviceReset, "no restore set")

	m.OnDeviceReset(func(context.Context) (gpu.Seal, error) { return nil, errors.New("seal.bin unreadable") })
	_, _, err = m.Residency(ctx, 2, proof.Hash{9})
	require.ErrorIs(t, err, gpu.ErrDeviceReset, "a failed restore leaves the fault")
	require.False(t, bad.closed)

	restores := 0
	m.OnDeviceReset(func(context.Context) (gpu.Seal, error) { restores++; return good, nil })
	root, sig, err := m.Residency(ctx, 3, proof.Hash{9})
	require.NoError(t, err)
	require.Equal(t, want, root)
	require.NoError(t, proof.VerifyAnswer(key.Public().(ed25519.PublicKey), sig, "loopin-test-1", 3, proof.AnswerResidencyRoot, proof.RootPayload(proof.Hash{9}, root)))
	require.True(t, bad.closed, "the faulted seal is closed")
	require.Equal(t, 1, restores)
	_, _, err = m.Residency(ctx, 4, proof.Hash{9})
	require.NoError(t, err)
	require.Equal(t, 1, restores, "the restored seal answers without restoring again")
}
