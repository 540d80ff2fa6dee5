package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A run that lost transactions gets a line with its failures grouped by
// reason and the rate to 99 % of its inclusions; a clean run gets none.
func TestReportShortfall(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	blocks := []BlockStat{{Height: 10, Time: t0}}
	for i := 1; i <= 10; i++ {
		blocks = append(blocks, BlockStat{Height: int64(10 + i), Time: t0.Add(time.Duration(i) * time.Second), Txs: 100, Ours: 100})
	}
	// The tail: one block with 10 of the run's transactions a minute later.
	blocks = append(blocks, BlockStat{Height: 21, Time: t0.Add(70 * time.Second), Txs: 10, Ours: 10})
	lossy := &RunResult{
		Label: "4 validators", Mix: MixRenew, Submitted: 1016, Included: 1010, Failed: 3, Lost: 3,
		FailCodes: map[string]int{
			"32 account sequence mismatch, expected 3, got 4": 2,
			"32 account sequence mismatch, expected 4, got 6": 1,
		},
		Blocks: blocks,
	}
	clean := &RunResult{Label: "4 validators", Mix: MixBank, Submitted: 10, Included: 10, Blocks: blocks[:2]}

	lines := shortfallLines([]*RunResult{clean, lossy})
	require.Len(t, lines, 1)
	require.Contains(t, lines[0], "renew at the highest rate: 3 lost")
	require.Contains(t, lines[0], "3 failed in blocks (32 account sequence mismatch ×3)")
	// 99 % of 1010 is reached by the tenth block: 1000 txs over 10 s.
	require.Contains(t, lines[0], "within 10.00 s, 100 tx/s")

	var out bytes.Buffer
	writeReport(&out, []*RunResult{clean, lossy}, nil)
	require.Equal(t, 1, strings.Count(out.String(), "lost (accepted"))
}

func TestRateToNoInclusions(t *testing.T) {
	_, _, ok := rateTo(&RunResult{Blocks: []BlockStat{{Height: 1}}}, 0.99)
	require.False(t, ok)
}

// After a CheckTx refusal the generator goes on from the sequence the
// node's check state names, not from the committed account (which is behind
// the transactions still in the mempool).
func TestExpectedSequence(t *testing.T) {
	seq, ok := expectedSequence("account sequence mismatch, expected 34, got 36: incorrect account sequence")
	require.True(t, ok)
	require.Equal(t, uint64(34), seq)
	_, ok = expectedSequence("insufficient funds")
	require.False(t, ok)
}

// The span of a run starts at the newest block before it (the first
// BlockStat), not one assumed block time before its first inclusion.
func TestSummarizeSpanFromTheBlockBefore(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	res := &RunResult{Included: 200, Blocks: []BlockStat{
		{Height: 5, Time: t0},
		{Height: 6, Time: t0.Add(5 * time.Second), Ours: 100},
		{Height: 7, Time: t0.Add(10 * time.Second), Ours: 100},
	}}
	summarize(res, nil)
	require.Equal(t, 10*time.Second, res.Span)
	require.InDelta(t, 20, res.TxPerSec, 1e-9)
	require.InDelta(t, 12, res.BlocksPerMin, 1e-9)
}
