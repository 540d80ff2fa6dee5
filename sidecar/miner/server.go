package miner

import (
	"fmt"
	"net"

	"google.golang.org/grpc"

	"github.com/loopin-project/loopin/sidecar/access"
	"github.com/loopin-project/loopin/sidecar/grpcapi"
	"github.com/loopin-project/loopin/sidecar/protocol"
	"github.com/loopin-project/loopin/sidecar/tlspin"
)

// listenChallenges listens on addr and returns the gRPC server of the
// challenge protocol (sidecar/grpcapi, answering for device with seal) and
// of lease access (acc) over TLS with the sidecar's certificate, answers
// signed with the device key for chainID and given only to the verifier
// auth allows for each challenge, each request counted and timed
// in mm; the caller
// serves it (supervise.Group.GRPC). Errors: addr cannot be listened on.
func listenChallenges(addr string, device uint64, m *protocol.Miner, k *keys, chainID string, auth grpcapi.Authorizer, acc *access.Server, mm *minerMetrics) (*grpc.Server, net.Listener, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	api := grpcapi.NewServer()
	api.RequireAuth(chainID, auth)
	srv := grpc.NewServer(grpc.Creds(tlspin.ServerCredentials(k.cert)), grpc.ForceServerCodec(grpcapi.Codec()),
		grpc.ChainUnaryInterceptor(mm.interceptor, api.AuthInterceptor()))
	api.Add(device, m)
	api.Register(srv)
	acc.Register(srv)
	return srv, lis, nil
}
