package miner

import (
	"context"
	"fmt"
	"sync"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/loopin-project/loopin/sidecar/chain"
	"github.com/loopin-project/loopin/sidecar/grpcapi"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
)

// authorizer answers grpcapi.Authorizer from the chain: a challenge's
// requests come only from the hot key of its assigned verifier, and only
// while it is pending for this device. Answers are cached per challenge
// (at most maxCached, cleared when full), so only a challenge's first
// request reads the chain.
type authorizer struct {
	c      *chain.Client
	mu     sync.Mutex
	cached map[uint64]cachedAuth
	// waiting bounds the requests waiting for the miner's node to see
	// their challenge (lagBudget).
	waiting chan struct{}
}

// lagBudget is how long a request for a challenge the miner's node does not
// know yet waits for it: on a network the verifier's node may commit the
// block that issued the challenge a block or two before the miner's node
// does, and answering "not found" at once would be reported as NO_ANSWER.
// At most maxLagWaits requests wait at a time (a request for a challenge
// that never comes costs its sender a signature and the miner a goroutine
// for lagBudget); the others are answered at once.
var lagBudget = 6 * time.Second

const maxLagWaits = 4

type cachedAuth struct {
	device   uint64
	hot      []byte
	deadline time.Time
}

const maxCached = 256

func newAuthorizer(c *chain.Client) *authorizer {
	return &authorizer{c: c, cached: map[uint64]cachedAuth{}, waiting: make(chan struct{}, maxLagWaits)}
}

// allowed implements grpcapi.Authorizer. Errors: the challenge is unknown,
// closed or another device's, its verifier is no longer registered, the
// node cannot be read.
func (a *authorizer) allowed(ctx context.Context, device, challenge uint64) ([]byte, error) {
	a.mu.Lock()
	hit, ok := a.cached[challenge]
	a.mu.Unlock()
	if ok && time.Now().Before(hit.deadline) {
		if hit.device != device {
			return nil, fmt.Errorf("%w: it is device %d's", grpcapi.ErrNotAllowed, hit.device)
		}
		return hit.hot, nil
	}
	q := pocpstypes.NewQueryClient(a.c.Conn())
	res, err := a.challenge(ctx, q, challenge)
	if err != nil {
		return nil, err
	}
	ch := res.Challenge
	switch {
	case ch.DeviceId != device:
		return nil, fmt.Errorf("%w: it is device %d's", grpcapi.ErrNotAllowed, ch.DeviceId)
	case ch.Status != pocpstypes.CHALLENGE_STATUS_PENDING:
		return nil, fmt.Errorf("%w: it is %s", grpcapi.ErrNotAllowed, ch.Status)
	}
	var next []byte
	for {
		vs, err := q.Verifiers(ctx, &pocpstypes.QueryVerifiersRequest{Pagination: &query.PageRequest{Key: next}})
		if err != nil {
			return nil, err
		}
		for _, v := range vs.Verifiers {
			if v.Validator != ch.Verifier {
				continue
			}
			hot, err := sdk.AccAddressFromBech32(v.HotKey)
			if err != nil {
				return nil, err
			}
			a.mu.Lock()
			if len(a.cached) >= maxCached {
				a.cached = map[uint64]cachedAuth{}
			}
			// Kept until the challenge's deadline: a closed challenge's
			// verifier can still ask, but the miner runs each challenge
			// once (protocol.ErrAlreadyRan).
			a.cached[challenge] = cachedAuth{device: device, hot: hot, deadline: ch.Deadline}
			a.mu.Unlock()
			return hot, nil
		}
		if vs.Pagination == nil || len(vs.Pagination.NextKey) == 0 {
			break
		}
		next = vs.Pagination.NextKey
	}
	return nil, fmt.Errorf("%w: its verifier %s is no longer registered", grpcapi.ErrNotAllowed, ch.Verifier)
}

// challenge reads challenge id from the miner's node; when the node does not
// know it yet (NotFound), it asks again every 250 ms for up to lagBudget,
// while a waiting slot is free.
func (a *authorizer) challenge(ctx context.Context, q pocpstypes.QueryClient, id uint64) (*pocpstypes.QueryChallengeResponse, error) {
	res, err := q.Challenge(ctx, &pocpstypes.QueryChallengeRequest{ChallengeId: id})
	if status.Code(err) != codes.NotFound {
		return res, err
	}
	select {
	case a.waiting <- struct{}{}:
		defer func() { <-a.waiting }()
	default:
		return res, err
	}
	ctx, cancel := context.WithTimeout(ctx, lagBudget)
	defer cancel()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return res, err
		case <-tick.C:
		}
		next, nextErr := q.Challenge(ctx, &pocpstypes.QueryChallengeRequest{ChallengeId: id})
		if status.Code(nextErr) != codes.NotFound {
			if ctx.Err() != nil && nextErr != nil {
				return res, err
			}
			return next, nextErr
		}
	}
}
