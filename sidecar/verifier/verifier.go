// Package verifier is the verifier sidecar (`loopind sidecar verifier`,
// PROTOCOL.md §6): for a registered verifier, it watches the challenges
// assigned to its validator, runs each against the device's miner sidecar
// (sidecar/protocol over sidecar/grpcapi) on its own clock, and submits the
// report signed with its hot key. Reports are written to disk before they
// are submitted, so a restart resubmits those still in time.
package verifier

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/loopin-project/loopin/proof"
	"github.com/loopin-project/loopin/sidecar/chain"
	"github.com/loopin-project/loopin/sidecar/grpcapi"
	"github.com/loopin-project/loopin/sidecar/protocol"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
)

// Config is the verifier sidecar's configuration. Chain.From is the hot
// key registered with MsgRegisterVerifier.
type Config struct {
	Chain chain.Config
	// Dir keeps the verifier's secret seed and the pending reports.
	Dir string
	// Poll is how often the assigned challenges are read (default 1 s).
	Poll time.Duration
	Log  *slog.Logger
}

// Run runs the verifier sidecar until ctx ends.
func Run(ctx context.Context, cfg Config) error {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	if cfg.Poll == 0 {
		cfg.Poll = time.Second
	}
	if err := os.MkdirAll(filepath.Join(cfg.Dir, "reports"), 0o700); err != nil {
		return err
	}
	seed, err := loadSeed(cfg.Dir)
	if err != nil {
		return err
	}
	c, err := chain.New(cfg.Chain)
	if err != nil {
		return err
	}
	defer c.Close()
	v := &protocol.Verifier{Seed: seed}
	q := pocpstypes.NewQueryClient(c.Conn())
	pq := poolstypes.NewQueryClient(c.Conn())
	hot := c.Address.String()

	validator := ""
	done := map[uint64]bool{}
	tick := time.NewTicker(cfg.Poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			log.Info("shutting down")
			return nil
		case <-tick.C:
		}
		if validator == "" {
			if validator, err = findValidator(ctx, q, hot); err != nil {
				log.Warn("not a registered verifier yet", "hot_key", hot, "err", err)
				continue
			}
			log.Info("verifying", "validator", validator, "hot_key", hot)
			resubmit(ctx, c, cfg.Dir, log)
		}
		pending, err := q.PendingChallenges(ctx, &pocpstypes.QueryPendingChallengesRequest{Verifier: validator})
		if err != nil {
			log.Warn("node unreachable, retrying", "err", err)
			continue
		}
		for _, ch := range pending.Challenges {
			if done[ch.Id] {
				continue
			}
			if err := handle(ctx, c, v, q, pq, cfg.Dir, hot, ch, log); err != nil {
				if errors.Is(err, errNotYet) {
					continue
				}
				log.Warn("challenge not handled, will retry", "challenge", ch.Id, "err", err)
				continue
			}
			done[ch.Id] = true
		}
	}
}

var errNotYet = errors.New("not yet")

func handle(ctx context.Context, c *chain.Client, v *protocol.Verifier, q pocpstypes.QueryClient, pq poolstypes.QueryClient,
	dir, hot string, ch pocpstypes.Challenge, log *slog.Logger,
) error {
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
	callCtx, cancel := context.WithTimeout(ctx, time.Until(ch.Deadline))
	defer cancel()
	var msg interface {
		Marshal() ([]byte, error)
	}
	switch ch.Kind {
	case pocpstypes.CHALLENGE_KIND_SETUP:
		height, _, err := c.LatestBlock(ctx)
		if err != nil {
			return err
		}
		if height < ch.SeedHeight {
			return errNotYet // the seed is a block still to come
		}
		bh, err := c.BlockHash(ctx, ch.SeedHeight)
		if err != nil {
			return err
		}
		var seed proof.Hash
		copy(seed[:], bh)
		report, err := v.Setup(callCtx, miner, hot, ch, device, seed)
		if err != nil {
			return fmt.Errorf("setup of device %d: %w", device.Id, err)
		}
		msg = report
		log.Info("setup proof checked", "challenge", ch.Id, "device", device.Id)
	default:
		pool, err := pq.Pool(ctx, &poolstypes.QueryPoolRequest{Pool: device.GpuClass})
		if err != nil {
			return err
		}
		res := v.Challenge(callCtx, miner, hot, ch, device, pool.Pool.ResidencyDeadline, pool.Pool.GemmDeadline)
		msg = res.Msg
		log.Info("challenge run", "challenge", ch.Id, "device", device.Id, "passed", res.Msg.Passed, "reason", res.Msg.Reason,
			"residency", res.Residency, "gemm", res.Gemm, "w_ops_per_s", res.Msg.W.String(), "err", res.Err)
	}
	bz, err := msg.Marshal()
	if err != nil {
		return err
	}
	path := filepath.Join(dir, "reports", strconv.FormatUint(ch.Id, 10)+"."+kindName(ch.Kind))
	if err := os.WriteFile(path, bz, 0o600); err != nil {
		return err
	}
	if err := submitSaved(ctx, c, path); err != nil {
		return err
	}
	return nil
}

func kindName(k pocpstypes.ChallengeKind) string {
	if k == pocpstypes.CHALLENGE_KIND_SETUP {
		return "setup"
	}
	return "result"
}

// submitSaved submits a saved report and removes it once included (or
// refused for good: the chain's answer is final).
func submitSaved(ctx context.Context, c *chain.Client, path string) error {
	bz, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var m interface {
		Unmarshal([]byte) error
	}
	var setup pocpstypes.MsgSubmitSetupResult
	var result pocpstypes.MsgSubmitChallengeResult
	if filepath.Ext(path) == ".setup" {
		m = &setup
	} else {
		m = &result
	}
	if err := m.Unmarshal(bz); err != nil {
		return err
	}
	if filepath.Ext(path) == ".setup" {
		_, err = c.Submit(ctx, 30*time.Second, &setup)
	} else {
		_, err = c.Submit(ctx, 30*time.Second, &result)
	}
	if err != nil && !errors.Is(err, chain.ErrTxFailed) && !errors.Is(err, chain.ErrRefused) {
		return err // the node is away: keep the report for the next try
	}
	_ = os.Remove(path)
	return err
}

// resubmit submits the reports a previous run saved and did not submit.
func resubmit(ctx context.Context, c *chain.Client, dir string, log *slog.Logger) {
	entries, _ := os.ReadDir(filepath.Join(dir, "reports"))
	for _, e := range entries {
		path := filepath.Join(dir, "reports", e.Name())
		if err := submitSaved(ctx, c, path); err != nil {
			log.Warn("saved report not accepted", "file", e.Name(), "err", err)
		} else {
			log.Info("saved report submitted", "file", e.Name())
		}
	}
}

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
	return "", fmt.Errorf("no verifier has hot key %s: register with `loopind tx pocps register-verifier`", hot)
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
		return seed, os.WriteFile(path, seed[:], 0o600)
	} else if err != nil {
		return seed, err
	}
	if len(bz) != 32 {
		return seed, fmt.Errorf("%s: want 32 bytes", path)
	}
	copy(seed[:], bz)
	return seed, nil
}
