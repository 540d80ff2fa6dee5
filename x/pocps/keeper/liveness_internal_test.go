package keeper

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The schedule draws each device's epoch inside the next aligned window of
// challenge_interval epochs: every window gets exactly one challenge, and
// the epoch inside it is not fixed.
func TestNextDueEpochIsInTheNextWindow(t *testing.T) {
	const interval = 6
	seen := map[int64]bool{}
	for epoch := int64(0); epoch < 60; epoch++ {
		for draw := uint64(0); draw < 2*interval; draw++ {
			next := nextDueEpoch(epoch, interval, draw)
			require.Equal(t, epoch/interval+1, next/interval, "epoch %d draw %d", epoch, draw)
			seen[next%interval] = true
		}
	}
	require.Len(t, seen, interval, "every offset occurs")
}
