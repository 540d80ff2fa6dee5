package verifier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/google/renameio/v2"

	"github.com/loopin-project/loopin/sidecar/chain"
	"github.com/loopin-project/loopin/sidecar/grpcapi"
	"github.com/loopin-project/loopin/sidecar/protocol"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
)

// runner runs the assigned challenges.
type runner struct {
	c         *chain.Client
	v         *protocol.Verifier
	cfg       Config
	mm        *verifierMetrics
	log       *slog.Logger
	hot       string
	validator string
	// mu guards done and inFlight: challenges run concurrently, each in
	// its own goroutine (wg), so a stalling miner does not eat the time of
	// the challenges behind it.
	mu       sync.Mutex
	done     map[uint64]bool
	inFlight map[uint64]bool
	wg       sync.WaitGroup
	// submitMu serializes submissions from the hot key (one account
	// sequence).
	submitMu sync.Mutex
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
	// Earliest deadline first, at most maxConcurrent at a time.
	chs := slices.Clone(pending.Challenges)
	slices.SortStableFunc(chs, func(a, b pocpstypes.Challenge) int { return a.Deadline.Compare(b.Deadline) })
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.inFlight == nil {
		r.inFlight = map[uint64]bool{}
	}
	for _, ch := range chs {
		if r.done[ch.Id] || r.inFlight[ch.Id] || len(r.inFlight) >= maxConcurrent {
			continue
		}
		r.inFlight[ch.Id] = true
		r.wg.Add(1)
		go func(ch pocpstypes.Challenge) {
			defer r.wg.Done()
			err := r.handle(ctx, q, pq, ch)
			if err != nil && ctx.Err() == nil {
				r.log.Warn("challenge not handled, will retry", "challenge", ch.Id, "err", err)
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			delete(r.inFlight, ch.Id)
			if err == nil {
				r.done[ch.Id] = true
			}
		}(ch)
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

// maxConcurrent bounds the challenges a verifier runs at once.
const maxConcurrent = 8

// handle runs challenge ch, saves its transcript and report, and submits
// the report. Once the report is saved the challenge is done: a
// submission the node could not take is retried from disk (resubmit).
// Errors: the node unreadable, the disk.
func (r *runner) handle(ctx context.Context, q pocpstypes.QueryClient, pq poolstypes.QueryClient, ch pocpstypes.Challenge) error {
	dres, err := q.Device(ctx, &pocpstypes.QueryDeviceRequest{DeviceId: ch.DeviceId})
	if err != nil {
		return err
	}
	device := dres.Device
	miner, err := grpcapi.Dial(device.Endpoint, device.Id, device.TlsCertHash, grpcapi.WithSigner(r.cfg.Chain.ChainID, r.c.SignBytes))
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
	// The miner's answers must come in time for the report to land before
	// the deadline, whatever the miner does (silent, stalling, garbage):
	// the last fifth of the time left (2–30 s) is kept for submitting.
	left := time.Until(ch.Deadline)
	callCtx, cancel := context.WithTimeout(ctx, left-min(max(left/5, 2*time.Second), 30*time.Second))
	defer cancel()
	var msg interface {
		Marshal() ([]byte, error)
	}
	switch ch.Kind {
	case pocpstypes.CHALLENGE_KIND_SETUP:
		start := time.Now()
		report, verdictErr := r.v.Setup(callCtx, miner, r.hot, ch, device)
		r.mm.latency.WithLabelValues("setup").Observe(time.Since(start).Seconds())
		r.mm.challenges.WithLabelValues("setup", verdict(verdictErr == nil)).Inc()
		msg = report
		if verdictErr != nil {
			r.log.Warn("setup failed; reporting it", "challenge", ch.Id, "device", device.Id, "err", verdictErr)
		} else {
			r.log.Info("setup proof checked", "challenge", ch.Id, "device", device.Id)
		}
	default:
		pool, err := pq.Pool(ctx, &poolstypes.QueryPoolRequest{GpuClass: device.GpuClass})
		if err != nil {
			return err
		}
		res := r.v.Challenge(callCtx, miner, r.hot, ch, device, pool.Class.ResidencyDeadline, pool.Class.GemmDeadline)
		if limit := pool.Class.WBench.MulRaw(pocpstypes.MaxWMultiple); res.Msg.Passed && res.Msg.W.GT(limit) {
			res.Msg.W = limit // the chain takes at most MaxWMultiple × W_bench
		}
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
		attrs := []any{"challenge", ch.Id, "device", device.Id, "passed", res.Msg.Passed,
			"residency", res.Residency, "gemm", res.Gemm, "w_ops_per_s", res.Msg.W.String()}
		if !res.Msg.Passed {
			attrs = append(attrs, "reason", res.Msg.FailureReason, "err", res.Err)
		}
		r.log.Info("challenge run", attrs...)
	}
	if ctx.Err() != nil {
		// Stopped mid-run (shutdown): what the miner did not answer is not
		// its failure, so no report; the challenge is run again after a
		// restart if it is still pending.
		return ctx.Err()
	}
	bz, err := msg.Marshal()
	if err != nil {
		return err
	}
	path := filepath.Join(r.cfg.Dir, "reports", strconv.FormatUint(ch.Id, 10)+"."+kindName(ch.Kind))
	if err := renameio.WriteFile(path, bz, 0o600); err != nil {
		return err
	}
	if err := r.submitSavedLocked(ctx, path); err != nil && !chain.Final(err) {
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
