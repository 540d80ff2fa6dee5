package miner

import (
	"context"
	"fmt"
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
