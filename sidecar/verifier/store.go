package verifier

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/renameio/v2"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/loopin-project/loopin/proof"
	"github.com/loopin-project/loopin/sidecar/chain"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
)

// submitSavedLocked is submitSaved under submitMu: reports are submitted
// one at a time (one account sequence).
func (r *runner) submitSavedLocked(ctx context.Context, path string) error {
	r.submitMu.Lock()
	defer r.submitMu.Unlock()
	return r.submitSaved(ctx, path)
}

// submitSaved submits a saved report and removes it once included or
// refused for good (the chain's answer is final); a node that is away
// leaves it on disk.
func (r *runner) submitSaved(ctx context.Context, path string) error {
	var msg interface {
		sdk.Msg
		Unmarshal([]byte) error
	} = &pocpstypes.MsgSubmitChallengeResult{}
	if filepath.Ext(path) == ".setup" {
		msg = &pocpstypes.MsgSubmitSetupResult{}
	}
	bz, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil // submitted meanwhile (a resubmission or its own challenge's)
	}
	if err == nil {
		err = msg.Unmarshal(bz)
	}
	if err != nil {
		// A file this verifier cannot read back (damaged, or written by an
		// older version in another format) can never be submitted: set it
		// aside so the other reports still go, and say so once.
		aside := path + ".unreadable"
		if mvErr := os.Rename(path, aside); mvErr != nil {
			return fmt.Errorf("saved report %s unreadable (%v) and not set aside: %w", path, err, mvErr)
		}
		r.log.Warn("saved report unreadable, set aside", "file", filepath.Base(aside), "err", err)
		r.countPending()
		return errUnreadable
	}
	_, err = r.c.Submit(ctx, 30*time.Second, msg)
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

// errUnreadable is submitSaved's answer for a saved report it set aside.
var errUnreadable = errors.New("saved report unreadable")

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
		ext := filepath.Ext(e.Name())
		if ext != ".setup" && ext != ".result" {
			continue
		}
		if id, err := strconv.ParseUint(strings.TrimSuffix(e.Name(), ext), 10, 64); err == nil {
			r.mu.Lock()
			running := r.inFlight[id]
			r.mu.Unlock()
			if running {
				continue // its own challenge submits it
			}
		}
		err := r.submitSavedLocked(ctx, filepath.Join(r.cfg.Dir, "reports", e.Name()))
		switch {
		case err == nil:
			r.log.Info("saved report submitted", "file", e.Name())
		case errors.Is(err, errUnreadable), chain.Final(err):
		default:
			return err
		}
	}
	return nil
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

// VRFPublicKey is the VRF public key of the verifier whose directory is
// dir (its seed is created there the first time): 48 bytes, what
// MsgRegisterVerifier.vrf_key registers. Errors: the directory.
func VRFPublicKey(dir string) ([]byte, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	seed, err := loadSeed(dir)
	if err != nil {
		return nil, err
	}
	k, err := proof.NewVRFKey(seed)
	if err != nil {
		return nil, err
	}
	return k.PublicKey(), nil
}
