// Package miner is the miner sidecar (`loopind sidecar miner`, PROTOCOL.md
// §6): it seals a device on a gpu backend (CUDA or the CPU reference),
// keeps the seal on disk, registers the device, serves the challenge
// protocol and lease access over gRPC, stakes the device once a verifier
// has sealed it, renews the stake when configured, and exports Prometheus
// metrics.
package miner

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path"
	"path/filepath"
	"time"

	"cosmossdk.io/math"
	"github.com/cenkalti/backoff/v5"
	"github.com/google/renameio/v2"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/loopin-project/loopin/gpu"
	"github.com/loopin-project/loopin/proof"
	"github.com/loopin-project/loopin/sidecar/access"
	"github.com/loopin-project/loopin/sidecar/chain"
	"github.com/loopin-project/loopin/sidecar/grpcapi"
	"github.com/loopin-project/loopin/sidecar/metrics"
	"github.com/loopin-project/loopin/sidecar/protocol"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
	staketypes "github.com/loopin-project/loopin/x/stake/types"
)

// Config is the miner sidecar's configuration (`loopind sidecar miner
// init` writes it commented).
type Config struct {
	Chain chain.Config
	// Backend is the prover: "auto" (CUDA when a driver and a device are
	// found, else the CPU), "cuda" or "cpu".
	Backend string
	// Class is the device's GPU class (its pool), e.g. "rtx-4090".
	Class string
	// Name tells this device from others on the same host (fingerprint).
	Name string
	// Listen is where the challenge and lease-access services listen;
	// Endpoint is what the chain records for verifiers and lessees (Listen
	// when empty).
	Listen, Endpoint string
	// Dir keeps the seal and the sidecar's state across restarts.
	Dir string
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
}

// state is what the sidecar keeps in Dir/state.json.
type state struct {
	DeviceID    uint64 `json:"device_id"`
	Fingerprint []byte `json:"fingerprint"`
	KeyHeight   int64  `json:"key_height"`
	Key         []byte `json:"key"`
	Params      []byte `json:"params"` // JSON of proof.Params
	StakeID     uint64 `json:"stake_id"`
}

// minerMetrics are the miner sidecar's Prometheus metrics.
type minerMetrics struct {
	sealProgress prometheus.Gauge
	height       prometheus.Gauge
	requests     *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	challenges   *prometheus.CounterVec
	access       *prometheus.CounterVec
	renewals     prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *minerMetrics {
	m := &minerMetrics{
		sealProgress: prometheus.NewGauge(prometheus.GaugeOpts{Name: "loopin_miner_seal_progress",
			Help: "Fraction of the seal's layers labeled (1 once sealed or loaded from disk)."}),
		height: prometheus.NewGauge(prometheus.GaugeOpts{Name: "loopin_miner_chain_height",
			Help: "Latest block height seen on the node."}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "loopin_miner_requests_total",
			Help: "Challenge and lease-access requests served, by gRPC method and status code."}, []string{"method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "loopin_miner_request_seconds",
			Help: "Time to answer a request, by gRPC method (seconds).", Buckets: prometheus.ExponentialBuckets(0.001, 4, 10)}, []string{"method"}),
		challenges: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "loopin_miner_challenges_total",
			Help: "This device's challenges closed on chain while the sidecar ran, by outcome (passed, failed, missed)."}, []string{"outcome"}),
		access: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "loopin_miner_lease_access_total",
			Help: "Lease-access requests answered, by result (granted, refused)."}, []string{"result"}),
		renewals: prometheus.NewCounter(prometheus.CounterOpts{Name: "loopin_miner_renewals_total",
			Help: "LP stake renewals submitted and included."}),
	}
	reg.MustRegister(m.sealProgress, m.height, m.requests, m.latency, m.challenges, m.access, m.renewals)
	return m
}

// interceptor counts and times every gRPC request.
func (m *minerMetrics) interceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := handler(ctx, req)
	method := path.Base(info.FullMethod)
	m.requests.WithLabelValues(method, status.Code(err).String()).Inc()
	m.latency.WithLabelValues(method).Observe(time.Since(start).Seconds())
	return resp, err
}

// Run runs the miner sidecar until ctx ends, then stops gracefully (the
// device stays registered). While the node is away it retries with
// backoff. Errors: configuration (backend, key, directory, listen address),
// sealing or registration refused by the chain, the device failed.
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
	if err := metrics.Serve(ctx, cfg.Metrics, reg, log); err != nil {
		return err
	}
	prover, err := gpu.Open(cfg.Backend)
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

	acc, err := access.NewServer(cfg.Chain.ChainID, leases{c}, access.Hook{Command: cfg.AccessHook, ChainID: cfg.Chain.ChainID},
		filepath.Join(cfg.Dir, "access.json"), log, func(granted bool) {
			if granted {
				mm.access.WithLabelValues("granted").Inc()
			} else {
				mm.access.WithLabelValues("refused").Inc()
			}
		})
	if err != nil {
		return err
	}
	acc.Serve(st.DeviceID)
	lis, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Listen, err)
	}
	srv := grpc.NewServer(grpc.ForceServerCodec(grpcapi.Codec()), grpc.UnaryInterceptor(mm.interceptor))
	api := grpcapi.NewServer()
	api.Add(st.DeviceID, protocol.NewMiner(seal))
	api.Register(srv)
	acc.Register(srv)
	go func() { _ = srv.Serve(lis) }()
	defer srv.GracefulStop()
	log.Info("serving challenges and lease access", "device", st.DeviceID, "listen", cfg.Listen, "endpoint", cfg.Endpoint,
		"access_hook", cfg.AccessHook != "")

	w := &watcher{c: c, cfg: cfg, st: st, mm: mm, acc: acc, log: log}
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

// errDeviceFailed: the chain failed the device (its stake failed with
// it); the sidecar stops, since the device's seal is worth nothing now.
var errDeviceFailed = errors.New("device failed verification")

// watcher is the miner's loop over the chain: stake, renewal, access
// revocation and metrics.
type watcher struct {
	c          *chain.Client
	cfg        Config
	st         state
	mm         *minerMetrics
	acc        *access.Server
	log        *slog.Logger
	lastClosed uint64
	counted    bool
}

// step reads the chain once and acts on it.
func (w *watcher) step(ctx context.Context) error {
	height, now, err := w.c.Head(ctx)
	if err != nil {
		return err
	}
	w.mm.height.Set(float64(height))
	q := pocpstypes.NewQueryClient(w.c.Conn())
	res, err := q.Device(ctx, &pocpstypes.QueryDeviceRequest{DeviceId: w.st.DeviceID})
	if err != nil {
		return err
	}
	d := res.Device
	if d.Status == pocpstypes.DEVICE_STATUS_FAILED {
		return fmt.Errorf("%w: device %d is FAILED on chain; to offer it again, deregister it "+
			"(`loopind tx pocps deregister-device %d --from %s`), remove %s and start the sidecar to seal and register it anew",
			errDeviceFailed, d.Id, d.Id, w.cfg.Chain.From, w.cfg.Dir)
	}
	if err := w.countChallenges(ctx, q); err != nil {
		return err
	}
	if _, err := w.acc.Sweep(ctx); err != nil {
		return err
	}
	switch {
	case d.Status == pocpstypes.DEVICE_STATUS_SEALED && d.StakeId == 0 && w.st.StakeID == 0 && w.cfg.Stake != "none":
		id, err := stake(ctx, w.c, w.cfg, d.Id)
		if err != nil {
			return fmt.Errorf("stake: %w", err)
		}
		w.st.StakeID = id
		if err := save(w.cfg.Dir, w.st, nil); err != nil {
			return err
		}
		w.log.Info("staked", "device", d.Id, "stake", id, "kind", w.cfg.Stake)
	case w.cfg.RenewEpochs > 0 && d.StakeId != 0:
		return w.renew(ctx, d.StakeId, now)
	}
	return nil
}

// renew renews the device's LP stake when less than RenewBefore is left.
func (w *watcher) renew(ctx context.Context, id uint64, now time.Time) error {
	res, err := staketypes.NewQueryClient(w.c.Conn()).Stake(ctx, &staketypes.QueryStakeRequest{StakeId: id})
	if err != nil {
		return err
	}
	s := res.Stake
	if s.Kind != staketypes.STAKE_KIND_LP || s.Status != staketypes.STAKE_STATUS_ACTIVE || s.End.Sub(now) > w.cfg.RenewBefore {
		return nil
	}
	if _, err := w.c.Submit(ctx, 30*time.Second, &staketypes.MsgRenewStake{Owner: w.c.Address.String(), StakeId: id,
		Epochs: w.cfg.RenewEpochs, MaxUloopIn: w.cfg.MaxUloop}); err != nil {
		return fmt.Errorf("renew stake %d: %w", id, err)
	}
	w.mm.renewals.Inc()
	w.log.Info("stake renewed", "stake", id, "epochs", w.cfg.RenewEpochs, "was_ending", s.End.UTC().Format(time.RFC3339))
	return nil
}

// countChallenges counts the device's challenges closed since the last
// look (the latest page; the first look only sets the mark).
func (w *watcher) countChallenges(ctx context.Context, q pocpstypes.QueryClient) error {
	res, err := q.ChallengesByDevice(ctx, &pocpstypes.QueryChallengesByDeviceRequest{DeviceId: w.st.DeviceID,
		Pagination: &query.PageRequest{Limit: 16, Reverse: true}})
	if err != nil {
		return err
	}
	mark := w.lastClosed
	for _, ch := range res.Challenges {
		if ch.Status == pocpstypes.CHALLENGE_STATUS_PENDING || ch.Id <= w.lastClosed {
			continue
		}
		mark = max(mark, ch.Id)
		if !w.counted {
			continue
		}
		switch ch.Status {
		case pocpstypes.CHALLENGE_STATUS_PASSED:
			w.mm.challenges.WithLabelValues("passed").Inc()
		case pocpstypes.CHALLENGE_STATUS_FAILED:
			w.mm.challenges.WithLabelValues("failed").Inc()
		default:
			w.mm.challenges.WithLabelValues("missed").Inc()
		}
	}
	w.lastClosed, w.counted = mark, true
	return nil
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

// leases reads leases and the chain's time for sidecar/access.
type leases struct{ c *chain.Client }

func (l leases) Lease(ctx context.Context, id uint64) (poolstypes.Lease, error) {
	res, err := poolstypes.NewQueryClient(l.c.Conn()).Lease(ctx, &poolstypes.QueryLeaseRequest{LeaseId: id})
	if status.Code(err) == codes.NotFound {
		return poolstypes.Lease{}, fmt.Errorf("%w: %d", access.ErrNoLease, id)
	} else if err != nil {
		return poolstypes.Lease{}, err
	}
	return res.Lease, nil
}

func (l leases) Time(ctx context.Context) (time.Time, error) {
	_, t, err := l.c.Head(ctx)
	return t, err
}

func stake(ctx context.Context, c *chain.Client, cfg Config, device uint64) (uint64, error) {
	var err error
	switch cfg.Stake {
	case "lp":
		_, err = c.Submit(ctx, 30*time.Second, &staketypes.MsgStakeLP{Owner: c.Address.String(), DeviceId: device, Duration: cfg.Duration, MaxUloopIn: cfg.MaxUloop})
	case "sell":
		min := cfg.MinUloopOut
		if min.IsNil() {
			min = math.ZeroInt()
		}
		_, err = c.Submit(ctx, 30*time.Second, &staketypes.MsgSellCompute{Owner: c.Address.String(), DeviceId: device, Days: cfg.Days, MinUloopOut: min})
	}
	if err != nil {
		return 0, err
	}
	res, err := pocpstypes.NewQueryClient(c.Conn()).Device(ctx, &pocpstypes.QueryDeviceRequest{DeviceId: device})
	if err != nil {
		return 0, err
	}
	return res.Device.StakeId, nil
}

// fingerprint identifies the device: the CPU backend's stands for a host
// and a name; a CUDA device adds its model (a production fingerprint
// would read the GPU's UUID).
func fingerprint(info gpu.Info, name, owner string) [32]byte {
	host, _ := os.Hostname()
	if info.Backend == gpu.BackendCUDA {
		return sha256.Sum256([]byte("loopin/cuda-device/v1|" + host + "|" + info.Device + "|" + name + "|" + owner))
	}
	return sha256.Sum256([]byte("loopin/cpu-device/v1|" + host + "|" + name + "|" + owner))
}

// setUp brings the device to "registered with a seal in memory": it
// loads the seal kept in cfg.Dir, or seals anew, and registers the device
// unless the chain already has it. Each step is saved before the next, so
// a sidecar stopped at any point resumes without losing work: a seal saved
// but not yet known registered is matched with the chain by fingerprint
// and layer roots (adopted when the registration went through, registered
// when it did not and its key is still in the key window, resealed when
// the key is too old). Errors: the seal on disk is unreadable, this
// fingerprint belongs to a device whose seal is not in cfg.Dir
// (errFingerprintTaken), the chain refuses the registration.
func setUp(ctx context.Context, c *chain.Client, prover gpu.Prover, cfg Config, mm *minerMetrics, log *slog.Logger) (_ state, _ gpu.Seal, err error) {
	st, sealing, err := load(cfg.Dir)
	if err != nil {
		return state{}, nil, err
	}
	if sealing == nil {
		return sealAndRegister(ctx, c, prover, cfg, mm, log)
	}
	seal, err := prover.Restore(sealing)
	if err != nil {
		return state{}, nil, fmt.Errorf("restore the seal in %s: %w", cfg.Dir, err)
	}
	// The restored seal goes back with the state, or is closed.
	defer func() {
		if err != nil && seal != nil {
			seal.Close()
		}
	}()
	mm.sealProgress.Set(1)
	if st.DeviceID != 0 {
		log.Info("seal loaded from disk", "device", st.DeviceID, "dir", cfg.Dir)
		return st, seal, nil
	}
	// Sealed, but the registration was not recorded: it may or may not
	// have reached the chain.
	log.Info("seal loaded from disk, registration not recorded: asking the chain", "dir", cfg.Dir)
	d, err := deviceByFingerprint(ctx, c, st.Fingerprint)
	if err != nil {
		return state{}, nil, err
	}
	if d != nil {
		if !sameRoots(d.Seal.LayerRoots, seal.Commitment().LayerRoots) {
			return state{}, nil, fmt.Errorf("%w: device %d has this fingerprint with another seal than the one in %s: "+
				"deregister it (`loopind tx pocps deregister-device %d --from %s`) or use another --name", errFingerprintTaken, d.Id, cfg.Dir, d.Id, cfg.Chain.From)
		}
		st.DeviceID = d.Id
		if err := save(cfg.Dir, st, nil); err != nil {
			return state{}, nil, err
		}
		log.Info("registration found on chain", "device", d.Id)
		return st, seal, nil
	}
	inWindow, err := keyInWindow(ctx, c, st.KeyHeight)
	if err != nil {
		return state{}, nil, err
	}
	if !inWindow {
		seal.Close()
		seal = nil
		log.Warn("the saved seal's key is older than the chain's key window: sealing anew", "key_height", st.KeyHeight)
		return sealAndRegister(ctx, c, prover, cfg, mm, log)
	}
	if st, err = registerSealed(ctx, c, cfg, st, seal, prover.Info().Backend, log); err != nil {
		return state{}, nil, err
	}
	return st, seal, nil
}

// setUpResult carries setUp's two results through backoff.Retry.
type setUpResult struct {
	st   state
	seal gpu.Seal
}

// transient tells a failure that a later try may not meet (the node or a
// block away, a sequence race with another transaction of the account)
// from one it will: the chain's refusal, a configuration or disk error.
func transient(err error) bool {
	var netErr net.Error
	switch {
	case errors.Is(err, chain.ErrSequence), errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr):
		return true
	case chain.Final(err), errors.Is(err, errFingerprintTaken):
		return false
	}
	code := status.Code(err)
	return code == codes.Unavailable || code == codes.DeadlineExceeded
}

// errFingerprintTaken: the chain has a device with this sidecar's
// fingerprint whose seal this sidecar does not hold.
var errFingerprintTaken = errors.New("fingerprint already registered")

// sealAndRegister seals a new device and registers it: the key is anchored
// to the block before the latest, as x/pocps requires. The fingerprint is
// checked first, so a taken one costs no sealing.
func sealAndRegister(ctx context.Context, c *chain.Client, prover gpu.Prover, cfg Config, mm *minerMetrics, log *slog.Logger) (state, gpu.Seal, error) {
	pool, err := poolstypes.NewQueryClient(c.Conn()).Pool(ctx, &poolstypes.QueryPoolRequest{GpuClass: cfg.Class})
	if err != nil {
		return state{}, nil, fmt.Errorf("pool %s: %w", cfg.Class, err)
	}
	p := pool.Class.Seal.ProofParams()
	fp := fingerprint(prover.Info(), cfg.Name, c.Address.String())
	if d, err := deviceByFingerprint(ctx, c, fp[:]); err != nil {
		return state{}, nil, err
	} else if d != nil {
		return state{}, nil, fmt.Errorf("%w: device %d (%s, %s) was registered from this host with --name %q by %s, and %s holds no seal for it: "+
			"run with the --dir that sealed it, deregister it (`loopind tx pocps deregister-device %d --from %s`) to seal it anew, "+
			"or pick another --name for another device", errFingerprintTaken, d.Id, d.GpuClass, d.Status, cfg.Name, d.Owner, cfg.Dir, d.Id, cfg.Chain.From)
	}
	latest, _, err := c.LatestBlock(ctx)
	if err != nil {
		return state{}, nil, err
	}
	// The chain knows a block's hash once the next block has begun: anchor
	// the key to the block before the latest.
	height := latest - 1
	hash, err := c.BlockHash(ctx, height)
	if err != nil {
		return state{}, nil, err
	}
	var bh proof.Hash
	copy(bh[:], hash)
	ek := proof.DeviceKey(cfg.Chain.ChainID, c.Address, fp, bh)
	log.Info("sealing", "class", cfg.Class, "bytes", p.SealBytes(), "layers", p.Layers, "backend", prover.Info().Backend)
	start := time.Now()
	seal, err := prover.Seal(ctx, p, ek, func(done, total int) {
		mm.sealProgress.Set(float64(done) / float64(total))
		log.Info("seal progress", "layer", done, "of", total, "percent", 100*done/total, "elapsed", time.Since(start).Round(time.Millisecond))
	})
	if err != nil {
		return state{}, nil, err
	}
	pj, _ := json.Marshal(p)
	st := state{Fingerprint: fp[:], KeyHeight: height, Key: ek[:], Params: pj}
	// The seal is on disk before the chain hears of it: a stop from here
	// on resumes in setUp without resealing.
	if err := save(cfg.Dir, st, seal.Sealing()); err != nil {
		seal.Close()
		return state{}, nil, err
	}
	if st, err = registerSealed(ctx, c, cfg, st, seal, prover.Info().Backend, log); err != nil {
		seal.Close()
		return state{}, nil, err
	}
	return st, seal, nil
}

// registerSealed submits MsgRegisterDevice for the seal st describes and
// records the device's id in cfg.Dir.
func registerSealed(ctx context.Context, c *chain.Client, cfg Config, st state, seal gpu.Seal, backend string, log *slog.Logger) (state, error) {
	var p proof.Params
	if err := json.Unmarshal(st.Params, &p); err != nil {
		return st, err
	}
	commit := pocpstypes.SealCommitment{Params: pocpstypes.SealParamsFromProof(p)}
	for _, r := range seal.Commitment().LayerRoots {
		commit.LayerRoots = append(commit.LayerRoots, append([]byte(nil), r[:]...))
	}
	_, err := c.Submit(ctx, 30*time.Second, &pocpstypes.MsgRegisterDevice{
		Owner: c.Address.String(), GpuClass: cfg.Class, Fingerprint: st.Fingerprint, KeyHeight: st.KeyHeight,
		Seal: commit, Endpoint: cfg.Endpoint, Privacy: pocpstypes.PrivacyReport{Level: cfg.Privacy, Details: "loopind sidecar miner (" + backend + " backend)"},
	})
	if err != nil {
		return st, fmt.Errorf("register: %w", err)
	}
	d, err := deviceByFingerprint(ctx, c, st.Fingerprint)
	if err != nil {
		return st, err
	}
	if d == nil {
		return st, errors.New("registered device not found by fingerprint")
	}
	st.DeviceID = d.Id
	if err := save(cfg.Dir, st, nil); err != nil {
		return st, err
	}
	log.Info("registered", "device", d.Id, "key_height", st.KeyHeight)
	return st, nil
}

// deviceByFingerprint finds this owner's device with fingerprint fp (nil
// when there is none), reading every page of the owner's devices.
func deviceByFingerprint(ctx context.Context, c *chain.Client, fp []byte) (*pocpstypes.Device, error) {
	q := pocpstypes.NewQueryClient(c.Conn())
	var key []byte
	for {
		res, err := q.DevicesByOwner(ctx, &pocpstypes.QueryDevicesByOwnerRequest{Owner: c.Address.String(),
			Pagination: &query.PageRequest{Key: key, Limit: 100}})
		if err != nil {
			return nil, fmt.Errorf("devices of %s: %w", c.Address, err)
		}
		for i := range res.Devices {
			if bytes.Equal(res.Devices[i].Fingerprint, fp) {
				return &res.Devices[i], nil
			}
		}
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			return nil, nil
		}
		key = res.Pagination.NextKey
	}
}

// keyInWindow tells whether a device key anchored at height may still be
// registered (x/pocps' key_window).
func keyInWindow(ctx context.Context, c *chain.Client, height int64) (bool, error) {
	res, err := pocpstypes.NewQueryClient(c.Conn()).Params(ctx, &pocpstypes.QueryParamsRequest{})
	if err != nil {
		return false, err
	}
	latest, _, err := c.LatestBlock(ctx)
	if err != nil {
		return false, err
	}
	// The registration lands in a later block than latest: keep a margin.
	return height >= latest+2-int64(res.Params.KeyWindow), nil
}

func sameRoots(onChain [][]byte, ours []proof.Hash) bool {
	if len(onChain) != len(ours) {
		return false
	}
	for i := range ours {
		if !bytes.Equal(onChain[i], ours[i][:]) {
			return false
		}
	}
	return true
}

// save writes state.json and, when s is given, the seal's layers first
// (seal.bin), each atomically (a temporary file synced, then renamed): a
// state.json on disk always describes a whole seal.bin.
func save(dir string, st state, s *proof.Sealing) error {
	bz, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if s != nil {
		var buf bytes.Buffer
		for _, layer := range s.Layers {
			for _, h := range layer {
				buf.Write(h[:])
			}
		}
		if err := renameio.WriteFile(filepath.Join(dir, "seal.bin"), buf.Bytes(), 0o600); err != nil {
			return err
		}
	}
	return renameio.WriteFile(filepath.Join(dir, "state.json"), bz, 0o600)
}

// load reads the state and the seal back (nil sealing when there is none).
func load(dir string) (state, *proof.Sealing, error) {
	var st state
	bz, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if errors.Is(err, os.ErrNotExist) {
		return st, nil, nil
	} else if err != nil {
		return st, nil, err
	}
	if err := json.Unmarshal(bz, &st); err != nil {
		return st, nil, fmt.Errorf("%s: %w", filepath.Join(dir, "state.json"), err)
	}
	var p proof.Params
	if err := json.Unmarshal(st.Params, &p); err != nil {
		return st, nil, err
	}
	raw, err := os.ReadFile(filepath.Join(dir, "seal.bin"))
	if err != nil {
		return st, nil, fmt.Errorf("the seal is missing (%w): delete %s to seal and register anew", err, dir)
	}
	want := int(p.Layers) * int(p.Labels) * 32
	if len(raw) != want {
		return st, nil, fmt.Errorf("seal.bin has %d bytes, want %d", len(raw), want)
	}
	s := &proof.Sealing{Params: p, Layers: make([][]proof.Hash, p.Layers), Trees: make([]*proof.Tree, p.Layers)}
	copy(s.Key[:], st.Key)
	for l := range s.Layers {
		layer := make([]proof.Hash, p.Labels)
		for i := range layer {
			off := (l*int(p.Labels) + i) * 32
			copy(layer[i][:], raw[off:off+32])
		}
		tree, err := proof.NewTree(proof.LabelLeaves(layer))
		if err != nil {
			return st, nil, err
		}
		s.Layers[l], s.Trees[l] = layer, tree
	}
	return st, s, nil
}
