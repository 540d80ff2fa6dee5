package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"

	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"
	gogoproto "github.com/cosmos/gogoproto/proto"

	"github.com/loopin-project/loopin/app"
)

// RunConfig is one load run against a node.
type RunConfig struct {
	// Node is the CometBFT RPC address, e.g. tcp://127.0.0.1:26657.
	Node string
	// Label names the network in the results ("1 node", "4 validators").
	Label string
	// Mix is one of Mixes.
	Mix string
	// Txs is how many transactions to submit (rounded up to whole turns of
	// the actors; the market mix counts a buy and a terminate as two).
	Txs int
	// Rate is the submission rate in tx/s; 0 submits as fast as the node
	// takes them (each actor waits for its transactions' inclusion only
	// when Depth are in flight).
	Rate float64
	// Actors bounds the accounts used (0: all of the mix's).
	Actors int
	// Depth is the transactions each actor keeps in flight (pre-signed with
	// consecutive sequences; 0: DefaultInFlight in all); the market mix
	// always uses 1, as a terminate names the lease its buy returned.
	Depth int
	// Timeout bounds the wait for one transaction's inclusion.
	Timeout time.Duration
	// Pids are the node processes whose memory is reported.
	Pids []int
	// Progress, when set, receives a line every few seconds.
	Progress io.Writer
}

// DefaultInFlight is how many transactions a run keeps in flight when
// RunConfig.Depth is 0: the mix's accounts share it (the market mix keeps
// one per client).
const DefaultInFlight = 4000

// BlockStat is one block seen during a run.
type BlockStat struct {
	Height int64     `json:"height"`
	Time   time.Time `json:"time"`
	// Seen is when the load generator saw the block committed.
	Seen time.Time `json:"seen"`
	Txs  int       `json:"txs"`
	// Ours are the run's transactions in the block.
	Ours    int   `json:"ours"`
	GasUsed int64 `json:"gas_used"`
	// EpochEnd is set when x/epochs ended the loopin epoch in this block.
	EpochEnd bool `json:"epoch_end,omitempty"`
}

// RunResult is what a run measured (docs/benchmarks.md "Throughput under
// load" explains each figure).
type RunResult struct {
	Label string  `json:"label"`
	Mix   string  `json:"mix"`
	Rate  float64 `json:"rate"`
	// Submitted counts transactions CheckTx accepted; Rejected those it
	// refused (retried), Failed those included with a non-zero code, Lost
	// those never seen in a block within Timeout.
	Submitted int `json:"submitted"`
	Included  int `json:"included"`
	Failed    int `json:"failed"`
	Rejected  int `json:"rejected"`
	Lost      int `json:"lost"`
	// FailCodes counts the failures by code and log prefix, RejectCodes
	// the CheckTx refusals; Retries counts broadcasts sent again after the
	// node did not answer or its mempool was full.
	FailCodes   map[string]int `json:"fail_codes,omitempty"`
	RejectCodes map[string]int `json:"reject_codes,omitempty"`
	Retries     int            `json:"retries"`
	// TxPerSec is Included over the block time from the block before the
	// first that held one of the run's transactions to the last.
	TxPerSec float64 `json:"tx_per_sec"`
	// LatencyP50 and LatencyP99 are from submission (before
	// broadcast_tx_sync) to the generator seeing the block committed.
	LatencyP50 time.Duration `json:"latency_p50"`
	LatencyP99 time.Duration `json:"latency_p99"`
	// Span is the block time the TxPerSec is over; BlocksPerMin the blocks
	// in it per minute; MaxTxsInBlock the fullest block.
	Span          time.Duration `json:"span"`
	BlocksPerMin  float64       `json:"blocks_per_min"`
	MaxTxsInBlock int           `json:"max_txs_in_block"`
	// GasPerTx is the mean gas used by the run's included transactions.
	GasPerTx int64 `json:"gas_per_tx"`
	// RSSMiB and PeakRSSMiB are the nodes' resident memory at the end of
	// the run and its peak since each started (VmRSS, VmHWM), MiB.
	RSSMiB     []int64     `json:"rss_mib"`
	PeakRSSMiB []int64     `json:"peak_rss_mib"`
	Blocks     []BlockStat `json:"blocks"`
}

// pendingTx is a broadcast transaction awaiting its block.
type pendingTx struct {
	sent time.Time
	done chan inclusion
}

type inclusion struct {
	code    uint32
	data    []byte
	log     string
	gasUsed int64
	seen    time.Time
}

// Run submits cfg.Txs transactions of cfg.Mix to cfg.Node and measures
// their inclusion from the blocks (CometBFT RPC block and block_results).
// The manifest gives the accounts; their sequences are read once at the
// start. Errors: the node unreachable, an unknown mix, a signing failure.
func Run(ctx context.Context, m *Manifest, cfg RunConfig) (*RunResult, error) {
	app.SetAddressPrefixes()
	enc := app.MakeModuleEncodingConfig()
	rpc, err := rpchttp.New(normalizeNode(cfg.Node), "/websocket")
	if err != nil {
		return nil, err
	}
	actors, err := mixActors(m, cfg.Mix)
	if err != nil {
		return nil, err
	}
	if cfg.Actors > 0 && cfg.Actors < len(actors) {
		actors = actors[:cfg.Actors]
	}
	depth := cfg.Depth
	if depth <= 0 {
		depth = (DefaultInFlight + len(actors) - 1) / len(actors)
	}
	if cfg.Mix == MixMarket || cfg.Mix == MixMarketOnePool {
		depth = 1
	}
	// Actor i submits quota(i) transactions, cfg.Txs in all (the market
	// mix in whole buy-and-terminate pairs).
	unit := 1
	if cfg.Mix == MixMarket || cfg.Mix == MixMarketOnePool {
		unit = 2
	}
	units := (max(cfg.Txs, 1) + unit - 1) / unit
	if units < len(actors) {
		actors = actors[:units]
	}
	quota := func(i int) int {
		q := units / len(actors)
		if i < units%len(actors) {
			q++
		}
		return q * unit
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Minute
	}
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	if err := readSequences(ctx, rpc, enc.InterfaceRegistry, actors); err != nil {
		return nil, err
	}
	st, err := rpc.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", cfg.Node, err)
	}

	res := &RunResult{Label: cfg.Label, Mix: cfg.Mix, Rate: cfg.Rate, FailCodes: map[string]int{}, RejectCodes: map[string]int{}}
	// The newest block before the run: the rates' spans start at its time.
	res.Blocks = append(res.Blocks, BlockStat{Height: st.SyncInfo.LatestBlockHeight, Time: st.SyncInfo.LatestBlockTime, Seen: time.Now()})
	var (
		mu        sync.Mutex
		pending   = map[string]*pendingTx{}
		latencies []time.Duration
	)
	limiter := rate.NewLimiter(rate.Inf, 1)
	if cfg.Rate > 0 {
		limiter = rate.NewLimiter(rate.Limit(cfg.Rate), 1)
	}

	watchCtx, stopWatch := context.WithCancel(ctx)
	watchDone := make(chan error, 1)
	go func() {
		watchDone <- watchBlocks(watchCtx, rpc, st.SyncInfo.LatestBlockHeight, func(b BlockStat, hashes []string, results []inclusion) {
			mu.Lock()
			defer mu.Unlock()
			for i, h := range hashes {
				if p, ok := pending[h]; ok {
					b.Ours++
					delete(pending, h)
					p.done <- results[i]
				}
			}
			res.Blocks = append(res.Blocks, b)
		})
	}()

	start := time.Now()
	var sent, included, failed, rejected, lost int
	var gasSum int64
	count := func(f func()) { mu.Lock(); f(); mu.Unlock() }
	ticker := time.NewTicker(5 * time.Second)
	defer ticker.Stop()
	go func() {
		for {
			select {
			case <-watchCtx.Done():
				return
			case <-ticker.C:
				mu.Lock()
				fmt.Fprintf(progress, "  %s %s: %d submitted, %d included, %d failed, %d rejected, %d lost, %s\n",
					cfg.Label, cfg.Mix, sent, included, failed, rejected, lost, time.Since(start).Round(time.Second))
				mu.Unlock()
			}
		}
	}()

	g, gctx := errgroup.WithContext(ctx)
	for i, a := range actors {
		perActor := quota(i)
		g.Go(func() error {
			type flight struct {
				msg sdk.Msg
				p   *pendingTx
			}
			var inflight []flight
			// wait takes the oldest in-flight transaction's inclusion, or
			// counts it lost cfg.Timeout after it was sent.
			wait := func() {
				f := inflight[0]
				inflight = inflight[1:]
				deadline := time.NewTimer(time.Until(f.p.sent.Add(cfg.Timeout)))
				defer deadline.Stop()
				select {
				case <-gctx.Done():
				case inc := <-f.p.done:
					settle(a, f.msg, inc.code, inc.data)
					count(func() {
						latencies = append(latencies, inc.seen.Sub(f.p.sent))
						if inc.code == 0 {
							included++
							gasSum += inc.gasUsed
						} else {
							failed++
							res.FailCodes[failKey(inc)]++
						}
					})
				case <-deadline.C:
					count(func() { lost++ })
				}
			}
			for done := 0; done < perActor; {
				if len(inflight) == depth {
					wait()
					continue
				}
				if err := limiter.Wait(gctx); err != nil {
					return err
				}
				msg := nextMsg(m, cfg.Mix, a)
				tx, err := signTx(enc.TxConfig, m.ChainID, a, msg)
				if err != nil {
					return err
				}
				hash := txHash(tx)
				p := &pendingTx{done: make(chan inclusion, 1), sent: time.Now()}
				count(func() { pending[hash] = p })
				accepted, mismatch := false, ""
				for !accepted {
					br, err := callWithTimeout(gctx, func(ctx context.Context) (*ctypes.ResultBroadcastTx, error) { return rpc.BroadcastTxSync(ctx, tx) })
					switch {
					case err == nil && br.Code == 0, err != nil && strings.Contains(err.Error(), "tx already exists in cache"):
						// In the mempool (the second case: an earlier try whose
						// answer was lost got there).
						accepted = true
						continue
					case err == nil:
						// CheckTx refused it: sign the next one afresh.
						if strings.Contains(br.Log, "account sequence mismatch") {
							mismatch = br.Log
						}
						count(func() {
							delete(pending, hash)
							rejected++
							res.RejectCodes[failKey(inclusion{code: br.Code, log: br.Log})]++
						})
					case gctx.Err() != nil:
						return gctx.Err()
					default:
						// Mempool full, or the node did not answer: the same
						// bytes again after a pause.
						count(func() { res.Retries++ })
					}
					select {
					case <-gctx.Done():
						return gctx.Err()
					case <-time.After(200 * time.Millisecond):
					}
					if err == nil {
						break
					}
				}
				if !accepted {
					if mismatch != "" {
						// The node's check state expects another sequence
						// (an earlier transaction of the account left its
						// mempool, or another sender used the account): go
						// on from the one it names, else from the account.
						if seq, ok := expectedSequence(mismatch); ok {
							a.seq = seq
						} else if err := readSequences(gctx, rpc, enc.InterfaceRegistry, []*actor{a}); err != nil {
							return err
						}
					}
					continue
				}
				a.seq++
				done++
				inflight = append(inflight, flight{msg, p})
				count(func() { sent++ })
			}
			for len(inflight) > 0 {
				wait()
			}
			return nil
		})
	}
	// Each inclusion reached its actor under mu with its block recorded:
	// when the actors are done, every block that held one is in res.Blocks.
	err = g.Wait()
	stopWatch()
	if werr := <-watchDone; werr != nil && !errors.Is(werr, context.Canceled) && err == nil {
		err = werr
	}
	if err != nil {
		return nil, err
	}
	res.Submitted, res.Included, res.Failed, res.Rejected, res.Lost = sent, included, failed, rejected, lost
	if included > 0 {
		res.GasPerTx = gasSum / int64(included)
	}
	summarize(res, latencies)
	for _, pid := range cfg.Pids {
		rss, hwm := memoryOf(pid)
		res.RSSMiB = append(res.RSSMiB, rss)
		res.PeakRSSMiB = append(res.PeakRSSMiB, hwm)
	}
	return res, nil
}

// summarize computes the rates and percentiles of res from its blocks.
func summarize(res *RunResult, latencies []time.Duration) {
	sort.Slice(res.Blocks, func(i, j int) bool { return res.Blocks[i].Height < res.Blocks[j].Height })
	for _, b := range res.Blocks {
		res.MaxTxsInBlock = max(res.MaxTxsInBlock, b.Txs)
	}
	if span, blocks, _, ok := inclusionSpan(res.Blocks, 1); ok {
		res.Span = span
		res.TxPerSec = float64(res.Included) / span.Seconds()
		res.BlocksPerMin = float64(blocks) / span.Minutes()
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	res.LatencyP50, res.LatencyP99 = percentile(latencies, 50), percentile(latencies, 99)
}

// inclusionSpan is the block time over which blocks (sorted by height, the
// first being the newest before the run) took the first frac (0 to 1) of
// the run's inclusions (Ours, whatever their result): from the block before
// the first that held one to the block that reached the share. It returns
// the span, the blocks in it, the inclusions they held, and ok false when
// no block holds one or the span is not positive.
func inclusionSpan(blocks []BlockStat, frac float64) (span time.Duration, n, seen int, ok bool) {
	total := 0
	for _, b := range blocks {
		total += b.Ours
	}
	if total == 0 {
		return 0, 0, 0, false
	}
	want := int(math.Ceil(frac * float64(total)))
	first := -1
	for i, b := range blocks {
		if b.Ours == 0 {
			continue
		}
		if first < 0 {
			first = i
		}
		seen += b.Ours
		if seen < want {
			continue
		}
		from := b.Time.Add(-time.Second) // no block before it: assume one block time
		if first > 0 {
			from = blocks[first-1].Time
		}
		span = b.Time.Sub(from)
		return span, i - first + 1, seen, span > 0
	}
	return 0, 0, 0, false
}

// percentile is the p-th percentile of sorted (nearest rank), 0 if empty.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i, 1), len(sorted))-1]
}

// watchBlocks polls the node for blocks after height and calls onBlock for
// each, in order, with its transactions' hashes and results, until ctx ends.
func watchBlocks(ctx context.Context, rpc *rpchttp.HTTP, height int64, onBlock func(BlockStat, []string, []inclusion)) error {
	for {
		st, err := callWithTimeout(ctx, rpc.Status)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			time.Sleep(200 * time.Millisecond)
			continue
		}
		for h := height + 1; h <= st.SyncInfo.LatestBlockHeight; h++ {
			seen := time.Now()
			// A busy node may answer late, or not yet have stored the
			// newest block's results: ask again until it does (a run's
			// inclusions all come through here).
			var blk *ctypes.ResultBlock
			var br *ctypes.ResultBlockResults
			for {
				blk, err = callWithTimeout(ctx, func(ctx context.Context) (*ctypes.ResultBlock, error) { return rpc.Block(ctx, &h) })
				if err == nil {
					br, err = callWithTimeout(ctx, func(ctx context.Context) (*ctypes.ResultBlockResults, error) { return rpc.BlockResults(ctx, &h) })
				}
				if err == nil {
					break
				}
				if ctx.Err() != nil {
					return ctx.Err()
				}
				time.Sleep(200 * time.Millisecond)
			}
			stat := BlockStat{Height: h, Time: blk.Block.Time, Seen: seen, Txs: len(blk.Block.Txs)}
			hashes := make([]string, len(blk.Block.Txs))
			results := make([]inclusion, len(blk.Block.Txs))
			for i, tx := range blk.Block.Txs {
				hashes[i] = txHash(tx)
				if i < len(br.TxsResults) {
					r := br.TxsResults[i]
					results[i] = inclusion{code: r.Code, data: r.Data, log: r.Log, gasUsed: r.GasUsed, seen: seen}
					stat.GasUsed += r.GasUsed
				}
			}
			for _, ev := range br.FinalizeBlockEvents {
				if ev.Type == gogoproto.MessageName(&epochEndEvent) {
					stat.EpochEnd = true
				}
			}
			onBlock(stat, hashes, results)
			height = h
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// readSequences sets each actor's sequence from the node (one auth
// Account query each, before any transaction is signed).
func readSequences(ctx context.Context, rpc *rpchttp.HTTP, cdc codectypes.InterfaceRegistry, actors []*actor) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for _, a := range actors {
		g.Go(func() error {
			req, err := gogoproto.Marshal(&authtypes.QueryAccountRequest{Address: a.addr.String()})
			if err != nil {
				return err
			}
			r, err := rpc.ABCIQuery(gctx, "/cosmos.auth.v1beta1.Query/Account", req)
			if err != nil {
				return err
			}
			if r.Response.Code != 0 {
				return fmt.Errorf("account %s: %s (is this the fixture's chain?)", a.addr, r.Response.Log)
			}
			var resp authtypes.QueryAccountResponse
			if err := gogoproto.Unmarshal(r.Response.Value, &resp); err != nil {
				return err
			}
			var acc sdk.AccountI
			if err := cdc.UnpackAny(resp.Account, &acc); err != nil {
				return err
			}
			a.seq, a.accNum = acc.GetSequence(), acc.GetAccountNumber()
			return nil
		})
	}
	return g.Wait()
}

func txHash(tx []byte) string {
	h := sha256.Sum256(tx)
	return fmt.Sprintf("%X", h)
}

// expectedSequence reads the sequence a CheckTx log "account sequence
// mismatch, expected N, got M: …" names; ok is false for another log.
func expectedSequence(log string) (uint64, bool) {
	_, rest, found := strings.Cut(log, "expected ")
	if !found {
		return 0, false
	}
	n, _, _ := strings.Cut(rest, ",")
	seq, err := strconv.ParseUint(n, 10, 64)
	return seq, err == nil
}

// failKey is a failure's reason for the counts: its code and its log up to
// the first colon.
func failKey(inc inclusion) string {
	l := inc.log
	if i := strings.IndexAny(l, ":"); i > 0 {
		l = l[:i]
	}
	return strconv.Itoa(int(inc.code)) + " " + l
}

// normalizeNode accepts tcp://, http:// or host:port.
func normalizeNode(n string) string {
	switch {
	case strings.HasPrefix(n, "tcp://"):
		return "http://" + strings.TrimPrefix(n, "tcp://")
	case strings.Contains(n, "://"):
		return n
	}
	return "http://" + n
}

// memoryOf reads VmRSS and VmHWM of pid in MiB (0, 0 when unreadable).
func memoryOf(pid int) (rss, hwm int64) {
	bz, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(bz), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			hwm = kb / 1024
		}
	}
	return rss, hwm
}

// epochEndEvent is x/epochs' typed event at an epoch's end.
var epochEndEvent epochstypes.EventEpochEnd

// rpcTimeout bounds one RPC call: a node under load may hold a request
// far longer than it takes to answer another.
const rpcTimeout = 30 * time.Second

// callWithTimeout calls f with a context that ends after rpcTimeout.
func callWithTimeout[T any](ctx context.Context, f func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, rpcTimeout)
	defer cancel()
	return f(ctx)
}
