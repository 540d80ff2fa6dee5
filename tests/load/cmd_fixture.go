package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"cosmossdk.io/math"
	"github.com/spf13/cobra"
)

func fixtureCmd() *cobra.Command {
	var (
		cfg       FixtureConfig
		out, mf   string
		funds     int64
		challenge uint32
	)
	cmd := &cobra.Command{
		Use:   "fixture GENESIS",
		Short: "Add sealed, staked devices and funded accounts to a genesis (in place unless --out)",
		Long: `fixture runs GENESIS (a genesis with its validators' gentxs collected) in an
in-process App, adds --clients client and --miners miner accounts, --devices
sealed devices spread over the active pools' classes, each with an LP stake,
and a verifier for every validator, then exports the state: the new genesis
starts at the export's height, as after 'loopind export'. Copy it to every
validator's config/genesis.json. The manifest (account numbers, stake ids)
is what 'loopin-load run' and 'exec' read.

The accounts' keys come from public seeds: a fixture is for benchmarks only.`,
		Example: `  loopin-load fixture .testnet/node0/config/genesis.json --devices 10000 --clients 2000`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			start := time.Now()
			cfg.Funds = math.NewInt(funds)
			cfg.ChallengeInterval = challenge
			cfg.Progress = cmd.ErrOrStderr()
			gen, man, err := BuildFixture(args[0], cfg)
			if err != nil {
				return err
			}
			if out == "" {
				out = args[0]
			}
			if mf == "" {
				mf = filepath.Join(filepath.Dir(out), "fixture.json")
			}
			if err := gen.SaveAs(out); err != nil {
				return err
			}
			if err := writeJSON(mf, man); err != nil {
				return err
			}
			st, err := os.Stat(out)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "fixture: %d devices, %d clients, %d miners, %d verifiers; genesis %s (%.1f MB, initial height %d), manifest %s, in %s\n",
				man.Devices, len(man.ClientAccounts), len(man.MinerAccounts), len(gen.Consensus.Validators), out,
				float64(st.Size())/1e6, gen.InitialHeight, mf, time.Since(start).Round(100*time.Millisecond))
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.Devices, "devices", 10_000, "sealed devices with an LP stake each, spread over the classes")
	f.IntVar(&cfg.Clients, "clients", 2_000, "funded client accounts")
	f.IntVar(&cfg.Miners, "miners", 500, "miner accounts owning the devices (device i: miner i mod miners)")
	f.Int64Var(&funds, "funds", 1_000_000_000_000, "uloop each client and miner holds")
	f.DurationVar(&cfg.StakeDuration, "stake-duration", 48*time.Hour, "each LP stake's commitment")
	f.Uint32Var(&challenge, "challenge-interval", 6, "x/pocps challenge_interval in epochs (0 keeps the genesis's)")
	f.DurationVar(&cfg.Epoch, "epoch", 0, "the loopin epoch's duration (0 keeps the genesis's)")
	f.StringVar(&out, "out", "", "where to write the genesis (default: over GENESIS)")
	f.StringVar(&mf, "manifest", "", "where to write the manifest (default: fixture.json beside the genesis)")
	return cmd
}
