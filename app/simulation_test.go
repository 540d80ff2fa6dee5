package app_test

// The harness of TestAppHashDeterminism: the child process that drives the
// second chain, the per-block records the two processes compare, the
// report of a divergence, and the seed sweep read from the environment.

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"
)

// The environment of the sweep and of the child process.
const (
	// simSeedsEnv lists the seeds to run: "1-50", "3,7,11", "1-5,9".
	simSeedsEnv = "LOOPIN_SIM_SEEDS"
	// simBlocksEnv is the number of random blocks per seed.
	simBlocksEnv = "LOOPIN_SIM_BLOCKS"
	// simOutEnv is the folder the per-seed logs go to (default: the
	// system's temporary directory); a seed's log is removed if it passes.
	simOutEnv = "LOOPIN_SIM_OUT"
	// simInjectEnv ("state@H" or "tx@H") makes the child diverge at height
	// H: a 1-uloop transfer written to its state outside any transaction,
	// or one transaction more. It is how the harness tests itself; set for
	// the whole test, it shows what a failure looks like.
	simInjectEnv = "LOOPIN_SIM_INJECT"
	// simChildEnv ("seed:blocks") runs TestAppHashDeterminism as the
	// child: it drives its chain and writes each block's record, one JSON
	// line each, to the file named by simChildOutEnv.
	simChildEnv    = "LOOPIN_SIM_CHILD"
	simChildOutEnv = "LOOPIN_SIM_CHILD_OUT"
	// simExecutorEnv ("block-stm") is the child's block executor (app.toml
	// block-executor); the parent always executes sequentially, so that the
	// comparison is between the two executors. Unset: both sequential.
	simExecutorEnv = "LOOPIN_SIM_EXECUTOR"
	// simLegacySeedEnv is the single seed of earlier versions of the test.
	simLegacySeedEnv = "LOOPIN_DETERMINISM_SEED"
)

// simConfig is one simulated run: its seed, the number of random blocks
// after the funding block, and the divergence the child injects, if any.
type simConfig struct {
	seed   int64
	blocks int
	inject simInject
	// executor is the child's block executor ("" or "sequential",
	// "block-stm").
	executor string
}

// rerun is the command line that runs cfg again, and nothing else.
func (cfg simConfig) rerun() string {
	env := fmt.Sprintf("%s=%d %s=%d", simSeedsEnv, cfg.seed, simBlocksEnv, cfg.blocks)
	if cfg.inject.kind != "" {
		env += " " + simInjectEnv + "=" + cfg.inject.String()
	}
	if cfg.executor != "" {
		env += " " + simExecutorEnv + "=" + cfg.executor
	}
	return env + " go test -p 1 -count=1 -v -run '^TestAppHashDeterminism$' ./app/"
}

// simInject is a divergence injected into the child's run at one height:
// kind "state" (a transfer outside any transaction: the same block, another
// state) or "tx" (one transfer transaction more). The zero value injects
// nothing.
type simInject struct {
	kind   string
	height int64
}

func (i simInject) String() string {
	if i.kind == "" {
		return ""
	}
	return fmt.Sprintf("%s@%d", i.kind, i.height)
}

func parseSimInject(v string) (simInject, error) {
	if v == "" {
		return simInject{}, nil
	}
	kind, h, ok := strings.Cut(v, "@")
	height, err := strconv.ParseInt(h, 10, 64)
	if !ok || err != nil || height < 1 || (kind != "state" && kind != "tx") {
		return simInject{}, fmt.Errorf("%s=%q: want state@HEIGHT or tx@HEIGHT", simInjectEnv, v)
	}
	return simInject{kind: kind, height: height}, nil
}

// simBlock is what the two processes compare of one committed block.
type simBlock struct {
	Height  int64  `json:"height"`
	AppHash string `json:"app_hash"`
	// TxsHash is SHA-256 over the SHA-256 of each transaction: equal when
	// the two drivers built the same block.
	TxsHash string `json:"txs_hash"`
	// ResultsHash is SHA-256 over the SHA-256 of each marshaled
	// ExecTxResult (code, data, log, gas, events).
	ResultsHash string `json:"results_hash"`
	// RestHash is SHA-256 of the rest of FinalizeBlock's response: the
	// block's events, validator and consensus-parameter updates.
	RestHash string      `json:"rest_hash"`
	Results  []simResult `json:"results"`
}

// simResult is one transaction's result, in short.
type simResult struct {
	Kind      string `json:"kind"`
	Code      uint32 `json:"code"`
	Codespace string `json:"codespace,omitempty"`
	GasUsed   int64  `json:"gas_used"`
	Log       string `json:"log,omitempty"`
	// Hash is the first 8 bytes of SHA-256 of the marshaled ExecTxResult.
	Hash string `json:"hash"`
}

func (r simResult) String() string {
	s := fmt.Sprintf("code=%d", r.Code)
	if r.Codespace != "" {
		s += "/" + r.Codespace
	}
	s += fmt.Sprintf(" gas=%d", r.GasUsed)
	if r.Log != "" {
		log := r.Log
		if len(log) > 160 {
			log = log[:160] + "…"
		}
		s += fmt.Sprintf(" log=%q", log)
	}
	return s
}

func newSimBlock(height int64, txs [][]byte, kinds []string, res *abci.ResponseFinalizeBlock) simBlock {
	b := simBlock{Height: height, AppHash: hex.EncodeToString(res.AppHash)}
	th, rh := sha256.New(), sha256.New()
	for _, tx := range txs {
		sum := sha256.Sum256(tx)
		th.Write(sum[:])
	}
	for i, r := range res.TxResults {
		bz, err := r.Marshal()
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(bz)
		rh.Write(sum[:])
		b.Results = append(b.Results, simResult{Kind: kinds[i], Code: r.Code, Codespace: r.Codespace, GasUsed: r.GasUsed, Log: r.Log, Hash: hex.EncodeToString(sum[:8])})
	}
	rest := abci.ResponseFinalizeBlock{Events: res.Events, ValidatorUpdates: res.ValidatorUpdates, ConsensusParamUpdates: res.ConsensusParamUpdates}
	bz, err := rest.Marshal()
	if err != nil {
		panic(err)
	}
	restSum := sha256.Sum256(bz)
	b.TxsHash, b.ResultsHash, b.RestHash = hex.EncodeToString(th.Sum(nil)), hex.EncodeToString(rh.Sum(nil)), hex.EncodeToString(restSum[:])
	return b
}

// diff names what differs between b and o.
func (b simBlock) diff(o simBlock) []string {
	var d []string
	for _, f := range []struct {
		name string
		a, b any
	}{
		{"height", b.Height, o.Height},
		{"app hash", b.AppHash, o.AppHash},
		{"transactions", b.TxsHash, o.TxsHash},
		{"tx results", b.ResultsHash, o.ResultsHash},
		{"block events and updates", b.RestHash, o.RestHash},
	} {
		if f.a != f.b {
			d = append(d, f.name)
		}
	}
	return d
}

func readSimBlocks(path string) ([]simBlock, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var bs []simBlock
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var b simBlock
		if err := json.Unmarshal(sc.Bytes(), &b); err != nil {
			return bs, fmt.Errorf("%s, line %d: %w", path, len(bs)+1, err)
		}
		bs = append(bs, b)
	}
	return bs, sc.Err()
}

// simChild is TestAppHashDeterminism run as the child process: it drives
// the chain of the seed and blocks in v ("seed:blocks") and writes each
// block's record to the file simChildOutEnv names as it commits it.
func simChild(t *testing.T, v string) {
	s, b, _ := strings.Cut(v, ":")
	seed, err := strconv.ParseInt(s, 10, 64)
	require.NoError(t, err, "%s=%q", simChildEnv, v)
	blocks, err := strconv.Atoi(b)
	require.NoError(t, err, "%s=%q", simChildEnv, v)
	inject, err := parseSimInject(os.Getenv(simInjectEnv))
	require.NoError(t, err)
	path := os.Getenv(simChildOutEnv)
	require.NotEmpty(t, path, simChildOutEnv)
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	enc := json.NewEncoder(f) // one unbuffered write per block: what a crash leaves is readable
	driveSim(t, simConfig{seed: seed, blocks: blocks, inject: inject, executor: os.Getenv(simExecutorEnv)}, false, func(b simBlock) {
		require.NoError(t, enc.Encode(b))
	})
	require.NoError(t, f.Close())
}

// simFailure is what simCompare found wrong.
type simFailure struct {
	// height is the first block at which the two processes differ (or
	// the control block, where they failed to).
	height int64
	// parentHash and childHash are the two app hashes at height (hex;
	// empty where the child wrote no block).
	parentHash, childHash string
	// report is the whole message: seed, height, hashes, the results that
	// differ, the last blocks, the log's path and the rerun command.
	report string
}

// simHarness is one seed's comparison between this process (the parent)
// and the child process.
type simHarness struct {
	cfg simConfig
	// dir holds parent.jsonl and child.jsonl (each block's record),
	// child.out (the child's output) and, after a failure, blocks.log.
	dir           string
	parent, child []simBlock
	reported      bool
}

// simCompare runs cfg on a chain in this process and on one in a child
// process started from this test binary, at the same time, and compares
// them block by block. It returns this process's run and, when the two
// differ anywhere before the control block, when the control block fails
// to differ, or when the child fails, the failure. emit sees each of this
// process's blocks as it is committed. If the test fails (here or in emit)
// the seed's folder stays, and the seed, height and rerun command are
// logged unless the failure's report was.
func simCompare(t *testing.T, cfg simConfig, emit func(simBlock)) (simRun, *simFailure) {
	base := os.Getenv(simOutEnv)
	if base == "" {
		base = os.TempDir()
	}
	require.NoError(t, os.MkdirAll(base, 0o755))
	dir, err := os.MkdirTemp(base, fmt.Sprintf("loopin-sim-seed%d-", cfg.seed))
	require.NoError(t, err)
	h := &simHarness{cfg: cfg, dir: dir}
	t.Cleanup(func() {
		if !t.Failed() {
			_ = os.RemoveAll(dir)
			return
		}
		if h.reported {
			return
		}
		h.child, _ = readSimBlocks(filepath.Join(dir, "child.jsonl"))
		last := "none"
		if n := len(h.parent); n > 0 {
			last = fmt.Sprintf("height %d", h.parent[n-1].Height)
		}
		t.Logf("seed=%d blocks=%d failed; the last block committed here: %s\n  every block so far: %s\n  rerun: %s",
			cfg.seed, cfg.blocks, last, h.writeLog(-1), cfg.rerun())
	})

	child, err := h.startChild(t)
	require.NoError(t, err)
	waited := false
	t.Cleanup(func() {
		if !waited {
			_ = child.Wait() // killed when the test's context ended
		}
	})
	pf, err := os.Create(filepath.Join(dir, "parent.jsonl"))
	require.NoError(t, err)
	defer pf.Close()
	enc := json.NewEncoder(pf)
	here := cfg
	here.inject = simInject{} // only the child diverges
	here.executor = ""        // and only the child runs another executor
	run := driveSim(t, here, true, func(b simBlock) {
		h.parent = append(h.parent, b)
		require.NoError(t, enc.Encode(b))
		emit(b)
	})
	require.NoError(t, pf.Close())
	waitErr := child.Wait()
	waited = true
	var readErr error
	h.child, readErr = readSimBlocks(filepath.Join(dir, "child.jsonl"))
	failure := h.compare(errors.Join(waitErr, readErr))
	h.reported = failure != nil
	return run, failure
}

// startChild starts this test binary again as the child of h.cfg, with
// another GOGC, writing into h.dir. The child ends with the test.
func (h *simHarness) startChild(t *testing.T) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	timeout := time.Duration(0)
	if d, ok := t.Deadline(); ok {
		timeout = max(time.Until(d), time.Second).Round(time.Second)
	}
	cmd := exec.CommandContext(t.Context(), exe, "-test.run=^TestAppHashDeterminism$", "-test.count=1", "-test.timeout="+timeout.String())
	cmd.Env = append(os.Environ(),
		fmt.Sprintf("%s=%d:%d", simChildEnv, h.cfg.seed, h.cfg.blocks),
		simChildOutEnv+"="+filepath.Join(h.dir, "child.jsonl"),
		simInjectEnv+"="+h.cfg.inject.String(),
		simExecutorEnv+"="+h.cfg.executor,
		"GOGC=50", // collections at other moments than here (100)
	)
	out, err := os.Create(filepath.Join(h.dir, "child.out"))
	if err != nil {
		return nil, err
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	return cmd, cmd.Start()
}

// compare finds the first block at which parent and child differ. The last
// block of the parent is the control, which must differ in its app hash.
// childErr is how the child ended (or its records could not be read).
func (h *simHarness) compare(childErr error) *simFailure {
	control := len(h.parent) - 1
	for i, p := range h.parent {
		if i >= len(h.child) {
			return h.fail(i, fmt.Sprintf("the child process wrote no block at height %d", p.Height), childErr)
		}
		d := p.diff(h.child[i])
		if i == control {
			if len(p.Results) != 1 || p.Results[0].Code != abci.CodeTypeOK {
				return h.fail(i, fmt.Sprintf("the control block's transfer failed: %v", p.Results), childErr)
			}
			if !slices.Contains(d, "app hash") {
				return h.fail(i, "the control block, one transfer more than the child's, has the same app hash", childErr)
			}
			break
		}
		if len(d) > 0 {
			verb := "differ"
			if len(d) == 1 {
				verb = "differs"
			}
			return h.fail(i, fmt.Sprintf("the chains diverged at height %d: %s %s", p.Height, strings.Join(d, ", "), verb), childErr)
		}
	}
	if childErr != nil {
		return h.fail(control, "the child process failed", childErr)
	}
	if len(h.child) != len(h.parent) {
		return h.fail(control, fmt.Sprintf("the child process wrote %d blocks, this one %d", len(h.child), len(h.parent)), nil)
	}
	return nil
}

// block says which of the run's blocks index i is.
func (h *simHarness) block(i int) string {
	switch {
	case i == 0:
		return "the funding block"
	case i <= h.cfg.blocks:
		return fmt.Sprintf("random block %d of %d", i, h.cfg.blocks)
	default:
		return "the control block"
	}
}

// fail builds the failure at index i of the blocks.
func (h *simHarness) fail(i int, what string, childErr error) *simFailure {
	p := h.parent[i]
	f := &simFailure{height: p.Height, parentHash: p.AppHash}
	var c *simBlock
	if i < len(h.child) {
		c = &h.child[i]
		f.childHash = c.AppHash
	}
	var b strings.Builder
	fmt.Fprintf(&b, "seed=%d blocks=%d: %s (%s)\n", h.cfg.seed, h.cfg.blocks, what, h.block(i))
	fmt.Fprintf(&b, "  app hash at height %d: parent (this process) %s\n", p.Height, p.AppHash)
	if c != nil {
		fmt.Fprintf(&b, "  app hash at height %d: child  (its process) %s\n", c.Height, c.AppHash)
		if p.TxsHash == c.TxsHash {
			fmt.Fprintf(&b, "  transactions: the same %d (sha256 %.16s)\n", len(p.Results), p.TxsHash)
		} else {
			fmt.Fprintf(&b, "  transactions: differ, parent %d (sha256 %.16s), child %d (sha256 %.16s): the drivers built other blocks\n",
				len(p.Results), p.TxsHash, len(c.Results), c.TxsHash)
		}
		if p.ResultsHash == c.ResultsHash {
			b.WriteString("  tx results: the same\n")
		} else {
			b.WriteString("  tx results that differ (parent | child):\n")
			for j := range max(len(p.Results), len(c.Results)) {
				var pr, cr *simResult
				if j < len(p.Results) {
					pr = &p.Results[j]
				}
				if j < len(c.Results) {
					cr = &c.Results[j]
				}
				if pr != nil && cr != nil && pr.Hash == cr.Hash {
					continue
				}
				desc := func(r *simResult) string {
					if r == nil {
						return "none"
					}
					return r.Kind + " " + r.String()
				}
				note := ""
				if pr != nil && cr != nil && *pr != *cr && desc(pr) == desc(cr) {
					note = " (events or data differ)"
				}
				fmt.Fprintf(&b, "    #%d: %s | %s%s\n", j, desc(pr), desc(cr), note)
			}
		}
		if p.RestHash != c.RestHash {
			fmt.Fprintf(&b, "  block events and updates: differ (sha256 %.16s | %.16s)\n", p.RestHash, c.RestHash)
		}
	}
	from := max(0, i-19)
	fmt.Fprintf(&b, "  app hashes of heights %d to %d (parent | child):\n", h.parent[from].Height, p.Height)
	for k := from; k <= i; k++ {
		b.WriteString("    " + h.logLine(k, i) + "\n")
	}
	fmt.Fprintf(&b, "  every block: %s (with parent.jsonl, child.jsonl and the child's output child.out)\n", h.writeLog(i))
	fmt.Fprintf(&b, "  rerun: %s", h.cfg.rerun())
	if childErr != nil {
		fmt.Fprintf(&b, "\n  child process: %v; the end of its output:\n%s", childErr, h.childOutput(30))
	}
	f.report = b.String()
	return f
}

// logLine is block k's line of the log: height and both app hashes,
// marked at first, the first difference.
func (h *simHarness) logLine(k, first int) string {
	ph, ch, height := "-", "-", int64(0)
	if k < len(h.parent) {
		ph, height = h.parent[k].AppHash, h.parent[k].Height
	}
	if k < len(h.child) {
		ch, height = h.child[k].AppHash, h.child[k].Height
	}
	line := fmt.Sprintf("%d %s %s", height, ph, ch)
	if k == first {
		line += " <- first difference"
	}
	return line
}

// writeLog writes blocks.log into h.dir: the seed, the rerun command and
// each block's height and app hashes (parent, child), first marked as the
// first difference (-1: none). It returns the file's path.
func (h *simHarness) writeLog(first int) string {
	path := filepath.Join(h.dir, "blocks.log")
	var b strings.Builder
	fmt.Fprintf(&b, "# seed=%d blocks=%d\n# rerun: %s\n# height app-hash-parent app-hash-child\n", h.cfg.seed, h.cfg.blocks, h.cfg.rerun())
	for k := range max(len(h.parent), len(h.child)) {
		b.WriteString(h.logLine(k, first) + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Sprintf("(%s not written: %v)", path, err)
	}
	return path
}

// childOutput is the last n lines of the child's output.
func (h *simHarness) childOutput(n int) string {
	bz, err := os.ReadFile(filepath.Join(h.dir, "child.out"))
	if err != nil {
		return "    (" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(bz), "\n"), "\n")
	lines = lines[max(0, len(lines)-n):]
	return "    " + strings.Join(lines, "\n    ")
}

// simStats counts one run's (or a sweep's) transactions by kind.
type simStats struct {
	blocks  int
	epochs  int64
	ok      map[string]int
	failed  map[string]int
	reasons map[string][]string
}

func newSimStats() *simStats {
	return &simStats{ok: map[string]int{}, failed: map[string]int{}, reasons: map[string][]string{}}
}

// count counts block b's results and asserts that every refusal is the
// message's own: no signature, sequence, gas or decoding failure (which
// would mean the driver is wrong).
func (st *simStats) count(t *testing.T, b simBlock) {
	for _, r := range b.Results {
		if r.Kind == "control" {
			continue
		}
		if r.Code == abci.CodeTypeOK {
			st.ok[r.Kind]++
			continue
		}
		st.failed[r.Kind]++
		require.False(t, r.Codespace == "sdk" && slices.Contains([]uint32{2, 4, 11, 13, 32}, r.Code),
			"height %d, %s: ante handler refused: %s", b.Height, r.Kind, r.Log)
		if len(st.reasons[r.Kind]) < 4 {
			st.reasons[r.Kind] = append(st.reasons[r.Kind], r.Log)
		}
	}
}

func (st *simStats) add(o *simStats) {
	st.blocks += o.blocks
	st.epochs += o.epochs
	for k, n := range o.ok {
		st.ok[k] += n
	}
	for k, n := range o.failed {
		st.failed[k] += n
	}
	for k, rs := range o.reasons {
		for _, r := range rs {
			if len(st.reasons[k]) < 4 {
				st.reasons[k] = append(st.reasons[k], r)
			}
		}
	}
}

// line is the counts on one line: blocks, epochs crossed, and per kind
// succeeded/failed.
func (st *simStats) line() string {
	kinds := slices.Sorted(maps.Keys(st.ok))
	for k := range st.failed {
		if _, ok := st.ok[k]; !ok {
			kinds = append(kinds, k)
		}
	}
	slices.Sort(kinds)
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%s %d/%d", k, st.ok[k], st.failed[k])
	}
	return fmt.Sprintf("blocks=%d epochs=%d succeeded/failed: %s", st.blocks, st.epochs, strings.Join(parts, ", "))
}

// simSweep is what TestAppHashDeterminism runs: by default seed 7 for 200
// blocks.
type simSweep struct {
	seeds  []int64
	blocks int
	inject simInject
}

func simSweepFromEnv() (simSweep, error) {
	sw := simSweep{seeds: []int64{7}, blocks: 200}
	var err error
	if v := os.Getenv(simLegacySeedEnv); v != "" {
		if sw.seeds, err = parseSimSeeds(v); err != nil {
			return sw, fmt.Errorf("%s: %w", simLegacySeedEnv, err)
		}
	}
	if v := os.Getenv(simSeedsEnv); v != "" {
		if sw.seeds, err = parseSimSeeds(v); err != nil {
			return sw, fmt.Errorf("%s: %w", simSeedsEnv, err)
		}
	}
	if v := os.Getenv(simBlocksEnv); v != "" {
		if sw.blocks, err = strconv.Atoi(v); err != nil || sw.blocks < 1 {
			return sw, fmt.Errorf("%s=%q: want a number of blocks ≥ 1", simBlocksEnv, v)
		}
	}
	sw.inject, err = parseSimInject(os.Getenv(simInjectEnv))
	return sw, err
}

// parseSimSeeds reads a list of seeds and ranges: "1-50", "3,7,11",
// "1-5,9".
func parseSimSeeds(v string) ([]int64, error) {
	var seeds []int64
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseInt(lo, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q: want seeds like 1-50 or 3,7,11", v)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseInt(hi, 10, 64); err != nil || b < a {
				return nil, fmt.Errorf("%q: want seeds like 1-50 or 3,7,11", v)
			}
		}
		for s := a; s <= b; s++ {
			seeds = append(seeds, s)
		}
	}
	return seeds, nil
}

func TestParseSimSeeds(t *testing.T) {
	for in, want := range map[string][]int64{"7": {7}, "1-3": {1, 2, 3}, "3,7,11": {3, 7, 11}, "1-2, 9": {1, 2, 9}} {
		got, err := parseSimSeeds(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "x", "5-3", "1-", "1,,2"} {
		_, err := parseSimSeeds(in)
		require.Error(t, err, in)
	}
	i, err := parseSimInject("tx@12")
	require.NoError(t, err)
	require.Equal(t, simInject{kind: "tx", height: 12}, i)
	for _, in := range []string{"tx", "disk@3", "state@0", "state@x"} {
		_, err := parseSimInject(in)
		require.Error(t, err, in)
	}
}

// TestSimDetectsDivergence tests the harness of TestAppHashDeterminism: a
// child that diverges at one height (a 1-uloop transfer written outside
// any transaction, or one transfer transaction more) is reported at that
// height, with both app hashes, the results that differ and the rerun
// command.
func TestSimDetectsDivergence(t *testing.T) {
	for _, inject := range []simInject{{kind: "state", height: 8}, {kind: "tx", height: 10}} {
		t.Run(inject.kind, func(t *testing.T) {
			cfg := simConfig{seed: 7, blocks: 10, inject: inject}
			_, failure := simCompare(t, cfg, func(simBlock) {})
			require.NotNil(t, failure, "the divergence injected at height %d went unnoticed", inject.height)
			t.Logf("the report (expected):\n%s", failure.report)
			require.Equal(t, inject.height, failure.height, failure.report)
			require.NotEmpty(t, failure.childHash)
			require.NotEqual(t, failure.parentHash, failure.childHash)
			for _, want := range []string{"seed=7 ", fmt.Sprintf("diverged at height %d: app hash", inject.height), failure.parentHash, failure.childHash,
				fmt.Sprintf("%d %s %s <- first difference", inject.height, failure.parentHash, failure.childHash), "blocks.log", cfg.rerun()} {
				require.Contains(t, failure.report, want)
			}
			switch inject.kind {
			case "state":
				require.Contains(t, failure.report, "transactions: the same")
			case "tx":
				require.Contains(t, failure.report, "transactions: differ")
				require.Contains(t, failure.report, "| injected-transfer code=0")
			}
		})
	}
}
