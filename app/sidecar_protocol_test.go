package app_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"

	"github.com/loopin-project/loopin/app/apptesting"
	"github.com/loopin-project/loopin/gpu"
	"github.com/loopin-project/loopin/proof"
	"github.com/loopin-project/loopin/sidecar/grpcapi"
	"github.com/loopin-project/loopin/sidecar/protocol"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
)

// tamperingMiner answers honestly but corrupts the first residency opening.
type tamperingMiner struct{ *protocol.Miner }

func (m tamperingMiner) OpenResidency(ctx context.Context, nonce proof.Hash, walks []uint32) ([]byte, error) {
	bz, err := m.Miner.OpenResidency(ctx, nonce, walks)
	if err != nil {
		return nil, err
	}
	var rp proof.ResidencyProof
	if err := rp.UnmarshalBinary(bz); err != nil {
		return nil, err
	}
	rp.Walks[0].Result[0] ^= 1
	return rp.MarshalBinary()
}

// The sidecars' protocol against the chain: the verifier's setup report
// seals the device, its challenge report of an honest miner (over gRPC,
// as between two sidecars) passes the
// chain's re-check and sets W, and a tampering miner is reported "bad
// proof" with a sample that fails on chain too, which fails the device.
func TestSidecarProtocolAgainstTheChain(t *testing.T) {
	ctx := context.Background()
	c := apptesting.Setup(t, apptesting.ShortEpochs(1))
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	v := &protocol.Verifier{Seed: [32]byte{42}}

	sealing, ch := apptesting.RegisterSealed(t, c, "gpu-sidecar")
	seal, err := gpu.NewCPU(0).Restore(sealing)
	require.NoError(t, err)
	miner := protocol.NewMiner(seal)
	c.NextBlock(t, time.Second)
	c.NextBlock(t, time.Second)
	device, err := c.PocpsKeeper.GetDevice(c.Ctx(), ch.DeviceId)
	require.NoError(t, err)
	var seed proof.Hash
	copy(seed[:], apptesting.BlockHash(ch.SeedHeight))
	setup, err := v.Setup(ctx, miner, hot.String(), ch, device, seed)
	require.NoError(t, err)
	_, err = apptesting.Deliver(c, c.Ctx(), setup)
	require.NoError(t, err)
	device, err = c.PocpsKeeper.GetDevice(c.Ctx(), ch.DeviceId)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.DEVICE_STATUS_SEALED, device.Status)
	sealing.Discard()

	// The honest challenge goes over gRPC, as between two sidecars.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer(grpc.ForceServerCodec(grpcapi.Codec()))
	api := grpcapi.NewServer()
	api.Add(device.Id, miner)
	api.Register(srv)
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	remote, err := grpcapi.Dial(lis.Addr().String(), device.Id)
	require.NoError(t, err)
	defer remote.Close()

	pool, err := c.PoolsKeeper.GPUClass(c.Ctx(), apptesting.PoolOf(t, c, device.GpuClass).Id)
	require.NoError(t, err)
	honest := apptesting.NextResidencyChallenge(t, c, device.Id)
	res := v.Challenge(ctx, remote, hot.String(), honest, device, pool.ResidencyDeadline, pool.GemmDeadline)
	require.NoError(t, res.Err)
	require.True(t, res.Msg.Passed)
	// The transcript holds the full openings (the report only a sample)
	// and the report commits to it; the chain records the commitment.
	tr := res.Transcript
	require.Equal(t, honest.Id, tr.ChallengeId)
	require.True(t, tr.Passed)
	require.Len(t, tr.Walks, int(sealing.Params.Samples))
	require.Greater(t, len(tr.ResidencyProof), len(res.Msg.ResidencySample))
	require.Greater(t, len(tr.GemmProof), len(res.Msg.GemmSample))
	require.Equal(t, res.Msg.GemmRoots, tr.GemmRoots)
	res.Msg.TranscriptHash, err = protocol.TranscriptHash(tr)
	require.NoError(t, err)
	_, err = apptesting.Deliver(c, c.Ctx(), res.Msg)
	require.NoError(t, err, "the chain's re-check accepts the honest report")
	closed, err := c.PocpsKeeper.Challenges.Get(c.Ctx(), honest.Id)
	require.NoError(t, err)
	require.Equal(t, res.Msg.TranscriptHash, closed.TranscriptHash)
	tr.GemmNs++ // any change to the transcript changes its hash
	changed, err := protocol.TranscriptHash(tr)
	require.NoError(t, err)
	require.NotEqual(t, closed.TranscriptHash, changed)
	device, err = c.PocpsKeeper.GetDevice(c.Ctx(), device.Id)
	require.NoError(t, err)
	require.True(t, device.W.IsPositive(), "W measured by the verifier")

	res = v.Challenge(ctx, tamperingMiner{miner}, hot.String(), apptesting.NextResidencyChallenge(t, c, device.Id), device, pool.ResidencyDeadline, pool.GemmDeadline)
	require.Error(t, res.Err)
	require.False(t, res.Msg.Passed)
	require.Equal(t, pocpstypes.FAILURE_REASON_BAD_PROOF, res.Msg.FailureReason)
	_, err = apptesting.Deliver(c, c.Ctx(), res.Msg)
	require.NoError(t, err, "the failing sample is evidence the chain accepts")
	device, err = c.PocpsKeeper.GetDevice(c.Ctx(), device.Id)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.DEVICE_STATUS_FAILED, device.Status)

	// A sidecar asked for a device it does not serve, or a miner that lost
	// its seal, cannot answer: "no answer".
	other, err := grpcapi.Dial(lis.Addr().String(), device.Id+1)
	require.NoError(t, err)
	defer other.Close()
	res = v.Challenge(ctx, other, hot.String(), pocpstypes.Challenge{Id: 98, DeviceId: device.Id}, device, pool.ResidencyDeadline, pool.GemmDeadline)
	require.ErrorContains(t, res.Err, "serves no device")
	require.Equal(t, pocpstypes.FAILURE_REASON_NO_ANSWER, res.Msg.FailureReason)
	lost := protocol.NewMiner(nil)
	res = v.Challenge(ctx, lost, hot.String(), pocpstypes.Challenge{Id: 99, DeviceId: device.Id}, device, pool.ResidencyDeadline, pool.GemmDeadline)
	require.Error(t, res.Err)
	require.Equal(t, pocpstypes.FAILURE_REASON_NO_ANSWER, res.Msg.FailureReason)
}
