// Package supervise runs a sidecar's servers and its main loop as one
// group (golang.org/x/sync/errgroup) with a shared context: the first
// member to end, with an error or without, ends the context, so the others
// stop; Wait returns the first error, naming the member that failed. A
// sidecar stopped by its caller's context (Ctrl-C) ends with no error.
package supervise

import (
	"context"
	"errors"
	"fmt"
	"net"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
)

// Group is a set of members (servers, loops) that stop together.
type Group struct {
	g      *errgroup.Group
	ctx    context.Context
	cancel context.CancelFunc
}

// New returns an empty group and its context, which ends when ctx does,
// when a member fails, or when any member returns.
func New(ctx context.Context) (*Group, context.Context) {
	g, gctx := errgroup.WithContext(ctx)
	gctx, cancel := context.WithCancel(gctx)
	return &Group{g: g, ctx: gctx, cancel: cancel}, gctx
}

// Go runs fn as a member: fn gets the group's context and returns once it
// ends. When fn returns, the group's context ends; an error of fn stops the
// group and Wait returns it as "name: err" (as it is when name is "", for
// the sidecar's own loop, whose errors already say what failed). A member
// may start others while the group runs.
func (g *Group) Go(name string, fn func(ctx context.Context) error) {
	g.g.Go(func() error {
		defer g.cancel()
		err := fn(g.ctx)
		if err != nil && name != "" {
			err = fmt.Errorf("%s: %w", name, err)
		}
		return err
	})
}

// GRPC serves srv on lis as the member name until the group's context
// ends, then stops srv gracefully (requests in flight are answered). A
// Serve that fails (an accept error, the listener closed) stops the group
// with that error; srv stopped by its owner (GracefulStop) is no error.
func (g *Group) GRPC(name string, srv *grpc.Server, lis net.Listener) {
	g.Go(name, func(ctx context.Context) error {
		stop := context.AfterFunc(ctx, srv.GracefulStop)
		defer stop()
		err := srv.Serve(lis)
		if errors.Is(err, grpc.ErrServerStopped) {
			return nil // stopped before it served
		}
		return err
	})
}

// Wait waits until every member has returned and returns the first error
// (nil when the members ended without one, e.g. the caller's context
// was cancelled).
func (g *Group) Wait() error {
	defer g.cancel()
	return g.g.Wait()
}
