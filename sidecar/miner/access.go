package miner

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/loopin-project/loopin/sidecar/access"
	"github.com/loopin-project/loopin/sidecar/chain"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
)

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

// newAccess returns the lease-access server (sidecar/access) of the
// sidecar: grants and revocations run cfg.AccessHook, the grants in force
// are kept in cfg.Dir/access.json, and each answer is counted in mm.
// Errors: access.json unreadable.
func newAccess(cfg Config, c *chain.Client, mm *minerMetrics, log *slog.Logger) (*access.Server, error) {
	return access.NewServer(cfg.Chain.ChainID, leases{c}, access.Hook{Command: cfg.AccessHook, ChainID: cfg.Chain.ChainID},
		filepath.Join(cfg.Dir, "access.json"), log, func(granted bool) {
			if granted {
				mm.access.WithLabelValues("granted").Inc()
			} else {
				mm.access.WithLabelValues("refused").Inc()
			}
		})
}
