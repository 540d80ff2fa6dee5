package supervise

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
)

// waitCtx is a member that runs until the group's context ends and reports
// that it did.
func waitCtx(stopped chan<- struct{}) func(context.Context) error {
	return func(ctx context.Context) error {
		<-ctx.Done()
		close(stopped)
		return nil
	}
}

func waitOrFail(t *testing.T, g *Group) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- g.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("the group did not stop")
		return nil
	}
}

// A member's error stops the others, and Wait returns it, named.
func TestMemberErrorStopsGroup(t *testing.T) {
	boom := errors.New("boom")
	g, _ := New(context.Background())
	stopped := make(chan struct{})
	g.Go("loop", waitCtx(stopped))
	g.Go("metrics server", func(context.Context) error { return boom })
	err := waitOrFail(t, g)
	require.ErrorIs(t, err, boom)
	require.EqualError(t, err, "metrics server: boom")
	<-stopped
}

// The sidecar's own loop (name "") returns its error as it is.
func TestUnnamedMemberError(t *testing.T) {
	boom := errors.New("device failed verification")
	g, _ := New(context.Background())
	g.Go("", func(context.Context) error { return boom })
	require.Equal(t, boom, waitOrFail(t, g))
}

// A gRPC server whose Serve fails stops the group with its name; the
// sidecar's loop sees its context end.
func TestGRPCServeFailureStopsGroup(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, lis.Close()) // Serve's Accept fails at once
	g, _ := New(context.Background())
	stopped := make(chan struct{})
	g.Go("", waitCtx(stopped))
	g.GRPC("challenge server", grpc.NewServer(), lis)
	err = waitOrFail(t, g)
	require.ErrorContains(t, err, "challenge server: ")
	require.ErrorIs(t, err, net.ErrClosed)
	<-stopped
}

// Cancelling the caller's context (Ctrl-C) stops every member, the gRPC
// server included, with no error.
func TestCancelStopsCleanly(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := lis.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	g, gctx := New(ctx)
	stopped := make(chan struct{})
	g.Go("", waitCtx(stopped))
	g.GRPC("transcript server", grpc.NewServer(), lis)
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err, "the server listens while the group runs")
	require.NoError(t, conn.Close())
	require.NoError(t, gctx.Err())

	cancel()
	require.NoError(t, waitOrFail(t, g))
	<-stopped
	_, err = net.Dial("tcp", addr)
	require.Error(t, err, "the server no longer listens")
}

// A member that returns, even without an error, ends the group's context
// (a server that stops ends the sidecar).
func TestMemberReturnEndsGroup(t *testing.T) {
	g, gctx := New(context.Background())
	stopped := make(chan struct{})
	g.Go("loop", waitCtx(stopped))
	g.Go("server", func(context.Context) error { return nil })
	require.NoError(t, waitOrFail(t, g))
	<-stopped
	require.Error(t, gctx.Err())
}

// A gRPC server stopped by its owner before or while it serves is no
// error.
func TestGRPCStoppedByOwner(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer()
	srv.GracefulStop()
	g, _ := New(context.Background())
	g.GRPC("challenge server", srv, lis)
	require.NoError(t, waitOrFail(t, g))
}
