package app_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"google.golang.org/grpc"

	"github.com/loopin-project/loopin/app/apptesting"
	"github.com/loopin-project/loopin/gpu"
	"github.com/loopin-project/loopin/proof"
	"github.com/loopin-project/loopin/sidecar/grpcapi"
	"github.com/loopin-project/loopin/sidecar/protocol"
	"github.com/loopin-project/loopin/sidecar/tlspin"
	"github.com/loopin-project/loopin/sidecar/types"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
)

// tamperingMiner answers with the device key but corrupts the first
// residency opening and signs the corrupted one: a cheating device, whose
// own signature makes its wrong answer evidence.
type tamperingMiner struct {
	*protocol.Miner
	key     ed25519.PrivateKey
	chainID string
	root    *proof.Hash
}

func (m tamperingMiner) Residency(ctx context.Context, ch uint64, nonce proof.Hash) (proof.Hash, []byte, error) {
	root, sig, err := m.Miner.Residency(ctx, ch, nonce)
	*m.root = root
	return root, sig, err
}

func (m tamperingMiner) OpenResidency(ctx context.Context, ch uint64, nonce, secret proof.Hash, positions []uint32) ([]*types.Opening, error) {
	os, err := m.Miner.OpenResidency(ctx, ch, nonce, secret, positions)
	if err != nil {
		return nil, err
	}
	var rp proof.ResidencyProof
	if err := rp.UnmarshalBinary(os[0].Opening); err != nil {
		return nil, err
	}
	rp.Walks[0].Reads[3].Labels[0][0] ^= 1
	bz, err := rp.MarshalBinary()
	if err != nil {
		return nil, err
	}
	os[0].Opening = bz
	os[0].Signature = proof.SignAnswer(m.key, m.chainID, ch, proof.AnswerResidencyOpening, proof.OpeningPayload(secret, os[0].Position, proof.RootPayload(nonce, *m.root), bz))
	return os, nil
}

// unsignedMiner answers honestly but signs with another key: a device
// that cannot be held to its answers, reported "no answer".
type unsignedMiner struct{ *protocol.Miner }

// The sidecars' protocol against the chain: the verifier's setup report
// seals the device, its challenge report of an honest miner (over TLS
// gRPC pinned to the registered certificate, as between two sidecars)
// passes the chain's re-check and sets W, a tampering miner is reported
// "bad proof" with its own signed opening, which fails the device on chain,
// and a miner behind another certificate, one that lost its seal or one
// whose answers are not signed by the device are "no answer".
func TestSidecarProtocolAgainstTheChain(t *testing.T) {
	ctx := context.Background()
	c := apptesting.Setup(t, apptesting.ShortEpochs(1))
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	v := &protocol.Verifier{VRF: apptesting.TestVRFKey(hot), ChainID: c.ChainID()}

	sealing, ch := apptesting.RegisterSealed(t, c, "gpu-sidecar")
	seal := gpu.NewCPU(0).FromSealing(sealing)
	key := apptesting.DeviceKeyOf(t, c, ch.DeviceId)
	miner := protocol.NewMiner(seal, key, c.ChainID())
	c.NextBlock(t, time.Second)
	device, err := c.PocpsKeeper.GetDevice(c.Ctx(), ch.DeviceId)
	require.NoError(t, err)
	setup, verdict := v.Setup(ctx, miner, hot.String(), ch, device)
	require.NoError(t, verdict)
	_, err = apptesting.Deliver(c, c.Ctx(), setup)
	require.NoError(t, err)
	device, err = c.PocpsKeeper.GetDevice(c.Ctx(), ch.DeviceId)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.DEVICE_STATUS_SEALED, device.Status)
	sealing.Discard()

	// The honest challenge goes over TLS gRPC, as between two sidecars,
	// the client pinning the certificate hash; the test pins the one it
	// serves (the chain's record is apptesting's stand-in hash).
	cert, certHash, err := tlspin.LoadOrCreate(t.TempDir())
	require.NoError(t, err)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer(grpc.Creds(tlspin.ServerCredentials(cert)), grpc.ForceServerCodec(grpcapi.Codec()))
	api := grpcapi.NewServer()
	api.Add(device.Id, miner)
	api.Register(srv)
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	remote, err := grpcapi.Dial(lis.Addr().String(), device.Id, certHash)
	require.NoError(t, err)
	defer remote.Close()

	pool, err := c.PoolsKeeper.GPUClass(c.Ctx(), apptesting.PoolOf(t, c, device.GpuClass).Id)
	require.NoError(t, err)
	honest := apptesting.NextResidencyChallenge(t, c, device.Id)
	res := v.Challenge(ctx, remote, hot.String(), honest, device, pool.ResidencyDeadline, pool.GemmDeadline)
	require.NoError(t, res.Err)
	require.True(t, res.Msg.Passed)
	// The transcript holds every signed opening (the report only a
	// sample) and the report commits to it; the chain records the
	// commitment.
	tr := res.Transcript
	require.Equal(t, honest.Id, tr.ChallengeId)
	require.True(t, tr.Passed)
	require.Len(t, tr.Walks, int(sealing.Params.Samples))
	require.Len(t, tr.ResidencyOpenings, int(sealing.Params.Samples))
	require.Greater(t, len(tr.ResidencyOpenings), len(res.Msg.ResidencyOpenings))
	require.Greater(t, len(tr.GemmOpenings), len(res.Msg.GemmOpenings))
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

	// A man in the middle (another certificate than the pinned one) gets
	// no handshake: "no answer", and nothing the device signed is exposed.
	mitm, err := grpcapi.Dial(lis.Addr().String(), device.Id, make([]byte, 32))
	require.NoError(t, err)
	defer mitm.Close()
	next := apptesting.NextResidencyChallenge(t, c, device.Id)
	res = v.Challenge(ctx, mitm, hot.String(), next, device, pool.ResidencyDeadline, pool.GemmDeadline)
	require.ErrorContains(t, res.Err, "not the one registered on chain")
	require.Equal(t, pocpstypes.FAILURE_REASON_NO_ANSWER, res.Msg.FailureReason)

	// Answers signed with another key than the registered one: no answer.
	other, _, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	res = v.Challenge(ctx, unsignedMiner{protocol.NewMiner(seal, ed25519.NewKeyFromSeed(other[:32]), c.ChainID())}, hot.String(), next, device, pool.ResidencyDeadline, pool.GemmDeadline)
	require.ErrorIs(t, res.Err, proof.ErrBadSignature)
	require.Equal(t, pocpstypes.FAILURE_REASON_NO_ANSWER, res.Msg.FailureReason)
	require.Empty(t, res.Msg.ResidencyOpenings, "no unsigned evidence goes on chain")

	res = v.Challenge(ctx, tamperingMiner{miner, key, c.ChainID(), new(proof.Hash)}, hot.String(), next, device, pool.ResidencyDeadline, pool.GemmDeadline)
	require.Error(t, res.Err)
	require.False(t, res.Msg.Passed)
	require.Equal(t, pocpstypes.FAILURE_REASON_BAD_PROOF, res.Msg.FailureReason)
	require.Len(t, res.Msg.ResidencyOpenings, 1, "the failing signed opening is the evidence")
	resp, err := apptesting.Deliver(c, c.Ctx(), res.Msg)
	require.NoError(t, err, "the device's own signed wrong opening is evidence the chain accepts")
	require.NotNil(t, resp)
	device, err = c.PocpsKeeper.GetDevice(c.Ctx(), device.Id)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.DEVICE_STATUS_FAILED, device.Status, "signed evidence fails the device on one report")

	// A sidecar asked for a device it does not serve, or a miner that lost
	// its seal, cannot answer: "no answer".
	stranger, err := grpcapi.Dial(lis.Addr().String(), device.Id+1, certHash)
	require.NoError(t, err)
	defer stranger.Close()
	res = v.Challenge(ctx, stranger, hot.String(), pocpstypes.Challenge{Id: 98, DeviceId: device.Id, Nonce: make([]byte, 32)}, device, pool.ResidencyDeadline, pool.GemmDeadline)
	require.ErrorContains(t, res.Err, "serves no device")
	require.Equal(t, pocpstypes.FAILURE_REASON_NO_ANSWER, res.Msg.FailureReason)
	lost := protocol.NewMiner(nil, key, c.ChainID())
	res = v.Challenge(ctx, lost, hot.String(), pocpstypes.Challenge{Id: 99, DeviceId: device.Id, Nonce: make([]byte, 32)}, device, pool.ResidencyDeadline, pool.GemmDeadline)
	require.Error(t, res.Err)
	require.Equal(t, pocpstypes.FAILURE_REASON_NO_ANSWER, res.Msg.FailureReason)
}

// A miner that stalls is reported "no answer" within the verifier's
// bounds, never at the cost of the verifier's own deadline.
func TestStallingMinerIsReportedInTime(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(1))
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	sealing, ch := apptesting.RegisterSealed(t, c, "gpu-stall")
	device, err := c.PocpsKeeper.GetDevice(c.Ctx(), ch.DeviceId)
	require.NoError(t, err)
	v := &protocol.Verifier{VRF: apptesting.TestVRFKey(hot), ChainID: c.ChainID(), OpenTimeout: 50 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	report, verdict := v.Setup(ctx, stallingMiner{}, hot.String(), ch, device)
	require.ErrorIs(t, verdict, context.DeadlineExceeded)
	require.Empty(t, report.Proof, "an empty proof: no answer")
	_, err = apptesting.Deliver(c, c.Ctx(), report)
	require.NoError(t, err, "the chain takes the no-answer report")
	_ = sealing

	res := v.Challenge(context.Background(), stallingMiner{}, hot.String(), pocpstypes.Challenge{Id: 50, Nonce: make([]byte, 32)},
		device, 10*time.Millisecond, 10*time.Millisecond)
	require.ErrorIs(t, res.Err, context.DeadlineExceeded)
	require.Equal(t, pocpstypes.FAILURE_REASON_NO_ANSWER, res.Msg.FailureReason)
}

// stallingMiner never answers: every call waits for its context.
type stallingMiner struct{}

func (stallingMiner) Setup(ctx context.Context, _ uint64, _ proof.Hash) ([]byte, []byte, error) {
	<-ctx.Done()
	return nil, nil, ctx.Err()
}
func (stallingMiner) Residency(ctx context.Context, _ uint64, _ proof.Hash) (proof.Hash, []byte, error) {
	<-ctx.Done()
	return proof.Hash{}, nil, ctx.Err()
}
func (stallingMiner) OpenResidency(ctx context.Context, _ uint64, _, _ proof.Hash, _ []uint32) ([]*types.Opening, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}
func (stallingMiner) Gemm(ctx context.Context, _ uint64, _ proof.Hash) ([]proof.Hash, []byte, error) {
	<-ctx.Done()
	return nil, nil, ctx.Err()
}
func (stallingMiner) OpenGemm(ctx context.Context, _ uint64, _, _ proof.Hash, _ []uint32) ([]*types.Opening, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// Only the assigned verifier gets answers: the miner serves a challenge's
// requests signed by the hot key the chain assigned it, and refuses the
// unsigned and another key's (a third party could otherwise start or
// replace the device's runs and make it miss).
func TestMinerServesOnlyTheAssignedVerifier(t *testing.T) {
	ctx := context.Background()
	c := apptesting.Setup(t, apptesting.ShortEpochs(1))
	c.NextBlock(t, time.Second)
	hotKey := secp256k1.GenPrivKey()
	hot := apptesting.WithVerifierKey(t, c, sdk.AccAddress(hotKey.PubKey().Address()))
	sealing, ch := apptesting.RegisterSealed(t, c, "gpu-auth")
	seal := gpu.NewCPU(0).FromSealing(sealing)
	device, err := c.PocpsKeeper.GetDevice(c.Ctx(), ch.DeviceId)
	require.NoError(t, err)

	cert, certHash, err := tlspin.LoadOrCreate(t.TempDir())
	require.NoError(t, err)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	api := grpcapi.NewServer()
	srv := grpc.NewServer(grpc.Creds(tlspin.ServerCredentials(cert)), grpc.ForceServerCodec(grpcapi.Codec()), grpc.UnaryInterceptor(api.AuthInterceptor()))
	api.RequireAuth(c.ChainID(), func(_ context.Context, dev, id uint64) ([]byte, error) {
		got, err := c.PocpsKeeper.Challenges.Get(c.Ctx(), id)
		if err != nil || got.DeviceId != dev || got.Status != pocpstypes.CHALLENGE_STATUS_PENDING {
			return nil, fmt.Errorf("not a pending challenge of device %d", dev)
		}
		valBz, err := c.StakingKeeper.ValidatorAddressCodec().StringToBytes(got.Verifier)
		if err != nil {
			return nil, err
		}
		v, err := c.PocpsKeeper.Verifiers.Get(c.Ctx(), valBz)
		if err != nil {
			return nil, err
		}
		return sdk.AccAddressFromBech32(v.HotKey)
	})
	api.Add(device.Id, protocol.NewMiner(seal, apptesting.DeviceKeyOf(t, c, device.Id), c.ChainID()))
	api.Register(srv)
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	signer := func(k *secp256k1.PrivKey) grpcapi.Signer {
		return func(d []byte) ([]byte, []byte, error) {
			sig, err := k.Sign(d)
			return k.PubKey().Bytes(), sig, err
		}
	}
	v := &protocol.Verifier{VRF: apptesting.TestVRFKey(hot), ChainID: c.ChainID()}
	short := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, time.Second) }

	for name, opts := range map[string][]grpcapi.DialOption{
		"unsigned":    nil,
		"another key": {grpcapi.WithSigner(c.ChainID(), signer(secp256k1.GenPrivKey()))},
	} {
		stranger, err := grpcapi.Dial(lis.Addr().String(), device.Id, certHash, opts...)
		require.NoError(t, err)
		cctx, cancel := short()
		_, verdict := v.Setup(cctx, stranger, hot.String(), ch, device)
		cancel()
		require.Error(t, verdict, name)
		require.Contains(t, verdict.Error(), map[string]string{"unsigned": "Unauthenticated", "another key": "PermissionDenied"}[name], name)
		stranger.Close()
	}
	assigned, err := grpcapi.Dial(lis.Addr().String(), device.Id, certHash, grpcapi.WithSigner(c.ChainID(), signer(hotKey)))
	require.NoError(t, err)
	defer assigned.Close()
	report, verdict := v.Setup(ctx, assigned, hot.String(), ch, device)
	require.NoError(t, verdict)
	require.NotEmpty(t, report.Proof, "the assigned verifier gets the signed setup proof")
}

// A verifier whose challenge is closed comes back while another verifier's
// challenge runs on the same device, to replace that run: the miner runs a
// challenge again only while its run is still the latest.
func TestMinerRefusesAnOldChallengesRun(t *testing.T) {
	ctx := context.Background()
	s, err := gpu.NewCPU(1).Seal(ctx, proof.TinyParams(), proof.Hash{1}, gpu.SealOptions{})
	require.NoError(t, err)
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	m := protocol.NewMiner(s, key, "loopin-test-1")
	_, _, err = m.Residency(ctx, 7, proof.Hash{7})
	require.NoError(t, err)
	_, _, err = m.Residency(ctx, 7, proof.Hash{7})
	require.NoError(t, err, "the latest run may run again (a verifier restarted)")
	_, _, err = m.Residency(ctx, 8, proof.Hash{8})
	require.NoError(t, err)
	_, _, err = m.Residency(ctx, 7, proof.Hash{7})
	require.ErrorIs(t, err, protocol.ErrAlreadyRan)
	_, err = m.OpenResidency(ctx, 8, proof.Hash{8}, proof.Hash{}, []uint32{0})
	require.NoError(t, err, "challenge 8's run is intact")
}
