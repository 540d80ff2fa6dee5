package cmd

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"cosmossdk.io/math"
	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client/flags"

	"github.com/loopin-project/loopin/sidecar/chain"
	"github.com/loopin-project/loopin/sidecar/miner"
	"github.com/loopin-project/loopin/sidecar/verifier"
)

// SidecarCmd is `loopind sidecar`: the miner and verifier sidecars.
func SidecarCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sidecar",
		Short: "Run the miner sidecar (seal, register, serve challenges, stake) or the verifier sidecar (challenge devices, report)",
	}
	cmd.AddCommand(minerCmd(), verifierCmd())
	return cmd
}

// chainFlags adds the node and key flags both sidecars take.
func chainFlags(cmd *cobra.Command) {
	cmd.Flags().String("chain-id", "", "the chain's id (default: client.toml's)")
	cmd.Flags().String("node", "tcp://127.0.0.1:26657", "the node's CometBFT RPC address")
	cmd.Flags().String("node-grpc", "127.0.0.1:9090", "the node's gRPC address")
	cmd.Flags().String("from", "", "the key that signs (miner: the device owner; verifier: the registered hot key)")
	cmd.Flags().String("keyring-backend", "test", "the keyring backend: test, file or os")
}

func chainConfig(cmd *cobra.Command) (chain.Config, string, error) {
	home, _ := cmd.Flags().GetString(flags.FlagHome)
	chainID, _ := cmd.Flags().GetString("chain-id")
	if chainID == "" {
		chainID = clientTomlChainID(home)
	}
	from, _ := cmd.Flags().GetString("from")
	if chainID == "" || from == "" {
		return chain.Config{}, "", fmt.Errorf("--chain-id (or client.toml's chain-id in %s) and --from are required", home)
	}
	rpc, _ := cmd.Flags().GetString("node")
	grpcAddr, _ := cmd.Flags().GetString("node-grpc")
	backend, _ := cmd.Flags().GetString("keyring-backend")
	return chain.Config{ChainID: chainID, RPC: rpc, GRPC: grpcAddr, KeyringDir: home, KeyringBackend: backend, From: from}, home, nil
}

// clientTomlChainID reads chain-id from home/config/client.toml ("" when
// missing), so a localnet home needs no --chain-id.
func clientTomlChainID(home string) string {
	bz, err := os.ReadFile(filepath.Join(home, "config", "client.toml"))
	if err != nil {
		return ""
	}
	var id string
	for _, line := range strings.Split(string(bz), "\n") {
		if n, _ := fmt.Sscanf(line, "chain-id = %q", &id); n == 1 {
			return id
		}
	}
	return ""
}

func signalContext(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
}

func minerCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "miner",
		Short: "Seal a device on the CPU backend, register it, serve the challenge protocol and stake it once sealed",
		Long: "The miner sidecar seals a device of --class with the class's seal parameters (keeping the seal in --dir, so a " +
			"restart does not reseal), registers it with --endpoint as the address verifiers call, serves the challenge " +
			"protocol on --listen, and once a verifier's setup report has sealed it on chain, stakes it as configured " +
			"(--stake lp --duration 10m, or --stake sell --days 1). Ctrl-C stops it; the device stays registered.",
		Example: "loopind sidecar miner --from miner --class rtx-4090 --stake lp --duration 10m --max-uloop-in 100000000000",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cc, home, err := chainConfig(cmd)
			if err != nil {
				return err
			}
			f := cmd.Flags()
			class, _ := f.GetString("class")
			name, _ := f.GetString("name")
			listen, _ := f.GetString("listen")
			endpoint, _ := f.GetString("endpoint")
			dir, _ := f.GetString("dir")
			if dir == "" {
				dir = filepath.Join(home, "sidecar", "miner-"+name)
			}
			stakeKind, _ := f.GetString("stake")
			duration, _ := f.GetString("duration")
			days, _ := f.GetUint32("days")
			maxIn, _ := f.GetString("max-uloop-in")
			max, ok := math.NewIntFromString(maxIn)
			if !ok || max.IsNegative() {
				return fmt.Errorf("--max-uloop-in %q is not a uloop amount", maxIn)
			}
			privacy, _ := f.GetUint32("privacy")
			ctx, cancel := signalContext(cmd)
			defer cancel()
			return miner.Run(ctx, miner.Config{Chain: cc, Class: class, Name: name, Listen: listen, Endpoint: endpoint, Dir: dir,
				Stake: stakeKind, Duration: duration, Days: days, MaxUloop: max, Privacy: privacy,
				Log: slog.New(slog.NewTextHandler(os.Stderr, nil)).With("sidecar", "miner")})
		},
	}
	chainFlags(cmd)
	cmd.Flags().String("class", "rtx-4090", "the device's GPU class (its pool)")
	cmd.Flags().String("name", "gpu0", "this device's name on the host (part of its fingerprint)")
	cmd.Flags().String("listen", "127.0.0.1:9400", "where the challenge service listens")
	cmd.Flags().String("endpoint", "", "the address verifiers call, recorded on chain (default: --listen)")
	cmd.Flags().String("dir", "", "where the seal and state live (default: <home>/sidecar/miner-<name>)")
	cmd.Flags().String("stake", "lp", "once sealed: lp, sell or none")
	cmd.Flags().String("duration", "7d", "LP stake duration (36h, 7d)")
	cmd.Flags().Uint32("days", 1, "days to sell (--stake sell)")
	cmd.Flags().String("max-uloop-in", "1000000000000", "the most uloop the LP stake may inject")
	cmd.Flags().Uint32("privacy", 80, "the privacy level reported (PoP), 0..100")
	return cmd
}

func verifierCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verifier",
		Short: "Run the challenges assigned to this validator's verifier and submit the reports with its hot key",
		Long: "The verifier sidecar finds its validator from the registered hot key (--from), polls the challenges assigned " +
			"to it, runs each against the device's miner sidecar on its own clock, audits the answers with its secret " +
			"(kept in --dir) and submits the report. Reports are saved before submission and resubmitted after a restart.",
		Example: "loopind sidecar verifier --from validator",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cc, home, err := chainConfig(cmd)
			if err != nil {
				return err
			}
			dir, _ := cmd.Flags().GetString("dir")
			if dir == "" {
				dir = filepath.Join(home, "sidecar", "verifier")
			}
			ctx, cancel := signalContext(cmd)
			defer cancel()
			return verifier.Run(ctx, verifier.Config{Chain: cc, Dir: dir,
				Log: slog.New(slog.NewTextHandler(os.Stderr, nil)).With("sidecar", "verifier")})
		},
	}
	chainFlags(cmd)
	cmd.Flags().String("dir", "", "where the secret seed and pending reports live (default: <home>/sidecar/verifier)")
	return cmd
}
