package verifier

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/loopin-project/loopin/sidecar/grpcapi"
	"github.com/loopin-project/loopin/sidecar/tlspin"
	"github.com/loopin-project/loopin/sidecar/types"
)

// listenTranscripts listens on addr and returns the gRPC server of the
// transcripts saved in dir (loopin.sidecar.v1.Verifier), over TLS with the
// certificate kept in keyDir (created the first time); the caller serves
// it (supervise.Group.GRPC). A transcript's integrity is its hash on
// chain, so clients need not pin the certificate. Errors: addr cannot be
// listened on, the certificate.
func listenTranscripts(addr, dir, keyDir string) (*grpc.Server, net.Listener, error) {
	cert, _, err := tlspin.LoadOrCreate(keyDir)
	if err != nil {
		return nil, nil, err
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	srv := grpc.NewServer(grpc.Creds(tlspin.ServerCredentials(cert)), grpc.ForceServerCodec(grpcapi.Codec()))
	types.RegisterVerifierServer(srv, transcripts{dir: dir})
	return srv, lis, nil
}

// transcripts serves the saved transcripts (loopin.sidecar.v1.Verifier).
type transcripts struct{ dir string }

// Transcript implements types.VerifierServer. Errors: NotFound for a
// challenge this verifier holds no transcript of.
func (t transcripts) Transcript(_ context.Context, req *types.TranscriptRequest) (*types.ChallengeTranscript, error) {
	bz, err := os.ReadFile(filepath.Join(t.dir, strconv.FormatUint(req.ChallengeId, 10)+".pb"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, status.Errorf(codes.NotFound, "no transcript of challenge %d here (setup challenges have none)", req.ChallengeId)
	} else if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	var tr types.ChallengeTranscript
	if err := tr.Unmarshal(bz); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &tr, nil
}

// pruneTranscripts removes the transcripts (*.pb) in dir last written
// before cutoff and returns how many it removed. Errors: dir unreadable,
// a file that cannot be removed (the rest are still tried).
func pruneTranscripts(dir string, cutoff time.Time) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".pb" {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		if info.ModTime().Before(cutoff) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				errs = append(errs, err)
				continue
			}
			n++
		}
	}
	return n, errors.Join(errs...)
}
