package miner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/loopin-project/loopin/sidecar/access"
	"github.com/loopin-project/loopin/sidecar/chain"
	"github.com/loopin-project/loopin/sidecar/protocol"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
)

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
	// answers is the device's challenge answerer; its seal drops every
	// layer but P once the chain has accepted the setup proof.
	answers   *protocol.Miner
	discarded bool
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
	if d.Status == pocpstypes.DEVICE_STATUS_SEALED && !w.discarded {
		w.answers.Discard()
		w.discarded = true
		w.log.Info("setup proof accepted: only the sealed layer P is kept", "device", d.Id)
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
