package miner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/loopin-project/loopin/gpu"
	"github.com/loopin-project/loopin/sidecar/chain"
)

// transient retries what a later try may not meet and stops on what it
// will meet again.
func TestTransient(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("register: %w", fmt.Errorf("%w: expected 3, got 2", chain.ErrSequence)), true},
		{fmt.Errorf("transaction not included: %w", context.DeadlineExceeded), true},
		{fmt.Errorf("node status: %w", refused), true},
		{status.Error(codes.Unavailable, "connection refused"), true},
		{fmt.Errorf("devices: %w", status.Error(codes.Unavailable, "node away")), true},
		{fmt.Errorf("register: %w", fmt.Errorf("%w: key_height too old", chain.ErrRefused)), false},
		{fmt.Errorf("%w: code 5", chain.ErrTxFailed), false},
		{fmt.Errorf("%w: device 1", errFingerprintTaken), false},
		{status.Error(codes.NotFound, "no pool for class"), false},
		{fmt.Errorf("seal.bin: %w", os.ErrPermission), false},
		// A seal that cannot fit will not fit on the next try either (a
		// second miner sidecar on the GPU): the sidecar stops and says so.
		{fmt.Errorf("cannot seal a h100-sxm device here: %w: a seal of 64 GiB needs 65 GiB", gpu.ErrDeviceMemory), false},
	} {
		require.Equal(t, tc.want, transient(tc.err), "%v", tc.err)
	}
}
