package cmd

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func runSimulate(t *testing.T, args ...string) (string, error) {
	t.Helper()
	c := SimulateCmd()
	var out bytes.Buffer
	c.SetOut(&out)
	c.SetErr(&out)
	c.SetArgs(append([]string{"market"}, args...))
	err := c.Execute()
	return out.String(), err
}

func TestSimulateMarketHelpExplainsTheModel(t *testing.T) {
	out, err := runSimulate(t, "--help")
	require.NoError(t, err)
	for _, want := range []string{"x/pools ledger", "LP miners", "sellers", "clients", "failures", "--sweep", "T_min", "deterministic"} {
		require.Contains(t, out, want)
	}
}

// A run writes its files; the same flags give the same series; a config
// file sets flags by name and the command line wins.
func TestSimulateMarketWritesTheRun(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--days", "8", "--lp-devices", "20", "--sellers", "4", "--lp-stake", "48h", "--min-lp-duration", "1h", "--demand", "1"}
	out, err := runSimulate(t, append(args, "--out", filepath.Join(dir, "a"))...)
	require.NoError(t, err, out)
	require.Contains(t, out, "volatility of log price")
	for _, f := range []string{"series.csv", "stakes.csv", "summary.txt", "price.svg", "utilisation.svg"} {
		require.FileExists(t, filepath.Join(dir, "a", f))
	}
	rows, err := csv.NewReader(mustOpen(t, filepath.Join(dir, "a", "series.csv"))).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 1+8*24, "a header and one row per hourly epoch")

	cfg := filepath.Join(dir, "sim.toml")
	require.NoError(t, os.WriteFile(cfg, []byte("days = 8\nlp-devices = 20\nsellers = 4\nlp-stake = \"48h\"\nmin-lp-duration = \"1h\"\ndemand = 3\n"), 0o644))
	_, err = runSimulate(t, "--config", cfg, "--demand", "1", "--out", filepath.Join(dir, "b"))
	require.NoError(t, err)
	a, _ := os.ReadFile(filepath.Join(dir, "a", "series.csv"))
	b, _ := os.ReadFile(filepath.Join(dir, "b", "series.csv"))
	require.Equal(t, string(a), string(b), "the file's demand = 3 lost to --demand 1")
}

func TestSimulateMarketSweep(t *testing.T) {
	dir := t.TempDir()
	out, err := runSimulate(t, "--days", "6", "--lp-devices", "20", "--sellers", "4", "--min-lp-duration", "1h", "--lease-max", "12h",
		"--sweep", "lp-stake=24h,72h", "--seeds", "2", "--out", dir)
	require.NoError(t, err, out)
	require.Contains(t, out, "vol/epoch")
	rows, err := csv.NewReader(mustOpen(t, filepath.Join(dir, "sweep.csv"))).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 3)
	require.Equal(t, []string{"lp-stake", "24h", "72h"}, []string{rows[0][0], rows[1][0], rows[2][0]})
	require.FileExists(t, filepath.Join(dir, "sweep.svg"))

	for _, bad := range []string{"nosuchflag=1,2", "lp-stake", "out=a,b"} {
		_, err := runSimulate(t, "--sweep", bad, "--out", dir)
		require.ErrorContains(t, err, "want NAME=V1,V2", bad)
	}
	_, err = runSimulate(t, "--sweep", "lp-stake=24h,soon", "--min-lp-duration", "1h", "--days", "3", "--lp-devices", "5", "--out", dir)
	require.ErrorContains(t, err, "lp-stake=soon")
}

func TestSimulateMarketRefusesBadInput(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "never")
	for args, want := range map[string]string{
		"--lp-stake 1h":             "min_lp_duration",
		"--exchange-fee abc":        "--exchange-fee \"abc\": not a decimal",
		"--staking-fee 1.5":         "not a whole number of uloop",
		"--miner-share 2":           "--miner-share 2",
		"--plot-format gif":         "want svg or png",
		"--collateral-multiplier 0": "collateral_multiplier",
	} {
		_, err := runSimulate(t, append(strings.Fields(args), "--out", dir)...)
		require.ErrorContains(t, err, want, args)
	}
	require.NoDirExists(t, dir, "a refused run writes nothing")
}

func mustOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}
