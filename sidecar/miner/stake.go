package miner

import (
	"context"
	"fmt"
	"time"

	"cosmossdk.io/math"

	"github.com/loopin-project/loopin/sidecar/chain"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	staketypes "github.com/loopin-project/loopin/x/stake/types"
)

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
