package grpcapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
)

// Request authentication (docs/pocps.md §14): the verifier signs every
// challenge request with its hot key; the miner serves a challenge's
// requests only to the hot key of the verifier the chain assigned it, so
// nobody else can start, replace or delay a run of the device.

// Metadata keys of a signed request (binary gRPC metadata).
const (
	mdPubKey    = "loopin-hot-pubkey-bin"
	mdSignature = "loopin-signature-bin"
)

// challengeRequest is what every Miner request carries.
type challengeRequest interface {
	GetDeviceId() uint64
	GetChallengeId() uint64
	Marshal() ([]byte, error)
}

// RequestDigest is what a verifier's hot key signs for one request:
// SHA-256("loopin/sidecar/v2/request" ‖ u32 len ‖ chainID ‖ u64 challengeID ‖
// u32 len ‖ full method ‖ SHA-256(request encoding)).
func RequestDigest(chainID string, challengeID uint64, method string, req []byte) []byte {
	h := sha256.New()
	h.Write([]byte("loopin/sidecar/v2/request"))
	h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(chainID))))
	h.Write([]byte(chainID))
	h.Write(binary.BigEndian.AppendUint64(nil, challengeID))
	h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(method))))
	h.Write([]byte(method))
	r := sha256.Sum256(req)
	h.Write(r[:])
	return h.Sum(nil)
}

// Signer signs a request digest with the verifier's hot key, returning the
// compressed secp256k1 public key and the signature.
type Signer func(digest []byte) (pubKey, sig []byte, err error)

// Authorizer returns the account address of the hot key allowed to ask
// device for challenge (the assigned verifier's, for a pending challenge
// of that device), or an error saying why none is: wrapping ErrNotAllowed
// for a refusal, anything else (the node unreachable) for a failure the
// verifier may retry.
type Authorizer func(ctx context.Context, device, challenge uint64) ([]byte, error)

// ErrNotAllowed is an Authorizer's refusal.
var ErrNotAllowed = errors.New("not allowed")

// signingInterceptor signs every request with sign for chain chainID.
func signingInterceptor(chainID string, sign Signer) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		r, ok := req.(challengeRequest)
		if !ok {
			return invoker(ctx, method, req, reply, cc, opts...)
		}
		bz, err := r.Marshal()
		if err != nil {
			return err
		}
		pub, sig, err := sign(RequestDigest(chainID, r.GetChallengeId(), method, bz))
		if err != nil {
			return err
		}
		ctx = metadata.AppendToOutgoingContext(ctx, mdPubKey, string(pub), mdSignature, string(sig))
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

// AuthInterceptor checks every challenge request (one with a challenge id:
// the Miner service's) before its handler runs (authorize); other services
// on the same server (lease access) pass through.
func (s *Server) AuthInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if r, ok := req.(challengeRequest); ok {
			if err := s.authorize(ctx, info.FullMethod, r); err != nil {
				return nil, err
			}
		}
		return handler(ctx, req)
	}
}

// authorize checks that req of method is signed by the hot key auth allows
// for its device and challenge. Errors (gRPC codes): Unauthenticated for a
// missing or bad signature, PermissionDenied for another key or a
// challenge that is not the device's pending one.
func (s *Server) authorize(ctx context.Context, method string, req challengeRequest) error {
	if s.auth == nil {
		return nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	pubs, sigs := md.Get(mdPubKey), md.Get(mdSignature)
	if len(pubs) != 1 || len(sigs) != 1 || len(pubs[0]) != secp256k1.PubKeySize {
		return status.Error(codes.Unauthenticated, "the request is not signed by a verifier's hot key")
	}
	bz, err := req.Marshal()
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	pub := &secp256k1.PubKey{Key: []byte(pubs[0])}
	if !pub.VerifySignature(RequestDigest(s.chainID, req.GetChallengeId(), method, bz), []byte(sigs[0])) {
		return status.Error(codes.Unauthenticated, "the request's signature does not verify")
	}
	allowed, err := s.auth(ctx, req.GetDeviceId(), req.GetChallengeId())
	if errors.Is(err, ErrNotAllowed) {
		return status.Errorf(codes.PermissionDenied, "challenge %d: %v", req.GetChallengeId(), err)
	} else if err != nil {
		return status.Errorf(codes.Unavailable, "challenge %d: the miner cannot read the chain: %v", req.GetChallengeId(), err)
	}
	if !bytes.Equal(allowed, pub.Address()) {
		return status.Errorf(codes.PermissionDenied, "challenge %d is not assigned to this key", req.GetChallengeId())
	}
	return nil
}
