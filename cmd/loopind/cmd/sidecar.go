package cmd

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"cosmossdk.io/math"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

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
	cmd.AddCommand(minerCmd(), verifierCmd(), TranscriptCmd())
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
		Short: "Seal a device, register it, serve the challenge protocol and lease access, stake it once sealed",
		Long: "The miner sidecar seals a device of --class on --backend (auto: CUDA when a driver and a device are found, " +
			"else the CPU reference) with the class's seal parameters, keeping the seal in --dir so a restart does not " +
			"reseal; registers it with --endpoint as the address verifiers and lessees call; serves the challenge " +
			"protocol and lease access on --listen; once a verifier's setup report has sealed it on chain, stakes it " +
			"as configured (--stake lp --duration 10m, or --stake sell --days 1) and, with --renew-epochs, renews the " +
			"LP stake before it ends. Lease access runs --access-hook (see docs/operators.md). Settings come from " +
			"--config (default <home>/config/miner.toml when present; `loopind sidecar miner init` writes one; its keys are " +
			"the flags' names) or from LOOPIND_<FLAG> environment variables (e.g. LOOPIND_MAX_ULOOP_IN): a flag on the " +
			"command line wins over the environment, which wins over the file. A server that fails (challenge and lease " +
			"access, metrics) stops the sidecar with an error naming it. Ctrl-C stops it; the device stays registered.",
		Example: "loopind sidecar miner init --home ~/.loopind\n" +
			"loopind sidecar miner --from miner --class rtx-4090 --stake lp --duration 10m --max-uloop-in 100000000000",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyConfigFile(cmd, "miner.toml"); err != nil {
				return err
			}
			cc, home, err := chainConfig(cmd)
			if err != nil {
				return err
			}
			f := cmd.Flags()
			str := func(name string) string { v, _ := f.GetString(name); return v }
			dur := func(name string) time.Duration { v, _ := f.GetDuration(name); return v }
			name := str("name")
			dir := str("dir")
			if dir == "" {
				dir = filepath.Join(home, "sidecar", "miner-"+name)
			}
			maxIn := str("max-uloop-in")
			max, ok := math.NewIntFromString(maxIn)
			if !ok || max.IsNegative() {
				return fmt.Errorf("--max-uloop-in %q is not a uloop amount", maxIn)
			}
			minOut := str("min-uloop-out")
			min, ok := math.NewIntFromString(minOut)
			if !ok || min.IsNegative() {
				return fmt.Errorf("--min-uloop-out %q is not a uloop amount", minOut)
			}
			days, _ := f.GetUint32("days")
			privacy, _ := f.GetUint32("privacy")
			renewEpochs, _ := f.GetUint32("renew-epochs")
			renewBefore, _ := f.GetDuration("renew-before")
			ctx, cancel := signalContext(cmd)
			defer cancel()
			return miner.Run(ctx, miner.Config{Chain: cc, Backend: str("backend"), Kernel: str("kernel"), Class: str("class"), Name: name,
				Listen: str("listen"), Endpoint: str("endpoint"), Dir: dir, SealCache: str("seal-cache"), Stake: str("stake"), Duration: dur("duration"),
				Days: days, MaxUloop: max, MinUloopOut: min, RenewEpochs: renewEpochs, RenewBefore: renewBefore, Privacy: privacy,
				AccessHook: str("access-hook"), Metrics: str("metrics"),
				Log: slog.New(slog.NewTextHandler(os.Stderr, nil)).With("sidecar", "miner")})
		},
	}
	chainFlags(cmd)
	f := cmd.Flags()
	f.String("backend", "auto", "the prover: auto (CUDA when found, else CPU), cuda or cpu")
	f.String("kernel", "tiled", "the CUDA kernel set for GEMM rounds and Merkle trees: tiled or simple (the first kernels; the same answers)")
	f.String("class", "rtx-4090", "the device's GPU class (its pool)")
	f.String("name", "gpu0", "this device's name on the host (part of its fingerprint)")
	f.String("listen", "127.0.0.1:9400", "where the challenge and lease-access services listen")
	f.String("endpoint", "", "the address verifiers and lessees call, recorded on chain (default: --listen)")
	f.String("dir", "", "where the seal and state live (default: <home>/sidecar/miner-<name>)")
	f.String("seal-cache", "", "while sealing, stream the layers to files in this directory instead of host memory (the seal's size × its layers of disk; deleted once the setup proof passes)")
	f.String("stake", "lp", "once sealed: lp, sell or none")
	f.Duration("duration", 7*24*time.Hour, "LP stake duration (36h, 168h)")
	f.Uint32("days", 1, "days to sell (--stake sell)")
	f.String("max-uloop-in", "1000000000000", "the most uloop an LP stake or renewal may inject")
	f.String("min-uloop-out", "0", "the least uloop a sale (--stake sell) may pay the seller (0: any price)")
	f.Uint32("renew-epochs", 0, "renew the LP stake by this many epochs when less than --renew-before is left (0: never)")
	f.Duration("renew-before", time.Hour, "how much of the LP stake may be left before it is renewed (chain time)")
	f.Uint32("privacy", 80, "the privacy level reported (PoP), 0..100")
	f.String("access-hook", "", "shell command that grants (and revokes) lease access; its output goes to the lessee (docs/operators.md)")
	f.String("metrics", "127.0.0.1:9401", "where Prometheus /metrics is served (empty: not served)")
	f.String("config", "", "the configuration file (default: <home>/config/miner.toml when present)")
	cmd.AddCommand(configInitCmd(cmd, "miner.toml"))
	return cmd
}

func verifierCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verifier",
		Short: "Run the challenges assigned to this validator's verifier, submit the reports and serve the transcripts",
		Long: "The verifier sidecar finds its validator from the registered hot key (--from), follows new blocks over " +
			"the node's websocket (polling when it is away), runs each challenge assigned to it against the device's " +
			"miner sidecar on its own clock, audits the answers with its secret (kept in --dir), keeps the full " +
			"transcript and serves it on --listen (the endpoint the validator registered), and submits the report, " +
			"which commits to the transcript's SHA-256. Reports are saved before submission and resubmitted after a " +
			"restart or while the node is away. Settings may come from --config (default <home>/config/verifier.toml " +
			"when present; `loopind sidecar verifier init` writes one; its keys are the flags' names) or from " +
			"LOOPIND_<FLAG> environment variables (e.g. LOOPIND_KEEP_TRANSCRIPTS): a flag on the command line wins " +
			"over the environment, which wins over the file. A server that fails (transcripts, metrics) stops the " +
			"sidecar with an error naming it. Ctrl-C stops it.",
		Example: "loopind sidecar verifier --from validator --listen 127.0.0.1:9500",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyConfigFile(cmd, "verifier.toml"); err != nil {
				return err
			}
			cc, home, err := chainConfig(cmd)
			if err != nil {
				return err
			}
			f := cmd.Flags()
			dir, _ := f.GetString("dir")
			if dir == "" {
				dir = filepath.Join(home, "sidecar", "verifier")
			}
			listen, _ := f.GetString("listen")
			metricsAddr, _ := f.GetString("metrics")
			keep, _ := f.GetDuration("keep-transcripts")
			if keep < 0 {
				return fmt.Errorf("--keep-transcripts %s: give a duration ≥ 0 (0 keeps them forever)", keep)
			}
			ctx, cancel := signalContext(cmd)
			defer cancel()
			return verifier.Run(ctx, verifier.Config{Chain: cc, Dir: dir, Listen: listen, Metrics: metricsAddr, KeepTranscripts: keep,
				Log: slog.New(slog.NewTextHandler(os.Stderr, nil)).With("sidecar", "verifier")})
		},
	}
	chainFlags(cmd)
	f := cmd.Flags()
	f.String("dir", "", "where the secret seed, pending reports and transcripts live (default: <home>/sidecar/verifier)")
	f.String("listen", "127.0.0.1:9500", "where the transcript service listens: the endpoint registered with register-verifier (empty: not served)")
	f.String("metrics", "127.0.0.1:9501", "where Prometheus /metrics is served (empty: not served)")
	f.Duration("keep-transcripts", 30*24*time.Hour, "how long transcripts are kept and served (0: forever)")
	f.String("config", "", "the configuration file (default: <home>/config/verifier.toml when present)")
	cmd.AddCommand(configInitCmd(cmd, "verifier.toml"), vrfKeyCmd())
	return cmd
}

// vrfKeyCmd is `loopind sidecar verifier vrf-key`: the verifier's VRF
// public key, to register with register-verifier.
func vrfKeyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vrf-key",
		Short: "Print the verifier's VRF public key (hex), the third argument of `loopind tx pocps register-verifier`",
		Long: "The verifier derives each challenge's secret from its unique BLS signature over the challenge " +
			"(docs/pocps.md §14); the chain checks it against the key registered with the verifier. The key comes " +
			"from the secret seed in --dir, which is created the first time (keep it: another seed is another key, " +
			"and reports signed with it are refused until the validator registers the new key).",
		Example: "loopind tx pocps register-verifier $(loopind keys show hot -a) 127.0.0.1:9500 " +
			"$(loopind sidecar verifier vrf-key) --from validator",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, _ := cmd.Flags().GetString("dir")
			if dir == "" {
				home, _ := cmd.Flags().GetString(flags.FlagHome)
				dir = filepath.Join(home, "sidecar", "verifier")
			}
			key, err := verifier.VRFPublicKey(dir)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), hex.EncodeToString(key))
			return nil
		},
	}
	cmd.Flags().String("dir", "", "the verifier sidecar's directory (default: <home>/sidecar/verifier)")
	return cmd
}

// configPath is --config, or <home>/config/<file>.
func configPath(cmd *cobra.Command, file string) string {
	if p, _ := cmd.Flags().GetString("config"); p != "" {
		return p
	}
	home, _ := cmd.Flags().GetString(flags.FlagHome)
	return filepath.Join(home, "config", file)
}

// applyConfigFile sets the flags not given on the command line from the
// sidecar's TOML file, whose keys are the flags' names, read with viper (the
// flags bound with BindPFlags; a value from the file is parsed by its flag,
// so a bad one is an error, not a zero). A missing default file is no
// error; a missing --config file, an unknown key (one that names no flag of
// cmd, or a table) or a bad value are.
func applyConfigFile(cmd *cobra.Command, file string) error {
	path := configPath(cmd, file)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) && !cmd.Flags().Changed("config") {
		return nil
	} else if err != nil {
		return err
	}
	v := viper.New()
	v.SetConfigFile(path)
	v.SetConfigType("toml")
	if err := v.ReadInConfig(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	// Before the flags are bound, the keys are the file's only.
	keys := v.AllKeys()
	sort.Strings(keys)
	for _, k := range keys {
		if fl := cmd.Flags().Lookup(k); fl == nil || k == "config" || k == flags.FlagHome {
			return fmt.Errorf("%s: unknown key %q (the keys are the flags of `%s`)", path, k, cmd.CommandPath())
		}
	}
	if err := v.BindPFlags(cmd.Flags()); err != nil {
		return err
	}
	for _, k := range keys {
		fl := cmd.Flags().Lookup(k)
		if fl.Changed {
			continue // the command line wins
		}
		if err := fl.Value.Set(fmt.Sprint(v.Get(k))); err != nil {
			return fmt.Errorf("%s: %s: %w", path, k, err)
		}
	}
	return nil
}

// configInitCmd is `<sidecar> init`: it writes the sidecar's flags, with
// their help as comments and their defaults as values, to the config file.
func configInitCmd(parent *cobra.Command, file string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a commented default configuration file for this sidecar (<home>/config/" + file + ")",
		Long: "Writes every setting of `" + parent.Name() + "` with its help and default to the configuration file " +
			"(--config, default <home>/config/" + file + "); edit it, then run the sidecar without flags. Refuses to " +
			"overwrite an existing file unless --force.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, _ := cmd.Flags().GetString("config")
			if path == "" {
				home, _ := cmd.Flags().GetString(flags.FlagHome)
				path = filepath.Join(home, "config", file)
			}
			force, _ := cmd.Flags().GetBool("force")
			if _, err := os.Stat(path); err == nil && !force {
				return fmt.Errorf("%s exists: edit it, or pass --force to overwrite it", path)
			}
			var b strings.Builder
			fmt.Fprintf(&b, "# %s configuration, written by `%s`.\n", parent.CommandPath(), cmd.CommandPath())
			b.WriteString("# Each key is a flag of the sidecar; a flag given on the command line wins over this file.\n")
			parent.LocalFlags().VisitAll(func(fl *pflag.Flag) {
				if fl.Name == "config" || fl.Name == flags.FlagHome || fl.Hidden {
					return
				}
				fmt.Fprintf(&b, "\n# %s\n", fl.Usage)
				switch fl.Value.Type() {
				case "uint32", "uint", "int", "int64", "uint64", "bool", "float64":
					fmt.Fprintf(&b, "%s = %s\n", fl.Name, fl.DefValue)
				default:
					fmt.Fprintf(&b, "%s = %q\n", fl.Name, fl.DefValue)
				}
			})
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return err
			}
			if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", path)
			return nil
		},
	}
	cmd.Flags().String("config", "", "the file to write (default: <home>/config/"+file+")")
	cmd.Flags().Bool("force", false, "overwrite an existing file")
	return cmd
}
