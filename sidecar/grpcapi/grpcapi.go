// Package grpcapi carries the PoCPS challenge protocol (sidecar/protocol)
// over gRPC: Server serves a miner sidecar's devices to verifiers,
// MinerClient is the verifier's protocol.MinerAPI for one device at a miner
// sidecar's endpoint. The messages are loopin.sidecar.v1 (gogoproto), so
// both sides use the SDK's gogoproto gRPC codec (Codec).
package grpcapi

import (
	"context"
	"fmt"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"

	"github.com/loopin-project/loopin/proof"
	"github.com/loopin-project/loopin/sidecar/protocol"
	"github.com/loopin-project/loopin/sidecar/tlspin"
	"github.com/loopin-project/loopin/sidecar/types"
)

// Codec is the gRPC codec of the sidecar messages (gogoproto).
func Codec() encoding.Codec {
	return codec.NewProtoCodec(codectypes.NewInterfaceRegistry()).GRPCCodec()
}

// Server serves loopin.sidecar.v1.Miner for the devices a miner sidecar
// holds, by device id. Safe for concurrent use.
type Server struct {
	mu      sync.RWMutex
	devices map[uint64]protocol.MinerAPI
	chainID string
	auth    Authorizer
}

var _ types.MinerServer = (*Server)(nil)

// NewServer returns a server with no device yet that serves anyone
// (tests); RequireAuth makes it serve only assigned verifiers.
func NewServer() *Server { return &Server{devices: map[uint64]protocol.MinerAPI{}} }

// RequireAuth serves only requests signed (RequestDigest for chainID) by
// the hot key auth allows for their device and challenge.
func (s *Server) RequireAuth(chainID string, auth Authorizer) {
	s.chainID, s.auth = chainID, auth
}

// Add serves device id from m (replacing what served it).
func (s *Server) Add(id uint64, m protocol.MinerAPI) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.devices[id] = m
}

// Register registers the service on g. A server that requires
// authentication must also be built with AuthInterceptor.
func (s *Server) Register(g *grpc.Server) { types.RegisterMinerServer(g, s) }

func (s *Server) device(id uint64) (protocol.MinerAPI, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.devices[id]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "this sidecar serves no device %d", id)
	}
	return m, nil
}

func hash(b []byte, what string) (proof.Hash, error) {
	var h proof.Hash
	if len(b) != len(h) {
		return h, status.Errorf(codes.InvalidArgument, "%s must be %d bytes, got %d", what, len(h), len(b))
	}
	copy(h[:], b)
	return h, nil
}

func answerErr(err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Error(codes.Unavailable, err.Error())
}

// Setup implements types.MinerServer.
func (s *Server) Setup(ctx context.Context, req *types.SetupRequest) (*types.SignedAnswer, error) {
	m, err := s.device(req.DeviceId)
	if err != nil {
		return nil, err
	}
	seed, err := hash(req.Seed, "seed")
	if err != nil {
		return nil, err
	}
	pf, sig, err := m.Setup(ctx, req.ChallengeId, seed)
	if err != nil {
		return nil, answerErr(err)
	}
	return &types.SignedAnswer{Proof: pf, Signature: sig}, nil
}

// Residency implements types.MinerServer.
func (s *Server) Residency(ctx context.Context, req *types.ResidencyRequest) (*types.RootsAnswer, error) {
	m, err := s.device(req.DeviceId)
	if err != nil {
		return nil, err
	}
	nonce, err := hash(req.Nonce, "nonce")
	if err != nil {
		return nil, err
	}
	root, sig, err := m.Residency(ctx, req.ChallengeId, nonce)
	if err != nil {
		return nil, answerErr(err)
	}
	return &types.RootsAnswer{Roots: [][]byte{root[:]}, Signature: sig}, nil
}

// OpenResidency implements types.MinerServer.
func (s *Server) OpenResidency(ctx context.Context, req *types.OpenRequest) (*types.OpeningsAnswer, error) {
	return s.open(ctx, req, protocol.MinerAPI.OpenResidency)
}

// Gemm implements types.MinerServer.
func (s *Server) Gemm(ctx context.Context, req *types.GemmRequest) (*types.RootsAnswer, error) {
	m, err := s.device(req.DeviceId)
	if err != nil {
		return nil, err
	}
	seed, err := hash(req.Seed, "seed")
	if err != nil {
		return nil, err
	}
	roots, sig, err := m.Gemm(ctx, req.ChallengeId, seed)
	if err != nil {
		return nil, answerErr(err)
	}
	resp := &types.RootsAnswer{Signature: sig}
	for _, r := range roots {
		resp.Roots = append(resp.Roots, append([]byte(nil), r[:]...))
	}
	return resp, nil
}

// OpenGemm implements types.MinerServer.
func (s *Server) OpenGemm(ctx context.Context, req *types.OpenRequest) (*types.OpeningsAnswer, error) {
	return s.open(ctx, req, protocol.MinerAPI.OpenGemm)
}

func (s *Server) open(ctx context.Context, req *types.OpenRequest,
	open func(protocol.MinerAPI, context.Context, uint64, proof.Hash, proof.Hash, []uint32) ([]*types.Opening, error),
) (*types.OpeningsAnswer, error) {
	m, err := s.device(req.DeviceId)
	if err != nil {
		return nil, err
	}
	run, err := hash(req.Run, "run")
	if err != nil {
		return nil, err
	}
	secret, err := hash(req.Secret, "secret")
	if err != nil {
		return nil, err
	}
	if len(req.Positions) > 1024 {
		return nil, status.Errorf(codes.InvalidArgument, "%d positions, at most 1024", len(req.Positions))
	}
	os, err := open(m, ctx, req.ChallengeId, run, secret, req.Positions)
	if err != nil {
		return nil, answerErr(err)
	}
	return &types.OpeningsAnswer{Openings: os}, nil
}

// DialOption configures Dial.
type DialOption func(*dialOptions)

type dialOptions struct {
	chainID string
	sign    Signer
}

// WithSigner signs every request for chain chainID with sign (the
// verifier's hot key): a miner that requires authentication serves only
// the assigned verifier.
func WithSigner(chainID string, sign Signer) DialOption {
	return func(o *dialOptions) { o.chainID, o.sign = chainID, sign }
}

// MinerClient is protocol.MinerAPI for one device at a miner sidecar.
type MinerClient struct {
	conn   *grpc.ClientConn
	client types.MinerClient
	device uint64
}

var _ protocol.MinerAPI = (*MinerClient)(nil)

// Dial connects to the miner sidecar at endpoint (host:port) for device
// over TLS, accepting only the certificate whose SHA-256 is certHash (the
// device's tls_cert_hash on chain; tlspin.ClientCredentials). The
// connection is lazy: an unreachable sidecar, or one presenting another
// certificate, fails the first call, which the verifier reports as "no
// answer".
func Dial(endpoint string, device uint64, certHash []byte, opts ...DialOption) (*MinerClient, error) {
	var o dialOptions
	for _, opt := range opts {
		opt(&o)
	}
	grpcOpts := []grpc.DialOption{grpc.WithTransportCredentials(tlspin.ClientCredentials(certHash))}
	if o.sign != nil {
		grpcOpts = append(grpcOpts, grpc.WithUnaryInterceptor(signingInterceptor(o.chainID, o.sign)))
	}
	conn, err := grpc.NewClient(endpoint, append(grpcOpts,
		grpc.WithDefaultCallOptions(grpc.ForceCodec(Codec())))...)
	if err != nil {
		return nil, fmt.Errorf("miner sidecar %s: %w", endpoint, err)
	}
	return &MinerClient{conn: conn, client: types.NewMinerClient(conn), device: device}, nil
}

// Close closes the connection.
func (c *MinerClient) Close() error { return c.conn.Close() }

// WaitReady connects and waits until the connection is ready or ctx ends
// (gRPC reconnects with its own exponential backoff meanwhile), so that a
// miner sidecar restarting for a few seconds is not reported as lost.
// Errors: ctx's, with the connection's last state.
func (c *MinerClient) WaitReady(ctx context.Context) error {
	c.conn.Connect()
	for {
		st := c.conn.GetState()
		if st == connectivity.Ready {
			return nil
		}
		if !c.conn.WaitForStateChange(ctx, st) {
			return fmt.Errorf("miner sidecar not reachable (%s): %w", st, ctx.Err())
		}
	}
}

// Setup implements protocol.MinerAPI.
func (c *MinerClient) Setup(ctx context.Context, challenge uint64, seed proof.Hash) ([]byte, []byte, error) {
	resp, err := c.client.Setup(ctx, &types.SetupRequest{DeviceId: c.device, ChallengeId: challenge, Seed: seed[:]})
	if err != nil {
		return nil, nil, err
	}
	return resp.Proof, resp.Signature, nil
}

// Residency implements protocol.MinerAPI.
func (c *MinerClient) Residency(ctx context.Context, challenge uint64, nonce proof.Hash) (proof.Hash, []byte, error) {
	resp, err := c.client.Residency(ctx, &types.ResidencyRequest{DeviceId: c.device, ChallengeId: challenge, Nonce: nonce[:]})
	if err != nil {
		return proof.Hash{}, nil, err
	}
	if len(resp.Roots) != 1 {
		return proof.Hash{}, nil, fmt.Errorf("residency answer has %d roots, want 1", len(resp.Roots))
	}
	root, err := hash(resp.Roots[0], "root")
	return root, resp.Signature, err
}

// OpenResidency implements protocol.MinerAPI.
func (c *MinerClient) OpenResidency(ctx context.Context, challenge uint64, nonce, secret proof.Hash, positions []uint32) ([]*types.Opening, error) {
	resp, err := c.client.OpenResidency(ctx, &types.OpenRequest{DeviceId: c.device, ChallengeId: challenge, Run: nonce[:], Secret: secret[:], Positions: positions})
	if err != nil {
		return nil, err
	}
	return resp.Openings, nil
}

// Gemm implements protocol.MinerAPI.
func (c *MinerClient) Gemm(ctx context.Context, challenge uint64, seed proof.Hash) ([]proof.Hash, []byte, error) {
	resp, err := c.client.Gemm(ctx, &types.GemmRequest{DeviceId: c.device, ChallengeId: challenge, Seed: seed[:]})
	if err != nil {
		return nil, nil, err
	}
	roots := make([]proof.Hash, len(resp.Roots))
	for i, r := range resp.Roots {
		if roots[i], err = hash(r, "root"); err != nil {
			return nil, nil, err
		}
	}
	return roots, resp.Signature, nil
}

// OpenGemm implements protocol.MinerAPI.
func (c *MinerClient) OpenGemm(ctx context.Context, challenge uint64, seed, secret proof.Hash, positions []uint32) ([]*types.Opening, error) {
	resp, err := c.client.OpenGemm(ctx, &types.OpenRequest{DeviceId: c.device, ChallengeId: challenge, Run: seed[:], Secret: secret[:], Positions: positions})
	if err != nil {
		return nil, err
	}
	return resp.Openings, nil
}
