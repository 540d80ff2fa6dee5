// Package verifier is the verifier sidecar (`loopind sidecar verifier`,
// PROTOCOL.md §6): for a registered verifier, it follows the chain's new
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
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/google/renameio/v2"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/loopin-project/loopin/proof"
	"github.com/loopin-project/loopin/sidecar/chain"
	"github.com/loopin-project/loopin/sidecar/grpcapi"
	"github.com/loopin-project/loopin/sidecar/metrics"
	"github.com/loopin-project/loopin/sidecar/protocol"
	"github.com/loopin-project/loopin/sidecar/types"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
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

// verifierMetrics are the verifier sidecar's Prometheus metrics.
type verifierMetrics struct {
	challenges *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	reports    *prometheus.CounterVec
	pending    prometheus.Gauge
	height     prometheus.Gauge
	subscribed prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *verifierMetrics {
	m := &verifierMetrics{
		challenges: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "loopin_verifier_challenges_total",
			Help: "Challenges run, by kind (setup, residency) and verdict (passed, failed)."}, []string{"kind", "verdict"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "loopin_verifier_answer_seconds",
			Help:    "The miner's answer time on the verifier's clock, by phase (setup, residency, gemm), seconds.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10)}, []string{"phase"}),
		reports: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "loopin_verifier_reports_total",
			Help: "Reports submitted, by outcome (accepted, refused, retry)."}, []string{"outcome"}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{Name: "loopin_verifier_reports_pending",
			Help: "Reports saved on disk and not yet accepted or refused."}),
		height: prometheus.NewGauge(prometheus.GaugeOpts{Name: "loopin_verifier_chain_height",
			Help: "Latest block height seen on the node."}),
		subscribed: prometheus.NewGauge(prometheus.GaugeOpts{Name: "loopin_verifier_events_subscribed",
			Help: "1 while new blocks arrive over the websocket, 0 while polling."}),
	}
	reg.MustRegister(m.challenges, m.latency, m.reports, m.pending, m.height, m.subscribed)
	return m
}

// Run runs the verifier sidecar until ctx ends, then stops gracefully.
// While the node is away it retries with backoff. Errors: configuration
// (key, directory, listen addresses).
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
	if err := metrics.Serve(ctx, cfg.Metrics, reg, log); err != nil {
		return err
	}
	if cfg.Listen != "" {
		lis, err := net.Listen("tcp", cfg.Listen)
		if err != nil {
			return fmt.Errorf("listen %s: %w", cfg.Listen, err)
		}
		srv := grpc.NewServer(grpc.ForceServerCodec(grpcapi.Codec()))
		types.RegisterVerifierServer(srv, transcripts{dir: filepath.Join(cfg.Dir, "transcripts")})
		go func() { _ = srv.Serve(lis) }()
		defer srv.GracefulStop()
		log.Info("serving transcripts", "listen", cfg.Listen)
	}
	c, err := chain.New(cfg.Chain)
	if err != nil {
		return err
	}
	defer c.Close()
	r := &runner{c: c, v: &protocol.Verifier{Seed: seed}, cfg: cfg, mm: mm, log: log, hot: c.Address.String(), done: map[uint64]bool{}}

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

// runner runs the assigned challenges.
type runner struct {
	c         *chain.Client
	v         *protocol.Verifier
	cfg       Config
	mm        *verifierMetrics
	log       *slog.Logger
	hot       string
	validator string
	done      map[uint64]bool
	// warnedUnregistered is when "not a registered verifier" was last logged.
	warnedUnregistered time.Time
	// pruned is when old transcripts were last removed.
	pruned time.Time
}

// step reads the assigned challenges once and runs the new ones. Errors:
// the node cannot be read.
func (r *runner) step(ctx context.Context) error {
	height, _, err := r.c.Head(ctx)
	if err != nil {
		return err
	}
	r.mm.height.Set(float64(height))
	q := pocpstypes.NewQueryClient(r.c.Conn())
	if r.validator == "" {
		v, err := findValidator(ctx, q, r.hot)
		if errors.Is(err, errNotRegistered) {
			// Said at once, then once a minute while it lasts.
			if time.Since(r.warnedUnregistered) >= time.Minute {
				r.log.Warn("not a registered verifier yet; waiting", "hot_key", r.hot, "err", err)
				r.warnedUnregistered = time.Now()
			}
			return nil
		} else if err != nil {
			return err
		}
		r.validator = v
		r.log.Info("verifying", "validator", v, "hot_key", r.hot)
	}
	if err := r.resubmit(ctx); err != nil {
		return err
	}
	if r.cfg.KeepTranscripts > 0 && time.Since(r.pruned) >= time.Hour {
		n, err := pruneTranscripts(filepath.Join(r.cfg.Dir, "transcripts"), time.Now().Add(-r.cfg.KeepTranscripts))
		if err != nil {
			r.log.Warn("old transcripts not removed", "err", err)
		} else if n > 0 {
			r.log.Info("old transcripts removed", "count", n, "older_than", r.cfg.KeepTranscripts)
		}
		r.pruned = time.Now()
	}
	pending, err := q.PendingChallenges(ctx, &pocpstypes.QueryPendingChallengesRequest{Verifier: r.validator})
	if err != nil {
		return err
	}
	pq := poolstypes.NewQueryClient(r.c.Conn())
	for _, ch := range pending.Challenges {
		if r.done[ch.Id] {
			continue
		}
		if err := r.handle(ctx, q, pq, ch); err != nil {
			if !errors.Is(err, errNotYet) {
				r.log.Warn("challenge not handled, will retry", "challenge", ch.Id, "err", err)
			}
			continue
		}
		r.done[ch.Id] = true
	}
	// Forget challenges no longer pending (bounded memory).
	still := map[uint64]bool{}
	for _, ch := range pending.Challenges {
		if r.done[ch.Id] {
			still[ch.Id] = true
		}
	}
	r.done = still
	return nil
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

var errNotYet = errors.New("not yet")

// handle runs challenge ch, saves its transcript and report, and submits
// the report. Once the report is saved the challenge is done: a
// submission the node could not take is retried from disk (resubmit).
// Errors: errNotYet (setup seed block still to come), the node unreadable,
// the disk.
func (r *runner) handle(ctx context.Context, q pocpstypes.QueryClient, pq poolstypes.QueryClient, ch pocpstypes.Challenge) error {
	dres, err := q.Device(ctx, &pocpstypes.QueryDeviceRequest{DeviceId: ch.DeviceId})
	if err != nil {
		return err
	}
	device := dres.Device
	miner, err := grpcapi.Dial(device.Endpoint, device.Id)
	if err != nil {
		return err
	}
	defer miner.Close()
	// A miner away for a moment (a restart) gets up to a quarter of the
	// time left, at most 10 s, to come back before the challenge starts;
	// the clock starts with the first request, so the wait costs it nothing.
	wait := min(time.Until(ch.Deadline)/4, 10*time.Second)
	readyCtx, cancelReady := context.WithTimeout(ctx, wait)
	if err := miner.WaitReady(readyCtx); err != nil {
		r.log.Warn("miner sidecar away, challenging anyway", "challenge", ch.Id, "device", device.Id, "endpoint", device.Endpoint, "err", err)
	}
	cancelReady()
	callCtx, cancel := context.WithTimeout(ctx, time.Until(ch.Deadline))
	defer cancel()
	var msg interface {
		Marshal() ([]byte, error)
	}
	switch ch.Kind {
	case pocpstypes.CHALLENGE_KIND_SETUP:
		height, _, err := r.c.Head(ctx)
		if err != nil {
			return err
		}
		if height < ch.SeedHeight {
			return errNotYet // the seed is a block still to come
		}
		bh, err := r.c.BlockHash(ctx, ch.SeedHeight)
		if err != nil {
			return err
		}
		var seed proof.Hash
		copy(seed[:], bh)
		start := time.Now()
		report, err := r.v.Setup(callCtx, miner, r.hot, ch, device, seed)
		r.mm.latency.WithLabelValues("setup").Observe(time.Since(start).Seconds())
		if err != nil {
			r.mm.challenges.WithLabelValues("setup", "failed").Inc()
			return fmt.Errorf("setup of device %d: %w", device.Id, err)
		}
		r.mm.challenges.WithLabelValues("setup", "passed").Inc()
		msg = report
		r.log.Info("setup proof checked", "challenge", ch.Id, "device", device.Id)
	default:
		pool, err := pq.Pool(ctx, &poolstypes.QueryPoolRequest{GpuClass: device.GpuClass})
		if err != nil {
			return err
		}
		res := r.v.Challenge(callCtx, miner, r.hot, ch, device, pool.Class.ResidencyDeadline, pool.Class.GemmDeadline)
		res.Transcript.Endpoint = device.Endpoint
		bz, err := res.Transcript.Marshal()
		if err != nil {
			return err
		}
		if res.Msg.TranscriptHash, err = protocol.TranscriptHash(res.Transcript); err != nil {
			return err
		}
		if err := renameio.WriteFile(filepath.Join(r.cfg.Dir, "transcripts", strconv.FormatUint(ch.Id, 10)+".pb"), bz, 0o600); err != nil {
			return err
		}
		r.mm.latency.WithLabelValues("residency").Observe(res.Residency.Seconds())
		r.mm.latency.WithLabelValues("gemm").Observe(res.Gemm.Seconds())
		r.mm.challenges.WithLabelValues("residency", verdict(res.Msg.Passed)).Inc()
		msg = res.Msg
		r.log.Info("challenge run", "challenge", ch.Id, "device", device.Id, "passed", res.Msg.Passed, "reason", res.Msg.FailureReason,
			"residency", res.Residency, "gemm", res.Gemm, "w_ops_per_s", res.Msg.W.String(), "err", res.Err)
	}
	bz, err := msg.Marshal()
	if err != nil {
		return err
	}
	path := filepath.Join(r.cfg.Dir, "reports", strconv.FormatUint(ch.Id, 10)+"."+kindName(ch.Kind))
	if err := renameio.WriteFile(path, bz, 0o600); err != nil {
		return err
	}
	if err := r.submitSaved(ctx, path); err != nil && !chain.Final(err) {
		r.log.Warn("report kept for a later try", "challenge", ch.Id, "err", err)
	}
	return nil
}

func verdict(passed bool) string {
	if passed {
		return "passed"
	}
	return "failed"
}

func kindName(k pocpstypes.ChallengeKind) string {
	if k == pocpstypes.CHALLENGE_KIND_SETUP {
		return "setup"
	}
	return "result"
}

// submitSaved submits a saved report and removes it once included or
// refused for good (the chain's answer is final); a node that is away
// leaves it on disk.
func (r *runner) submitSaved(ctx context.Context, path string) error {
	bz, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var setup pocpstypes.MsgSubmitSetupResult
	var result pocpstypes.MsgSubmitChallengeResult
	if filepath.Ext(path) == ".setup" {
		if err := setup.Unmarshal(bz); err != nil {
			return err
		}
		_, err = r.c.Submit(ctx, 30*time.Second, &setup)
	} else {
		if err := result.Unmarshal(bz); err != nil {
			return err
		}
		_, err = r.c.Submit(ctx, 30*time.Second, &result)
	}
	switch {
	case err == nil:
		r.mm.reports.WithLabelValues("accepted").Inc()
	case chain.Final(err):
		r.mm.reports.WithLabelValues("refused").Inc()
		r.log.Warn("report refused by the chain", "file", filepath.Base(path), "err", err)
	default:
		r.mm.reports.WithLabelValues("retry").Inc()
		r.countPending()
		return err // the node is away: keep the report for the next try
	}
	_ = os.Remove(path)
	r.countPending()
	return err
}

func (r *runner) countPending() {
	setups, _ := filepath.Glob(filepath.Join(r.cfg.Dir, "reports", "*.setup"))
	results, _ := filepath.Glob(filepath.Join(r.cfg.Dir, "reports", "*.result"))
	r.mm.pending.Set(float64(len(setups) + len(results)))
}

// resubmit submits the reports saved and not yet submitted (a previous run's,
// or ones the node could not take). Errors: the node is away (the rest wait
// for the next try).
func (r *runner) resubmit(ctx context.Context) error {
	entries, err := os.ReadDir(filepath.Join(r.cfg.Dir, "reports"))
	if err != nil {
		return err
	}
	for _, e := range entries {
		if ext := filepath.Ext(e.Name()); ext != ".setup" && ext != ".result" {
			continue
		}
		err := r.submitSaved(ctx, filepath.Join(r.cfg.Dir, "reports", e.Name()))
		switch {
		case err == nil:
			r.log.Info("saved report submitted", "file", e.Name())
		case !chain.Final(err):
			return err
		}
	}
	return nil
}

var errNotRegistered = errors.New("not a registered verifier")

func findValidator(ctx context.Context, q pocpstypes.QueryClient, hot string) (string, error) {
	res, err := q.Verifiers(ctx, &pocpstypes.QueryVerifiersRequest{})
	if err != nil {
		return "", err
	}
	for _, v := range res.Verifiers {
		if v.HotKey == hot {
			return v.Validator, nil
		}
	}
	return "", fmt.Errorf("%w: no verifier has hot key %s: register with `loopind tx pocps register-verifier`", errNotRegistered, hot)
}

// loadSeed reads the verifier's secret seed, creating it on first start.
func loadSeed(dir string) ([32]byte, error) {
	var seed [32]byte
	path := filepath.Join(dir, "seed")
	bz, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if _, err := rand.Read(seed[:]); err != nil {
			return seed, err
		}
		return seed, renameio.WriteFile(path, seed[:], 0o600)
	} else if err != nil {
		return seed, err
	}
	if len(bz) != 32 {
		return seed, fmt.Errorf("%s: want 32 bytes", path)
	}
	copy(seed[:], bz)
	return seed, nil
}
