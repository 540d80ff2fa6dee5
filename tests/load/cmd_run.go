package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/spf13/cobra"
)

// readManifest reads a fixture's manifest.
func readManifest(path string) (*Manifest, error) {
	bz, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("manifest: %w (written by 'loopin-load fixture' beside the genesis)", err)
	}
	var m Manifest
	if err := json.Unmarshal(bz, &m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", path, err)
	}
	return &m, nil
}

func runCmd() *cobra.Command {
	var (
		cfg      RunConfig
		manifest string
		out      string
	)
	cmd := &cobra.Command{
		Use:   "run MIX",
		Short: "Submit a mix of pre-signed transactions to a node and measure their inclusion",
		Long: `run submits --txs transactions of MIX to the node, from the fixture's
accounts, each signed with its explicit sequence (read once at the start),
at --rate tx/s or, with --rate 0, as fast as the node takes them (each
account keeps --depth transactions in flight). It follows every block over
RPC and reports sustained tx/s (included transactions over block time),
p50/p99 inclusion latency (broadcast to the block seen committed), blocks
per minute, gas per transaction and the nodes' memory (--pid).

Mixes:
  bank    bank MsgSend of 1 uloop between clients
  market  MsgBuyLease then MsgTerminateLease of the lease it bought, per
          client in turn, the clients spread over the GPU classes
  renew   MsgRenewStake by one epoch of each miner's stakes in turn`,
		Example: `  loopin-load run bank --node tcp://127.0.0.1:26657 --manifest .testnet/node0/config/fixture.json --txs 6000`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := readManifest(manifest)
			if err != nil {
				return err
			}
			cfg.Mix = args[0]
			cfg.Progress = cmd.ErrOrStderr()
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			res, err := Run(ctx, m, cfg)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), resultLine(res))
			if out != "" {
				return writeJSON(out, res)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Node, "node", "tcp://127.0.0.1:26657", "CometBFT RPC of the node to submit to")
	f.StringVar(&manifest, "manifest", "fixture.json", "the fixture's manifest")
	f.StringVar(&cfg.Label, "label", "1 node", "the network's name in the results")
	f.IntVar(&cfg.Txs, "txs", 6000, "transactions to submit")
	f.Float64Var(&cfg.Rate, "rate", 0, "submission rate in tx/s (0: as fast as the node takes them)")
	f.IntVar(&cfg.Actors, "actors", 0, "accounts to submit from (0: all of the mix's)")
	f.IntVar(&cfg.Depth, "depth", 0, "transactions each account keeps in flight (0: 4000 in flight in all; market: always 1 per client)")
	f.DurationVar(&cfg.Timeout, "timeout", 2*time.Minute, "how long to wait for one transaction's block")
	f.IntSliceVar(&cfg.Pids, "pid", nil, "node process ids whose memory to report (repeatable)")
	f.StringVar(&out, "out", "", "write the full result (with every block) as JSON here")
	return cmd
}

// resultLine is a one-line summary of a run, for people.
func resultLine(r *RunResult) string {
	mode := "max rate"
	if r.Rate > 0 {
		mode = fmt.Sprintf("%.0f tx/s offered", r.Rate)
	}
	return fmt.Sprintf("%s, %s (%s): %d included, %d failed, %d rejected, %d lost; %.1f tx/s over %s; latency p50 %s p99 %s; %.1f blocks/min, fullest block %d txs, %d gas/tx",
		r.Label, r.Mix, mode, r.Included, r.Failed, r.Rejected, r.Lost, r.TxPerSec, r.Span.Round(100*time.Millisecond),
		r.LatencyP50.Round(10*time.Millisecond), r.LatencyP99.Round(10*time.Millisecond), r.BlocksPerMin, r.MaxTxsInBlock, r.GasPerTx)
}
