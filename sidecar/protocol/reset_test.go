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
	"github.com/loopin-project/loopin/sidecar/types"
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

// counting counts the expensive calls a verifier's requests cause.
type counting struct {
	gpu.Seal
	setups, opens int
}

func (c *counting) ProveSetup(ctx context.Context, seed proof.Hash) (*proof.SetupProof, error) {
	c.setups++
	return c.Seal.ProveSetup(ctx, seed)
}

func (c *counting) OpenResidency(walks []uint32) (*proof.ResidencyProof, error) {
	c.opens++
	return c.Seal.OpenResidency(walks)
}

// A verifier cannot make the device work at will: a repeated setup request
// is answered from the first answer (a setup proof may mean a re-seal),
// none is answered once the seal kept P alone (ErrSealed: a verifier with
// any of the device's challenges could otherwise ask for re-seal after
// re-seal), and a run's openings are bounded (k distinct positions, one
// audit secret a run) and computed once.
func TestMinerBoundsTheWorkAVerifierAsksFor(t *testing.T) {
	ctx := context.Background()
	p := proof.TinyParams()
	ref, err := proof.Seal(p, proof.Hash{3}, nil)
	require.NoError(t, err)
	seal := &counting{Seal: gpu.NewCPU(1).FromSealing(ref)}
	m := protocol.NewMiner(seal, ed25519.NewKeyFromSeed(make([]byte, 32)), "loopin-test-1")

	pf, sig, err := m.Setup(ctx, 1, proof.Hash{1})
	require.NoError(t, err)
	pf2, sig2, err := m.Setup(ctx, 1, proof.Hash{1})
	require.NoError(t, err)
	require.Equal(t, pf, pf2)
	require.Equal(t, sig, sig2)
	require.Equal(t, 1, seal.setups, "the repeated request is answered from the first")
	m.Discard()
	_, _, err = m.Setup(ctx, 2, proof.Hash{2})
	require.ErrorIs(t, err, protocol.ErrSealed)
	require.Equal(t, 1, seal.setups)

	nonce, secret := proof.Hash{4}, proof.Hash{5}
	_, _, err = m.Residency(ctx, 3, nonce)
	require.NoError(t, err)
	all := make([]uint32, p.Samples+1)
	for i := range all {
		all[i] = uint32(i)
	}
	_, err = m.OpenResidency(ctx, 3, nonce, secret, all)
	require.ErrorContains(t, err, "audit positions asked")
	_, err = m.OpenResidency(ctx, 3, nonce, secret, []uint32{1, 1})
	require.ErrorContains(t, err, "asked twice")
	_, err = m.OpenResidency(ctx, 3, nonce, secret, []uint32{p.Samples})
	require.ErrorContains(t, err, "the audit has")
	first, err := m.OpenResidency(ctx, 3, nonce, secret, []uint32{0, 1, 2})
	require.NoError(t, err)
	require.Equal(t, 3, seal.opens)
	again, err := m.OpenResidency(ctx, 3, nonce, secret, []uint32{2, 0})
	require.NoError(t, err)
	require.Equal(t, []*types.Opening{first[2], first[0]}, again, "the same signed openings")
	require.Equal(t, 3, seal.opens, "opened once")
	_, err = m.OpenResidency(ctx, 3, nonce, proof.Hash{6}, []uint32{3})
	require.ErrorContains(t, err, "another audit secret")
}
