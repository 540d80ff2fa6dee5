// Package metrics serves a sidecar's Prometheus metrics: a registry with
// the Go runtime's and the process's collectors, served at /metrics.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewRegistry returns a registry holding the Go runtime and process
// collectors, for the sidecar to add its own metrics to.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Listen listens on addr for Serve; an empty addr gives a nil listener
// and no error (metrics not served). Errors: addr cannot be listened on
// (naming it), so that a taken port stops the sidecar at start.
func Listen(addr string) (net.Listener, error) {
	if addr == "" {
		return nil, nil
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listen %s: %w", addr, err)
	}
	return lis, nil
}

// Serve serves reg at /metrics on lis until ctx ends, then shuts the
// server down gracefully (at most 5 s) and returns nil. It is a member of
// the sidecar's supervised group (sidecar/supervise). Errors: the server
// failed (an accept error, lis closed by someone else).
func Serve(ctx context.Context, lis net.Listener, reg *prometheus.Registry, log *slog.Logger) error {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	stop := context.AfterFunc(ctx, func() {
		shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutCtx)
	})
	defer stop()
	log.Info("serving metrics", "url", "http://"+lis.Addr().String()+"/metrics")
	if err := srv.Serve(lis); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
