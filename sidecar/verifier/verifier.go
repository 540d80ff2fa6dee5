// Package verifier is the verifier sidecar (`loopind sidecar verifier`,
// docs/protocol.md §6): for a registered verifier, it follows the chain's new
// blocks over the CometBFT websocket (polling when the websocket is away),
// runs each challenge assigned to its validator against the device's miner
// sidecar (sidecar/protocol over sidecar/grpcapi) on its own clock, keeps
// the full transcript (served at its endpoint, loopin.sidecar.v1.Verifier)
// and submits the report, which commits to the transcript's hash, signed
// with its hot key. Reports are written to disk before they are submitted,
// so a restart resubmits those still in time; Prometheus metrics are
// served at /metrics.
package verifier

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/cenkalti/backoff/v5"
	"google.golang.org/grpc"

	"github.com/loopin-project/loopin/proof"
	"github.com/loopin-project/loopin/sidecar/chain"
	"github.com/loopin-project/loopin/sidecar/metrics"
	"github.com/loopin-project/loopin/sidecar/protocol"
	"github.com/loopin-project/loopin/sidecar/supervise"
)

// Config is the verifier sidecar's configuration. Chain.From is the hot
// key registered with MsgRegisterVerifier.
type Config struct {
	Chain chain.Config
	// Dir keeps the verifier's secret seed, the pending reports and the
	// transcripts.
	Dir string
	// Listen is where the transcript service listens (the endpoint the
	// validator registered; empty: not served).
	Listen string
	// Metrics is where /metrics is served (empty: not served).
	Metrics string
	// KeepTranscripts is how long a transcript is kept and served after it
	// was written (0: forever); older ones are removed once an hour.
	KeepTranscripts time.Duration
	// Poll is how often the assigned challenges are read when the
	// websocket is away (default 1 s); with it, every new block.
	Poll time.Duration
	Log  *slog.Logger
}

// Run runs the verifier sidecar until ctx ends, then stops gracefully and
// returns nil. While the node is away it retries with backoff. The metrics
// server, the transcript server and the loop over the chain run
// supervised (sidecar/supervise): when one fails the others stop and Run
// returns its error, naming the server. Errors: configuration (key,
// directory, listen addresses), a server failed.
func Run(ctx context.Context, cfg Config) error {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	if cfg.Poll == 0 {
		cfg.Poll = time.Second
	}
	for _, sub := range []string{"reports", "transcripts"} {
		if err := os.MkdirAll(filepath.Join(cfg.Dir, sub), 0o700); err != nil {
			return err
		}
	}
	seed, err := loadSeed(cfg.Dir)
	if err != nil {
		return err
	}
	reg := metrics.NewRegistry()
	mm := newMetrics(reg)
	metricsLis, err := metrics.Listen(cfg.Metrics)
	if err != nil {
		return err
	}
	var srv *grpc.Server
	var lis net.Listener
	if cfg.Listen != "" {
		if srv, lis, err = listenTranscripts(cfg.Listen, filepath.Join(cfg.Dir, "transcripts"), cfg.Dir); err != nil {
			if metricsLis != nil {
				_ = metricsLis.Close()
			}
			return err
		}
	}
	g, _ := supervise.New(ctx)
	if metricsLis != nil {
		g.Go("metrics server", func(ctx context.Context) error { return metrics.Serve(ctx, metricsLis, reg, log) })
	}
	if srv != nil {
		g.GRPC("transcript server", srv, lis)
		log.Info("serving transcripts", "listen", cfg.Listen)
	}
	g.Go("", func(ctx context.Context) error { return run(ctx, cfg, seed, mm, log) })
	return g.Wait()
}

// run is the verifier's own member of the supervised group: it connects
// to the node and runs the assigned challenges on every new block (or
// poll) until ctx ends (nil). Errors: the key (chain.New).
func run(ctx context.Context, cfg Config, seed [32]byte, mm *verifierMetrics, log *slog.Logger) error {
	c, err := chain.New(cfg.Chain)
	if err != nil {
		return err
	}
	defer c.Close()
	vrf, err := proof.NewVRFKey(seed)
	if err != nil {
		return err
	}
	r := &runner{c: c, v: &protocol.Verifier{VRF: vrf, ChainID: cfg.Chain.ChainID}, cfg: cfg, mm: mm, log: log, hot: c.Address.String(), done: map[uint64]bool{}}
	defer r.wg.Wait() // the challenges in flight end with ctx

	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval, bo.MaxInterval = cfg.Poll, 30*time.Second
	var blocks <-chan int64
	var resubscribe, retryAt, lastRun time.Time
	tick := time.NewTicker(cfg.Poll)
	defer tick.Stop()
	for {
		if blocks == nil && time.Now().After(resubscribe) {
			if blocks, err = c.NewBlocks(ctx); err != nil {
				log.Warn("no event subscription, polling", "err", err)
				resubscribe = time.Now().Add(10 * time.Second)
			} else {
				log.Info("following new blocks over the websocket")
				mm.subscribed.Set(1)
			}
		}
		select {
		case <-ctx.Done():
			log.Info("shutting down")
			return nil
		case _, ok := <-blocks:
			if !ok {
				log.Warn("event subscription lost, polling")
				blocks, resubscribe = nil, time.Now().Add(cfg.Poll)
				mm.subscribed.Set(0)
				continue
			}
		case <-tick.C:
			// Polling: always without a subscription; with one, only when
			// no block came for a while (a stalled websocket).
			if blocks != nil && time.Since(lastRun) < 5*cfg.Poll {
				continue
			}
		}
		if time.Now().Before(retryAt) {
			continue // backing off
		}
		lastRun = time.Now()
		if err := r.step(ctx); err != nil && ctx.Err() == nil {
			d := bo.NextBackOff()
			retryAt = time.Now().Add(d)
			log.Warn("node unreachable, retrying", "in", d.Round(time.Millisecond), "err", err)
			continue
		}
		bo.Reset()
		retryAt = time.Time{}
	}
}
