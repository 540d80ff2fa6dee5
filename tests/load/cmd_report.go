package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func reportCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "report FILE...",
		Short: "Print the markdown tables of run and exec results (JSON from --out)",
		Long: `report reads the JSON that 'run --out' and 'exec --out' wrote and prints
the tables of docs/benchmarks.md "Throughput under load": per network, each
mix's sustained tx/s beside bank sends, latency, blocks per minute and node
memory; the blocks after each epoch end; and the in-process executors.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var runs []*RunResult
			var execs []*ExecResult
			for _, path := range args {
				bz, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				if bytes.HasPrefix(bytes.TrimSpace(bz), []byte("[")) {
					var e []*ExecResult
					if err := json.Unmarshal(bz, &e); err != nil {
						return fmt.Errorf("%s: %w", path, err)
					}
					execs = append(execs, e...)
					continue
				}
				var r RunResult
				if err := json.Unmarshal(bz, &r); err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				runs = append(runs, &r)
			}
			writeReport(cmd.OutOrStdout(), runs, execs)
			return nil
		},
	}
}

// writeReport prints the tables of runs (grouped by network label, in the
// order first seen) and execs.
func writeReport(w io.Writer, runs []*RunResult, execs []*ExecResult) {
	var labels []string
	byLabel := map[string][]*RunResult{}
	for _, r := range runs {
		if _, ok := byLabel[r.Label]; !ok {
			labels = append(labels, r.Label)
		}
		byLabel[r.Label] = append(byLabel[r.Label], r)
	}
	for _, label := range labels {
		rs := byLabel[label]
		fmt.Fprintf(w, "\n%s:\n\n", label)
		fmt.Fprintln(w, "| mix | offered | included | tx/s | × bank send | latency p50 / p99 | blocks/min | fullest block | gas/tx | failed / lost | node RSS (peak), MiB |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|")
		var bank float64
		for _, r := range rs {
			if r.Mix == MixBank && r.Rate == 0 {
				bank = r.TxPerSec
			}
		}
		for _, r := range rs {
			offered := "max"
			if r.Rate > 0 {
				offered = fmt.Sprintf("%.0f tx/s", r.Rate)
			}
			ratio := "—"
			if bank > 0 && r.Rate == 0 {
				ratio = fmt.Sprintf("%.2f", r.TxPerSec/bank)
			}
			fmt.Fprintf(w, "| %s | %s | %d | %.0f | %s | %s / %s | %.1f | %d | %d | %d / %d | %s |\n",
				r.Mix, offered, r.Included, r.TxPerSec, ratio, fmtDur(r.LatencyP50), fmtDur(r.LatencyP99),
				r.BlocksPerMin, r.MaxTxsInBlock, r.GasPerTx, r.Failed, r.Lost, fmtRSS(r.RSSMiB, r.PeakRSSMiB))
		}
		for _, line := range shortfallLines(rs) {
			fmt.Fprintf(w, "\n%s", line)
		}
		if line := epochEndLine(rs); line != "" {
			fmt.Fprintf(w, "\n%s\n", line)
		}
	}
	if len(execs) > 0 {
		fmt.Fprintf(w, "\nIn-process execution (%d devices, %s):\n\n", execs[0].Devices, execNames(execs))
		fmt.Fprint(w, "| mix |")
		for _, e := range execs {
			fmt.Fprintf(w, " %s tx/s |", execName(e))
		}
		if len(execs) > 1 {
			fmt.Fprintf(w, " %s / %s |", execName(execs[1]), execName(execs[0]))
		}
		fmt.Fprintln(w)
		fmt.Fprint(w, "|---|")
		for range execs {
			fmt.Fprint(w, "---|")
		}
		if len(execs) > 1 {
			fmt.Fprint(w, "---|")
		}
		fmt.Fprintln(w)
		for i, m := range execs[0].Mixes {
			fmt.Fprintf(w, "| %s (%d txs) |", m.Mix, m.Txs)
			for _, e := range execs {
				if i < len(e.Mixes) {
					fmt.Fprintf(w, " %.0f%s |", e.Mixes[i].TxPerSec, failNote(e.Mixes[i]))
				}
			}
			if len(execs) > 1 && i < len(execs[1].Mixes) && m.TxPerSec > 0 {
				fmt.Fprintf(w, " %.2f |", execs[1].Mixes[i].TxPerSec/m.TxPerSec)
			}
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w)
		for _, e := range execs {
			var after []string
			for _, d := range e.AfterEpochEnd {
				after = append(after, fmtDur(d))
			}
			fmt.Fprintf(w, "- %s: ordinary block %s; epoch-end block %s (%d challenges issued in it; %d in the 5 blocks after: %s); genesis load %s; app hash %s\n",
				execName(e), fmtDur(e.OrdinaryBlock), fmtDur(e.EpochEndBlock), e.ChallengesAtEnd, e.ChallengesIssued-e.ChallengesAtEnd,
				strings.Join(after, ", "), fmtDur(e.Genesis), e.AppHash[:16])
		}
	}
}

// shortfallLines describes each run of rs that lost or failed transactions:
// the failures by reason (the log up to its first comma, so that one reason
// with many sequence numbers counts once) and the rate over the blocks that
// held the first 99 % of the run's inclusions, which leaves out the tail
// spent waiting for the lost ones.
func shortfallLines(rs []*RunResult) []string {
	var lines []string
	for _, r := range rs {
		if r.Failed == 0 && r.Lost == 0 {
			continue
		}
		offered := "the highest rate"
		if r.Rate > 0 {
			offered = fmt.Sprintf("%.0f tx/s", r.Rate)
		}
		line := fmt.Sprintf("- %s at %s: %d lost (accepted, in no block before the timeout), %d failed in blocks", r.Mix, offered, r.Lost, r.Failed)
		if reasons := groupReasons(r.FailCodes); reasons != "" {
			line += " (" + reasons + ")"
		}
		if rate, span, ok := rateTo(r, 0.99); ok {
			line += fmt.Sprintf("; 99 %% of its inclusions were in blocks within %s, %.0f tx/s", fmtDur(span), rate)
		}
		lines = append(lines, line+".\n")
	}
	return lines
}

// groupReasons sums codes (code and log prefix → count) by the log up to its
// first comma and lists them by count, then reason: "32 account sequence
// mismatch ×10".
func groupReasons(codes map[string]int) string {
	sums := map[string]int{}
	for k, n := range codes {
		if i := strings.Index(k, ","); i > 0 {
			k = k[:i]
		}
		sums[k] += n
	}
	keys := make([]string, 0, len(sums))
	for k := range sums {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if sums[keys[i]] != sums[keys[j]] {
			return sums[keys[i]] > sums[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s ×%d", k, sums[k])
	}
	return strings.Join(parts, ", ")
}

// rateTo is the rate at which r's blocks took the first frac of its
// inclusions (inclusionSpan), and that span; ok is false when r's blocks
// hold none.
func rateTo(r *RunResult, frac float64) (rate float64, span time.Duration, ok bool) {
	blocks := append([]BlockStat(nil), r.Blocks...)
	sort.Slice(blocks, func(i, j int) bool { return blocks[i].Height < blocks[j].Height })
	span, _, seen, ok := inclusionSpan(blocks, frac)
	if !ok {
		return 0, 0, false
	}
	return float64(seen) / span.Seconds(), span, true
}

// epochEndLine describes the block intervals around the epoch ends seen in
// rs: the interval after each epoch-end block beside the median interval.
func epochEndLine(rs []*RunResult) string {
	var intervals []time.Duration
	var after []string
	for _, r := range rs {
		for i := 1; i < len(r.Blocks); i++ {
			d := r.Blocks[i].Time.Sub(r.Blocks[i-1].Time)
			intervals = append(intervals, d)
			if r.Blocks[i-1].EpochEnd {
				after = append(after, fmt.Sprintf("%s (after block %d, %d txs)", fmtDur(d), r.Blocks[i-1].Height, r.Blocks[i-1].Txs))
			}
		}
	}
	if len(intervals) == 0 {
		return ""
	}
	sort.Slice(intervals, func(i, j int) bool { return intervals[i] < intervals[j] })
	line := fmt.Sprintf("Median block interval %s over %d blocks", fmtDur(intervals[len(intervals)/2]), len(intervals))
	if len(after) == 0 {
		return line + "; no epoch ended during the runs."
	}
	return line + "; the interval after each epoch-end block: " + strings.Join(after, ", ") + "."
}

func execName(e *ExecResult) string {
	if e.Executor == "block-stm" {
		if e.Workers > 0 {
			return fmt.Sprintf("block-stm (%d workers)", e.Workers)
		}
		return "block-stm"
	}
	return e.Executor
}

func execNames(es []*ExecResult) string {
	var n []string
	for _, e := range es {
		n = append(n, execName(e))
	}
	same := "equal app hashes"
	for _, e := range es[1:] {
		if e.AppHash != es[0].AppHash {
			same = "app hashes DIFFER"
		}
	}
	return strings.Join(n, " and ") + ", " + same
}

func failNote(m ExecMix) string {
	if m.Failed == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d failed)", m.Failed)
}

func fmtRSS(rss, peak []int64) string {
	var parts []string
	for i := range rss {
		parts = append(parts, fmt.Sprintf("%d (%d)", rss[i], peak[i]))
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, ", ")
}

// fmtDur formats a duration for people: 850 µs, 12.3 ms, 1.42 s.
func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%d µs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
}
