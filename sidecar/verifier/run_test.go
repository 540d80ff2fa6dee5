package verifier

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/loopin-project/loopin/app"
	"github.com/loopin-project/loopin/sidecar/chain"
)

// freeAddr returns a local address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := lis.Addr().String()
	require.NoError(t, lis.Close())
	return addr
}

// testConfig is a verifier with a key in a test keyring and a node that is
// not there (the sidecar keeps retrying).
func testConfig(t *testing.T) Config {
	t.Helper()
	home := t.TempDir()
	kr, err := keyring.New("loopin", keyring.BackendTest, home, nil, app.MakeModuleEncodingConfig().Codec)
	require.NoError(t, err)
	_, _, err = kr.NewMnemonic("hot", keyring.English, sdk.FullFundraiserPath, "", hd.Secp256k1)
	require.NoError(t, err)
	return Config{
		Chain: chain.Config{ChainID: "loopin-test-1", RPC: "tcp://" + freeAddr(t), GRPC: freeAddr(t),
			KeyringDir: home, KeyringBackend: keyring.BackendTest, From: "hot"},
		Dir: t.TempDir(), Listen: freeAddr(t), Metrics: freeAddr(t), Poll: 50 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// Run serves metrics and transcripts while it runs, and a cancelled
// context (Ctrl-C) stops both with no error.
func TestRunStopsCleanly(t *testing.T) {
	cfg := testConfig(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()
	require.Eventually(t, func() bool {
		res, err := http.Get("http://" + cfg.Metrics + "/metrics")
		if err != nil {
			return false
		}
		_ = res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 10*time.Second, 20*time.Millisecond, "metrics served")
	conn, err := net.Dial("tcp", cfg.Listen)
	require.NoError(t, err, "transcripts served")
	require.NoError(t, conn.Close())

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
	for _, addr := range []string{cfg.Metrics, cfg.Listen} {
		_, err := net.Dial("tcp", addr)
		require.Error(t, err, "%s still listens", addr)
	}
}

// A listen address taken stops Run at start with an error naming it, and
// leaves nothing listening.
func TestRunListenTaken(t *testing.T) {
	for _, which := range []string{"metrics", "transcripts"} {
		t.Run(which, func(t *testing.T) {
			cfg := testConfig(t)
			taken, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			defer taken.Close()
			want := "listen " + taken.Addr().String()
			if which == "metrics" {
				cfg.Metrics, want = taken.Addr().String(), "metrics "+want
			} else {
				cfg.Listen = taken.Addr().String()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err = Run(ctx, cfg)
			require.ErrorContains(t, err, want)
			require.NoError(t, ctx.Err(), "Run returned at once")
			if which == "transcripts" {
				lis, err := net.Listen("tcp", cfg.Metrics)
				require.NoError(t, err, fmt.Sprintf("the metrics address %s is free again", cfg.Metrics))
				require.NoError(t, lis.Close())
			}
		})
	}
}
