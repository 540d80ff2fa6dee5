// Package miner is the miner sidecar (`loopind sidecar miner`, docs/protocol.md
// §6): it seals a device on a gpu backend (CUDA or the CPU reference),
// keeps the seal on disk, registers the device, serves the challenge
// protocol and lease access over gRPC, stakes the device once a verifier
// has sealed it, renews the stake when configured, and exports Prometheus
// metrics.
package miner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"cosmossdk.io/math"
	"github.com/cenkalti/backoff/v5"

	"github.com/loopin-project/loopin/gpu"
	"github.com/loopin-project/loopin/sidecar/chain"
	"github.com/loopin-project/loopin/sidecar/metrics"
	"github.com/loopin-project/loopin/sidecar/protocol"
	"github.com/loopin-project/loopin/sidecar/supervise"
)

// Config is the miner sidecar's configuration (`loopind sidecar miner
// init` writes it commented).
type Config struct {
	Chain chain.Config
	// Backend is the prover: "auto" (CUDA when a driver and a device are
	// found, else the CPU), "cuda" or "cpu".
	Backend string
	// Kernel is the CUDA kernel set (gpu.Options.Kernel; "" for tiled).
	Kernel string
	// Class is the device's GPU class (its pool), e.g. "rtx-4090".
	Class string
	// Name tells this device from others on the same host (fingerprint).
	Name string
	// Listen is where the challenge and lease-access services listen;
	// Endpoint is what the chain records for verifiers and lessees (Listen
	// when empty).
	Listen, Endpoint string
	// Dir keeps the seal (its sealed layer P, seal.bin) and the sidecar's
	// state across restarts.
	Dir string
	// SealCache, if set, is a directory the CUDA backend streams the
	// seal's layers to while sealing (Layers·Labels·32 bytes, deleted once
	// the setup proof has passed), instead of host memory.
	SealCache string
	// Stake is "lp", "sell" or "none"; Duration (LP, e.g. "10m") or Days
	// (sale); MaxUloop bounds the uloop an LP stake or renewal injects,
	// MinUloopOut the least a sale may pay (0: any price).
	Stake       string
	Duration    time.Duration
	Days        uint32
	MaxUloop    math.Int
	MinUloopOut math.Int
	// RenewEpochs > 0 renews an active LP stake by that many epochs
	// whenever less than RenewBefore of it is left (chain time).
	RenewEpochs uint32
	RenewBefore time.Duration
	// Privacy is the privacy level reported (0..100).
	Privacy uint32
	// AccessHook is the shell command run to grant and revoke lease access
	// (sidecar/access.Hook); empty refuses lease access.
	AccessHook string
	// Metrics is where /metrics is served (host:port; empty: not served).
	Metrics string
	// Poll is how often the chain is read (default 2 s).
	Poll time.Duration
	Log  *slog.Logger

	// keys are loaded by Run from Dir (device key, TLS certificate).
	keys *keys
}

// Run runs the miner sidecar until ctx ends, then stops gracefully (the
// device stays registered) and returns nil. While the node is away it
// retries with backoff. The metrics server, the challenge and lease-access
// server and the loop over the chain run supervised (sidecar/supervise):
// when one fails the others stop and Run returns its error, naming the
// server. Errors: configuration (backend, key, directory, listen
// addresses), sealing or registration refused by the chain, the device
// failed, a server failed.
func Run(ctx context.Context, cfg Config) error {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = cfg.Listen
	}
	if cfg.Poll == 0 {
		cfg.Poll = 2 * time.Second
	}
	switch cfg.Stake {
	case "lp", "none":
	case "sell":
		if cfg.MinUloopOut.IsNil() || cfg.MinUloopOut.IsZero() {
			log.Warn("selling at any price: --min-uloop-out is 0 (bound it near days × x/stake day_length × `loopind q pools spot-price <class>`)", "days", cfg.Days)
		}
	default:
		return fmt.Errorf("stake must be lp, sell or none, not %q", cfg.Stake)
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return err
	}
	reg := metrics.NewRegistry()
	mm := newMetrics(reg)
	metricsLis, err := metrics.Listen(cfg.Metrics)
	if err != nil {
		return err
	}
	g, _ := supervise.New(ctx)
	if metricsLis != nil {
		g.Go("metrics server", func(ctx context.Context) error { return metrics.Serve(ctx, metricsLis, reg, log) })
	}
	g.Go("", func(ctx context.Context) error { return run(ctx, g, cfg, mm, log) })
	return g.Wait()
}

// run is the miner's own member of the group g: it opens the backend,
// sets the device up (setUp), starts the challenge and lease-access server
// in g and watches the chain until ctx ends (nil) or the device fails.
func run(ctx context.Context, g *supervise.Group, cfg Config, mm *minerMetrics, log *slog.Logger) error {
	prover, err := gpu.OpenWith(cfg.Backend, gpu.Options{Kernel: cfg.Kernel})
	if err != nil {
		return fmt.Errorf("backend %q: %w", cfg.Backend, err)
	}
	defer prover.Close()
	info := prover.Info()
	log.Info("backend", "backend", info.Backend, "device", info.Device, "memory_bytes", info.MemoryBytes, "driver", info.Driver)

	c, err := chain.New(cfg.Chain)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := waitForNode(ctx, c, log); err != nil {
		if ctx.Err() != nil {
			log.Info("shutting down")
			return nil
		}
		return err
	}

	if cfg.keys, err = loadKeys(cfg.Dir); err != nil {
		return err
	}
	// Each step of setUp is saved before the next, so a try that fails for
	// a passing reason (the node away, a block late, a sequence race) is
	// tried again without losing work; any other error stops the sidecar.
	up, err := backoff.Retry(ctx, func() (setUpResult, error) {
		st, seal, err := setUp(ctx, c, prover, cfg, mm, log)
		if err != nil && !transient(err) {
			return setUpResult{}, backoff.Permanent(err)
		}
		return setUpResult{st, seal}, err
	}, backoff.WithMaxElapsedTime(0), backoff.WithNotify(func(err error, d time.Duration) {
		log.Warn("registration not done, retrying", "in", d.Round(time.Millisecond), "err", err)
	}))
	st, seal := up.st, up.seal
	if err != nil {
		if ctx.Err() != nil {
			log.Info("shutting down")
			return nil
		}
		return err
	}
	defer seal.Close()
	if err := reconcileKeys(ctx, c, cfg, st.DeviceID, log); err != nil {
		return err
	}

	acc, err := newAccess(cfg, c, mm, log)
	if err != nil {
		return err
	}
	acc.Serve(st.DeviceID)
	answers := protocol.NewMiner(seal, cfg.keys.device, cfg.Chain.ChainID)
	defer answers.Close()
	answers.OnDeviceReset(func(ctx context.Context) (gpu.Seal, error) {
		log.Warn("the GPU faulted and was reset: restoring the seal from disk", "dir", cfg.Dir)
		_, restored, err := load(ctx, cfg.Dir, prover)
		if err != nil {
			log.Error("restore after the reset failed: the device cannot answer until the sidecar restarts", "err", err)
			return nil, err
		}
		mm.observeMemory(prover.Memory())
		return restored, nil
	})
	srv, lis, err := listenChallenges(cfg.Listen, st.DeviceID, answers, cfg.keys, cfg.Chain.ChainID, newAuthorizer(c).allowed, acc, mm)
	if err != nil {
		return err
	}
	g.GRPC("challenge server", srv, lis)
	// Stopped before the seal closes, so no request in flight reads it.
	defer srv.GracefulStop()
	log.Info("serving challenges and lease access", "device", st.DeviceID, "listen", cfg.Listen, "endpoint", cfg.Endpoint,
		"access_hook", cfg.AccessHook != "")

	w := &watcher{c: c, cfg: cfg, st: st, mm: mm, acc: acc, log: log, answers: answers}
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval, bo.MaxInterval = cfg.Poll, 30*time.Second
	wait := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			log.Info("shutting down")
			return nil
		case <-time.After(wait):
		}
		err := w.step(ctx)
		switch {
		case errors.Is(err, errDeviceFailed):
			log.Error("stopping", "err", err)
			return err
		case err != nil && ctx.Err() == nil:
			wait = bo.NextBackOff()
			what := "node unreachable, retrying"
			if chain.Final(err) {
				what = "the chain refuses this step (prices and state move), retrying"
			}
			log.Warn(what, "in", wait.Round(time.Millisecond), "err", err)
		default:
			bo.Reset()
			wait = cfg.Poll
		}
	}
}

// waitForNode waits, with backoff, until the node answers.
func waitForNode(ctx context.Context, c *chain.Client, log *slog.Logger) error {
	_, err := backoff.Retry(ctx, func() (int64, error) {
		h, _, err := c.Head(ctx)
		return h, err
	}, backoff.WithMaxElapsedTime(0), backoff.WithNotify(func(err error, d time.Duration) {
		log.Warn("node unreachable, retrying", "in", d.Round(time.Millisecond), "err", err)
	}))
	return err
}
