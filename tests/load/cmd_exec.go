package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func execCmd() *cobra.Command {
	var (
		cfg       ExecConfig
		manifest  string
		executors string
		mixes     string
		out       string
		profile   string
	)
	cmd := &cobra.Command{
		Use:   "exec GENESIS",
		Short: "Time blocks of each mix and the epoch-end block in-process, per executor",
		Long: `exec loads a fixture's GENESIS into an in-process App on goleveldb and
finalizes and commits blocks itself, with no network, mempool or consensus:
three empty blocks, the block that ends the loopin epoch (x/pools
dissipation and snapshots, x/pocps challenges of the devices due, the
x/rewards mint and split) and the five after it, then --blocks blocks of
--block-txs transactions of each mix. It does so once per executor
(sequential, and the SDK's Block-STM with --workers) and reports each
mix's ceiling in tx/s and whether the executors end with the same app hash.`,
		Example: `  loopin-load exec .testnet/node0/config/genesis.json --block-txs 1000 --blocks 3`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if manifest == "" {
				manifest = filepath.Join(filepath.Dir(args[0]), "fixture.json")
			}
			m, err := readManifest(manifest)
			if err != nil {
				return err
			}
			cfg.Genesis, cfg.Manifest, cfg.Progress = args[0], m, cmd.ErrOrStderr()
			if mixes != "" {
				cfg.Mixes = strings.Split(mixes, ",")
			}
			if profile != "" {
				f, err := os.Create(profile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			var results []*ExecResult
			for _, e := range strings.Split(executors, ",") {
				cfg.Executor = e
				r, err := Exec(cfg)
				if err != nil {
					return fmt.Errorf("%s: %w", e, err)
				}
				fmt.Fprintln(cmd.OutOrStdout(), execLine(r))
				results = append(results, r)
			}
			for _, r := range results[1:] {
				if r.AppHash != results[0].AppHash {
					return fmt.Errorf("app hash after %s %s differs from %s's %s: the executors disagree", r.Executor, r.AppHash, results[0].Executor, results[0].AppHash)
				}
			}
			if out != "" {
				return writeJSON(out, results)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&manifest, "manifest", "", "the fixture's manifest (default: fixture.json beside GENESIS)")
	f.StringVar(&executors, "executors", "sequential,block-stm", "executors to compare, comma-separated (sequential, block-stm)")
	f.IntVar(&cfg.Workers, "workers", 0, "Block-STM workers (0: one per CPU)")
	f.IntVar(&cfg.BlockTxs, "block-txs", 1000, "transactions per block")
	f.IntVar(&cfg.Blocks, "blocks", 3, "blocks per mix (the market mixes: a block of buys and one of terminates each)")
	f.StringVar(&mixes, "mixes", "", "mixes, comma-separated (default: "+strings.Join(ExecMixes, ",")+")")
	f.StringVar(&out, "out", "", "write the results as JSON here")
	f.StringVar(&profile, "cpuprofile", "", "write a CPU profile of the whole run here (go tool pprof)")
	return cmd
}

// execLine is a one-line summary of an exec result, for people.
func execLine(r *ExecResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: genesis %s; ordinary block %s, epoch-end block %s (%d challenges issued, %d in the 5 blocks after)",
		r.Executor, r.Genesis.Round(time.Millisecond), r.OrdinaryBlock.Round(100*time.Microsecond),
		r.EpochEndBlock.Round(100*time.Microsecond), r.ChallengesAtEnd, r.ChallengesIssued-r.ChallengesAtEnd)
	for _, m := range r.Mixes {
		fmt.Fprintf(&b, "; %s %.0f tx/s (%d txs, %d failed)", m.Mix, m.TxPerSec, m.Txs, m.Failed)
	}
	fmt.Fprintf(&b, "; app hash %s", r.AppHash[:16])
	return b.String()
}
