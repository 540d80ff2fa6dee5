package system

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSystemBenchChainSmoke runs `make bench-chain`'s script in its smoke
// mode (scripts/bench-chain.sh --smoke: one node, a 200-device fixture, 300
// transactions per mix, the in-process executors) and checks what it
// measured, not how fast: every transaction of every mix was included and
// succeeded (the market mix's terminates name the leases their buys
// returned), the fixture's devices were challenged at the epoch end, the
// verifiers' passing reports of those challenges were accepted on chain
// (VRF proofs, device signatures and openings re-checked), and the
// sequential and Block-STM executors end with the same app hash.
func TestSystemBenchChainSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("system test builds and runs loopind; skipped with -short")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	root := repoRoot()
	load := buildCommand(t, dir, "loopin-load", "./tests/load")

	res := filepath.Join(dir, "bench")
	cmd := exec.Command(filepath.Join(root, "scripts", "bench-chain.sh"), "--smoke")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "BENCH_OUT="+res, "BENCH_BIN="+bin, "BENCH_LOAD_BIN="+load, "BENCH_PORT_SHIFT=640")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "bench-chain.sh --smoke: %s", tail(string(out), 4000))

	for _, mix := range []string{"bank", "market", "renew"} {
		var r struct {
			Mix       string         `json:"mix"`
			Submitted int            `json:"submitted"`
			Included  int            `json:"included"`
			Failed    int            `json:"failed"`
			Lost      int            `json:"lost"`
			FailCodes map[string]int `json:"fail_codes"`
			TxPerSec  float64        `json:"tx_per_sec"`
			Blocks    []struct {
				Ours int `json:"ours"`
			} `json:"blocks"`
		}
		bz, err := os.ReadFile(filepath.Join(res, "n1", "run-"+mix+"-max.json"))
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(bz, &r))
		require.Equal(t, 300, r.Submitted, "%s: submitted", mix)
		require.Equal(t, 300, r.Included, "%s: included with code 0 (failures: %v)", mix, r.FailCodes)
		require.Zero(t, r.Failed+r.Lost, mix)
		ours := 0
		for _, b := range r.Blocks {
			ours += b.Ours
		}
		require.Equal(t, 300, ours, "%s: the blocks the generator followed hold every transaction", mix)
		require.Positive(t, r.TxPerSec, mix)
	}

	var execs []struct {
		Executor        string `json:"executor"`
		ChallengesAtEnd int    `json:"challenges_at_end"`
		AppHash         string `json:"app_hash"`
		Mixes           []struct {
			Mix       string         `json:"mix"`
			Txs       int            `json:"txs"`
			Failed    int            `json:"failed"`
			FailCodes map[string]int `json:"fail_codes"`
		} `json:"mixes"`
	}
	bz, err := os.ReadFile(filepath.Join(res, "exec.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(bz, &execs))
	require.Len(t, execs, 2)
	require.Equal(t, []string{"sequential", "block-stm"}, []string{execs[0].Executor, execs[1].Executor})
	require.Equal(t, execs[0].AppHash, execs[1].AppHash, "Block-STM must reach the sequential executor's state")
	for _, e := range execs {
		require.Positive(t, e.ChallengesAtEnd, "%s: the epoch end challenges the fixture's due devices", e.Executor)
		require.Len(t, e.Mixes, 5, "bank, market, market-one-pool, renew, challenge")
		for _, m := range e.Mixes {
			require.Positive(t, m.Txs, "%s %s", e.Executor, m.Mix)
			require.Zero(t, m.Failed, "%s %s: %v", e.Executor, m.Mix, m.FailCodes)
		}
	}

	table, err := os.ReadFile(filepath.Join(res, "results.md"))
	require.NoError(t, err)
	for _, mix := range []string{"bank", "market", "renew"} {
		require.Contains(t, string(table), fmt.Sprintf("| %s | max | 300 |", mix))
	}
	require.True(t, strings.Contains(string(table), "equal app hashes"), string(table))
}
