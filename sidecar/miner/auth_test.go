package miner

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
)

// lagging is a node that learns of the challenge after `after` queries.
type lagging struct {
	pocpstypes.QueryClient
	calls atomic.Int32
	after int32
}

func (l *lagging) Challenge(_ context.Context, req *pocpstypes.QueryChallengeRequest, _ ...grpc.CallOption) (*pocpstypes.QueryChallengeResponse, error) {
	if l.calls.Add(1) <= l.after {
		return nil, status.Errorf(codes.NotFound, "challenge %d not found", req.ChallengeId)
	}
	return &pocpstypes.QueryChallengeResponse{Challenge: pocpstypes.Challenge{Id: req.ChallengeId, DeviceId: 1}}, nil
}

// A verifier whose node is a block ahead of the miner's asks for a
// challenge the miner's node does not know yet: the miner waits for its
// node instead of answering "not found" (which the verifier would report as
// NO_ANSWER); a challenge that never comes is refused after lagBudget, and
// no more than maxLagWaits requests wait at once.
func TestAuthorizerWaitsForALaggingNode(t *testing.T) {
	defer func(b time.Duration) { lagBudget = b }(lagBudget)
	lagBudget = 2 * time.Second
	a := newAuthorizer(nil)

	node := &lagging{after: 3}
	res, err := a.challenge(context.Background(), node, 5)
	require.NoError(t, err)
	require.EqualValues(t, 5, res.Challenge.Id)
	require.EqualValues(t, 4, node.calls.Load(), "asked again until the node knew it")

	never := &lagging{after: 1 << 30}
	_, err = a.challenge(context.Background(), never, 6)
	require.Equal(t, codes.NotFound, status.Code(err), "refused once the budget is spent")
	require.Greater(t, never.calls.Load(), int32(2))

	// Every waiting slot taken: the next request is answered at once.
	for range maxLagWaits {
		a.waiting <- struct{}{}
	}
	busy := &lagging{after: 1 << 30}
	_, err = a.challenge(context.Background(), busy, 7)
	require.Equal(t, codes.NotFound, status.Code(err))
	require.EqualValues(t, 1, busy.calls.Load(), "no wait without a free slot")
}
