// Package system runs the loopind binary as an operator would: it builds
// it, creates a one-validator chain in a temporary directory, sends a bank
// transfer with the CLI, reads it back over the CLI, REST and gRPC, exports
// the state and starts a new chain from the export. Everything it starts is
// stopped and deleted when the test ends.
package system

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	_ "github.com/loopin-project/loopin/app" // loopin bech32 prefixes
	"github.com/loopin-project/loopin/sidecar/chain"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
	rewardstypes "github.com/loopin-project/loopin/x/rewards/types"
	staketypes "github.com/loopin-project/loopin/x/stake/types"
)

const (
	chainID = "loopin-system-1"
	denom   = "uloop"
)

// buildBinary compiles loopind once into dir.
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	return buildCommand(t, dir, "loopind", "./cmd/loopind")
}

// buildCommand compiles the repository's package pkg (./cmd/loopind) into
// dir/name and returns that path.
func buildCommand(t *testing.T, dir, name, pkg string) string {
	t.Helper()
	bin := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Dir = repoRoot()
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build %s: %s", pkg, out)
	return bin
}

// repoRoot is the repository's top folder.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// node is one loopind home with its own ports and, while running, its process.
type node struct {
	t                    *testing.T
	bin, home            string
	rpc, p2p, grpc, rest int
	proc                 *exec.Cmd
	logs                 *bytes.Buffer
}

func newNode(t *testing.T, bin, home string) *node {
	return &node{
		t: t, bin: bin, home: home,
		rpc: freePort(t), p2p: freePort(t), grpc: freePort(t), rest: freePort(t),
	}
}

// cli runs a loopind command against this node and returns its stdout; it
// fails the test when the command fails.
func (n *node) cli(args ...string) string {
	n.t.Helper()
	out, err := n.try(args...)
	require.NoError(n.t, err, "loopind %s", strings.Join(args, " "))
	return out
}

func (n *node) try(args ...string) (string, error) {
	full := append([]string{"--home", n.home}, args...)
	cmd := exec.Command(n.bin, full...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%w: %s%s", err, stderr.String(), stdout.String())
	}
	return stdout.String(), nil
}

func (n *node) nodeFlag() string { return fmt.Sprintf("tcp://127.0.0.1:%d", n.rpc) }

func (n *node) addr(key string) string {
	return strings.TrimSpace(n.cli("keys", "show", key, "-a", "--keyring-backend", "test"))
}

// configure points the node's listeners at its own ports and shortens blocks.
func (n *node) configure() {
	n.t.Helper()
	edit := func(file string, repl map[string]string) {
		path := filepath.Join(n.home, "config", file)
		bz, err := os.ReadFile(path)
		require.NoError(n.t, err)
		s := string(bz)
		for old, nw := range repl {
			require.True(n.t, strings.Contains(s, old), "%s has no %q", file, old)
			s = strings.Replace(s, old, nw, 1)
		}
		require.NoError(n.t, os.WriteFile(path, []byte(s), 0o600))
	}
	edit("config.toml", map[string]string{
		`laddr = "tcp://127.0.0.1:26657"`: fmt.Sprintf(`laddr = "tcp://127.0.0.1:%d"`, n.rpc),
		`laddr = "tcp://0.0.0.0:26656"`:   fmt.Sprintf(`laddr = "tcp://127.0.0.1:%d"`, n.p2p),
		`pprof_laddr = "localhost:6060"`:  `pprof_laddr = ""`,
		`timeout_commit = "5s"`:           `timeout_commit = "300ms"`,
	})
	edit("app.toml", map[string]string{
		`address = "tcp://localhost:1317"`: fmt.Sprintf(`address = "tcp://127.0.0.1:%d"`, n.rest),
		`address = "localhost:9090"`:       fmt.Sprintf(`address = "127.0.0.1:%d"`, n.grpc),
		"swagger = false":                  "swagger = true",
	})
	// Enable REST: the first "enable = false" in app.toml is [api].
	path := filepath.Join(n.home, "config", "app.toml")
	bz, err := os.ReadFile(path)
	require.NoError(n.t, err)
	s := strings.Replace(string(bz), "[api]\n\n# Enable defines if the API server should be enabled.\nenable = false", "[api]\n\n# Enable defines if the API server should be enabled.\nenable = true", 1)
	require.True(n.t, strings.Contains(s, "enable = true"), "app.toml: [api] enable not found")
	require.NoError(n.t, os.WriteFile(path, []byte(s), 0o600))
}

// start runs `loopind start` in the background and waits for block minHeight.
func (n *node) start(minHeight int64) {
	n.t.Helper()
	n.logs = &bytes.Buffer{}
	n.proc = exec.Command(n.bin, "start", "--home", n.home, "--log_level", "info", "--log_no_color")
	n.proc.Stdout, n.proc.Stderr = n.logs, n.logs
	require.NoError(n.t, n.proc.Start())
	n.t.Cleanup(n.stop)
	n.waitHeight(minHeight)
}

// stop interrupts the node as Ctrl-C does and waits for it to exit.
func (n *node) stop() {
	if n.proc == nil || n.proc.Process == nil {
		return
	}
	_ = n.proc.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- n.proc.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = n.proc.Process.Kill()
		<-done
	}
	n.proc = nil
}

func (n *node) height() (int64, error) {
	out, err := n.try("status", "--node", n.nodeFlag())
	if err != nil {
		return 0, err
	}
	var st struct {
		SyncInfo struct {
			LatestBlockHeight string `json:"latest_block_height"`
		} `json:"sync_info"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		return 0, err
	}
	return strconv.ParseInt(st.SyncInfo.LatestBlockHeight, 10, 64)
}

func (n *node) waitHeight(h int64) {
	n.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if got, err := n.height(); err == nil && got >= h {
			return
		}
		if n.proc.ProcessState != nil {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	n.t.Fatalf("node did not reach height %d; logs:\n%s", h, tail(n.logs.String(), 4000))
}

// tx signs and broadcasts a transaction, waits for it to be included and
// fails the test unless it succeeded.
func (n *node) tx(args ...string) {
	n.t.Helper()
	args = append(args, "--yes", "-o", "json", "--chain-id", chainID, "--keyring-backend", "test", "--node", n.nodeFlag())
	out := n.cli(args...)
	var res struct {
		Code   uint32 `json:"code"`
		TxHash string `json:"txhash"`
		RawLog string `json:"raw_log"`
	}
	require.NoError(n.t, json.Unmarshal([]byte(out), &res), out)
	require.Zero(n.t, res.Code, "check tx: %s", res.RawLog)
	out = n.cli("q", "wait-tx", res.TxHash, "--node", n.nodeFlag(), "--timeout", "30s", "-o", "json")
	require.NoError(n.t, json.Unmarshal([]byte(out), &res), out)
	require.Zero(n.t, res.Code, "deliver tx: %s", res.RawLog)
}

// txRefused sends a transaction the chain refuses: the CLI simulates it
// first (--gas auto is the default) and stops with the chain's error
// before anything is broadcast. It returns the error the CLI printed.
func (n *node) txRefused(args ...string) string {
	n.t.Helper()
	args = append(args, "--yes", "-o", "json", "--chain-id", chainID, "--keyring-backend", "test", "--node", n.nodeFlag())
	out, err := n.try(args...)
	require.Error(n.t, err, "the transaction should have been refused: %s", out)
	require.NotContains(n.t, out, "txhash", "nothing is broadcast")
	require.NotContains(n.t, err.Error(), ".go:", "no source path in the error")
	require.NotContains(n.t, err.Error(), "desc = rpc error", "the error reads once")
	return err.Error()
}

// txFailsInBlock broadcasts a transaction without simulating it (a fixed
// --gas) and waits for its block (--wait): it passes CheckTx, fails in its
// block, and the CLI prints the final result and exits non-zero. It
// returns the result's raw log.
func (n *node) txFailsInBlock(args ...string) string {
	n.t.Helper()
	args = append(args, "--yes", "-o", "json", "--chain-id", chainID, "--keyring-backend", "test", "--node", n.nodeFlag(),
		"--gas", "500000", "--wait")
	out, err := n.try(args...)
	require.Error(n.t, err, "the transaction should have failed in its block: %s", out)
	var res struct {
		Code   uint32 `json:"code"`
		Height string `json:"height"`
		RawLog string `json:"raw_log"`
	}
	require.NoError(n.t, json.Unmarshal([]byte(out), &res), out)
	require.NotZero(n.t, res.Code, "the final result says it failed: %s", out)
	require.NotEqual(n.t, "0", res.Height, "it was in a block")
	return res.RawLog
}

// editGenesis rewrites config/genesis.json through edit.
func (n *node) editGenesis(edit func(map[string]any)) {
	n.t.Helper()
	path := filepath.Join(n.home, "config", "genesis.json")
	bz, err := os.ReadFile(path)
	require.NoError(n.t, err)
	var gs map[string]any
	require.NoError(n.t, json.Unmarshal(bz, &gs))
	edit(gs)
	bz, err = json.MarshalIndent(gs, "", "  ")
	require.NoError(n.t, err)
	require.NoError(n.t, os.WriteFile(path, bz, 0o600))
}

// govAuthority is the x/gov module account, the authority of every LooPIN
// module's MsgUpdateParams.
func govAuthority() string {
	return authtypes.NewModuleAddress(govtypes.ModuleName).String()
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func (n *node) balance(addr string) string {
	n.t.Helper()
	out := n.cli("q", "bank", "balance", addr, denom, "--node", n.nodeFlag(), "-o", "json")
	var res struct {
		Balance struct{ Amount string } `json:"balance"`
	}
	require.NoError(n.t, json.Unmarshal([]byte(out), &res), out)
	return res.Balance.Amount
}

func TestSystemLocalChain(t *testing.T) {
	if testing.Short() {
		t.Skip("system test builds and runs loopind; skipped with -short")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	n := newNode(t, bin, filepath.Join(dir, "node"))

	// Genesis, the way README's "running a validator" section does it.
	n.cli("init", "system", "--chain-id", chainID)
	for _, k := range []string{"validator", "alice", "bob"} {
		n.cli("keys", "add", k, "--keyring-backend", "test")
	}
	for _, k := range []string{"validator", "alice"} {
		n.cli("genesis", "add-genesis-account", k, "1000000000000"+denom, "--keyring-backend", "test")
	}
	n.cli("genesis", "gentx", "validator", "100000000000"+denom, "--chain-id", chainID, "--keyring-backend", "test")
	n.cli("genesis", "collect-gentxs")
	n.editGenesis(func(gs map[string]any) {
		gov := gs["app_state"].(map[string]any)["gov"].(map[string]any)["params"].(map[string]any)
		gov["voting_period"], gov["expedited_voting_period"] = "4s", "2s"
	})
	n.cli("genesis", "validate")
	n.configure()
	n.start(2)

	// A bank transfer through the CLI.
	alice, bob := n.addr("alice"), n.addr("bob")
	require.True(t, strings.HasPrefix(bob, "loopin1"), bob)
	n.tx("tx", "bank", "send", "alice", bob, "2500000"+denom)

	// Read back over the CLI ...
	require.Equal(t, "2500000", n.balance(bob))
	require.Equal(t, "999997500000", n.balance(alice), "alice paid 2.5 LOOP and no fee (min gas price 0)")

	// ... and over gRPC.
	conn, err := grpc.NewClient(fmt.Sprintf("127.0.0.1:%d", n.grpc), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	bal, err := banktypes.NewQueryClient(conn).Balance(ctx, &banktypes.QueryBalanceRequest{Address: bob, Denom: denom})
	require.NoError(t, err)
	require.Equal(t, "2500000", bal.Balance.Amount.String())

	// The sidecars' Go client (sidecar/chain) signs with a keyring key,
	// simulates for gas, broadcasts and waits for the block; a transaction
	// the chain would refuse fails in simulation with the chain's reason.
	sc, err := chain.New(chain.Config{ChainID: chainID, RPC: n.nodeFlag(), GRPC: fmt.Sprintf("127.0.0.1:%d", n.grpc),
		KeyringDir: n.home, KeyringBackend: "test", From: "alice"})
	require.NoError(t, err)
	defer sc.Close()
	included, err := sc.Submit(ctx, 20*time.Second, &banktypes.MsgSend{FromAddress: alice, ToAddress: bob,
		Amount: sdk.NewCoins(sdk.NewInt64Coin(denom, 500_000))})
	require.NoError(t, err)
	require.Positive(t, included.Height)
	bal, err = banktypes.NewQueryClient(sc.Conn()).Balance(ctx, &banktypes.QueryBalanceRequest{Address: bob, Denom: denom})
	require.NoError(t, err)
	require.Equal(t, "3000000", bal.Balance.Amount.String())
	// A transaction of the same account still in the mempool (an operator
	// sending by hand) makes the client's first broadcast a sequence
	// mismatch; it signs again once that one is in a block.
	n.cli("tx", "bank", "send", "alice", bob, "1000"+denom, "--yes", "--broadcast-mode", "sync",
		"--chain-id", chainID, "--keyring-backend", "test", "--node", n.nodeFlag())
	_, err = sc.Submit(ctx, 20*time.Second, &banktypes.MsgSend{FromAddress: alice, ToAddress: bob,
		Amount: sdk.NewCoins(sdk.NewInt64Coin(denom, 1))})
	require.NoError(t, err)
	bal, err = banktypes.NewQueryClient(sc.Conn()).Balance(ctx, &banktypes.QueryBalanceRequest{Address: bob, Denom: denom})
	require.NoError(t, err)
	require.Equal(t, "3001001", bal.Balance.Amount.String(), "both sends are in")
	_, err = sc.Submit(ctx, 20*time.Second, &poolstypes.MsgBuyLease{Client: alice, GpuClass: "rtx-4090", Duration: 2 * time.Hour, MaxUloopIn: sdkmath.NewInt(100_000)})
	require.ErrorContains(t, err, "no idle device")

	// Every LooPIN module's params answer on the CLI, REST and gRPC, and agree.
	grpcParams := map[string]any{}
	pools, err := poolstypes.NewQueryClient(conn).Params(ctx, &poolstypes.QueryParamsRequest{})
	require.NoError(t, err)
	grpcParams["pools"] = pools.Params.ExchangeFee.String()
	stake, err := staketypes.NewQueryClient(conn).Params(ctx, &staketypes.QueryParamsRequest{})
	require.NoError(t, err)
	grpcParams["stake"] = stake.Params.StakingFee.String()
	pocps, err := pocpstypes.NewQueryClient(conn).Params(ctx, &pocpstypes.QueryParamsRequest{})
	require.NoError(t, err)
	grpcParams["pocps"] = pocps.Params.AlphaTime.String()
	rewards, err := rewardstypes.NewQueryClient(conn).Params(ctx, &rewardstypes.QueryParamsRequest{})
	require.NoError(t, err)
	grpcParams["rewards"] = rewards.Params.EpochEmission.String()
	field := map[string]string{"pools": "exchange_fee", "stake": "staking_fee", "pocps": "alpha_time", "rewards": "epoch_emission"}

	for module, key := range field {
		var cliRes, restRes struct {
			Params map[string]any `json:"params"`
		}
		out := n.cli("q", module, "params", "--node", n.nodeFlag(), "-o", "json")
		require.NoError(t, json.Unmarshal([]byte(out), &cliRes), out)

		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/loopin/%s/v1/params", n.rest, module))
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		require.NoError(t, json.Unmarshal(body, &restRes), string(body))

		require.Equal(t, grpcParams[module], cliRes.Params[key], "%s CLI vs gRPC", module)
		require.Equal(t, grpcParams[module], restRes.Params[key], "%s REST vs gRPC", module)
		// Same fields both ways (the CLI prints durations as 10m0s, REST as 600s).
		require.Equal(t, sortedKeys(cliRes.Params), sortedKeys(restRes.Params), "%s CLI vs REST", module)
	}

	// The market's commands answer on an empty chain: an empty pool quotes
	// its reference price, a purchase finds no idle device, a stake no
	// device; failed transactions say why in the chain's own words.
	out := n.cli("q", "pools", "spot-price", "rtx-4090", "--node", n.nodeFlag(), "-o", "json")
	var spot struct {
		SpotPrice  string `json:"spot_price"`
		PerGpuHour string `json:"per_gpu_hour"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &spot), out)
	require.Equal(t, "6.600000000000000000", spot.SpotPrice, "an empty rtx-4090 pool quotes its reference price")
	require.Equal(t, "23760.000000000000000000", spot.PerGpuHour)
	_, err = n.try("q", "pools", "estimate-buy", "rtx-4090", "168h", "--node", n.nodeFlag())
	require.ErrorContains(t, err, "no idle device")
	_, err = n.try("q", "pools", "estimate-buy", "rtx-4090", "30m", "--node", n.nodeFlag())
	require.ErrorContains(t, err, "outside [1h0m0s, 720h0m0s]")
	_, err = n.try("q", "pools", "estimate-buy", "rtx-4090", "2h", "--device", "3", "--node", n.nodeFlag())
	require.ErrorContains(t, err, "device is not in this pool")
	_, err = n.try("q", "pools", "estimate-sell", "rtx-4090", "48h", "--node", n.nodeFlag())
	require.ErrorContains(t, err, "no LP position", "an empty pool takes no sale")
	_, err = n.try("q", "pools", "estimate-buy-max-impact", "rtx-4090", "0.01", "--node", n.nodeFlag())
	require.ErrorContains(t, err, "no idle device")
	_, err = n.try("q", "pools", "estimate-buy-max-impact", "rtx-4090", "1%", "--node", n.nodeFlag())
	require.ErrorContains(t, err, "max_price_impact")
	// The quotes answer on REST too, in the same words.
	for path, want := range map[string]string{
		"estimate_sell?duration=48h":                                       "no LP position",
		"estimate_buy_max_impact?max_price_impact=0.01":                    "no idle device",
		"estimate_buy?duration=2h&device_id=3":                             "device is not in this pool",
		"estimate_buy?duration=2h&min_commitment_end=1960-01-01T00:00:00Z": "min_commitment_end",
		"estimate_sell?duration=1500ms":                                    "whole number of seconds",
	} {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/loopin/pools/v1/pools/rtx-4090/%s", n.rest, path))
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.NotEqual(t, http.StatusOK, resp.StatusCode, path)
		require.Contains(t, string(body), want, path)
	}
	// A transaction that would fail is refused before it is sent, with the
	// chain's registered error; one sent without simulation fails in its
	// block and --wait prints why.
	require.Contains(t, n.txRefused("tx", "pools", "buy-lease", "rtx-4090", "2h", "100000", "--from", "alice"), "no idle device")
	require.Contains(t, n.txRefused("tx", "pools", "buy-lease", "nope-gpu", "5m", "1000", "--from", "alice"), "pool not found")
	require.Contains(t, n.txRefused("tx", "pools", "buy-lease", "rtx-4090", "abc", "1000", "--from", "alice"), "invalid duration")
	require.Contains(t, n.txRefused("tx", "pools", "buy-lease", "rtx-4090", "0s", "1000", "--from", "alice"), "invalid duration")
	require.Contains(t, n.txRefused("tx", "pools", "buy-lease", "rtx-4090", "2h", "100000", "--device", "3", "--from", "alice"), "device is not in this pool")
	require.Contains(t, n.txRefused("tx", "pools", "buy-lease", "rtx-4090", "2h", "100000", "--min-commitment-end", "1969-12-31T00:00:00Z", "--from", "alice"), "invalid time")
	require.Contains(t, n.txRefused("tx", "pools", "terminate-lease", "7", "0", "--from", "alice"), "lease not found")
	require.Contains(t, n.txFailsInBlock("tx", "stake", "lp", "1", "168h", "100000", "--from", "alice"), "device not found")
	out = n.cli("q", "pools", "capacity", "rtx-4090", "--node", n.nodeFlag(), "-o", "json")
	require.Contains(t, out, `"pool_id": "6"`)
	out = n.cli("q", "stake", "stakes", "--node", n.nodeFlag(), "-o", "json")
	require.NotContains(t, out, `"owner"`, "no stakes yet")
	out = n.cli("q", "rewards", "economics", "--node", n.nodeFlag(), "-o", "json")
	require.Contains(t, out, `"t_min": "6s"`, "T_min = α/(γ−β) with the default params")

	// Governance changes a LooPIN parameter (the only way to change one).
	proposal := fmt.Sprintf(`{
  "messages": [{
    "@type": "/loopin.pools.v1.MsgUpdateParams",
    "authority": %q,
    "params": {"exchange_fee": "0.005", "min_lease_duration": "3600s", "max_lease_duration": "2592000s", "match_liveness_window": "46800s", "lease_retention": "604800s"}
  }],
  "deposit": "10000000uloop",
  "title": "Raise the exchange fee",
  "summary": "0.3 %% to 0.5 %%"
}`, govAuthority())
	proposalFile := filepath.Join(dir, "proposal.json")
	require.NoError(t, os.WriteFile(proposalFile, []byte(proposal), 0o600))
	n.tx("tx", "gov", "submit-proposal", proposalFile, "--from", "validator", "--gas", "400000")
	n.tx("tx", "gov", "vote", "1", "yes", "--from", "validator")
	require.Eventually(t, func() bool {
		out, err := n.try("q", "gov", "proposal", "1", "--node", n.nodeFlag(), "-o", "json")
		return err == nil && strings.Contains(out, "PROPOSAL_STATUS_PASSED")
	}, 30*time.Second, 500*time.Millisecond, "proposal 1 did not pass")
	var poolsParams struct {
		Params struct {
			ExchangeFee string `json:"exchange_fee"`
		} `json:"params"`
	}
	out = n.cli("q", "pools", "params", "--node", n.nodeFlag(), "-o", "json")
	require.NoError(t, json.Unmarshal([]byte(out), &poolsParams), out)
	require.Equal(t, "0.005000000000000000", poolsParams.Params.ExchangeFee)

	// Stop, export, and start a new chain from the export.
	exportedAt, err := n.height()
	require.NoError(t, err)
	n.stop()
	exported := n.cli("export")
	var gen struct {
		InitialHeight json.Number `json:"initial_height"`
		AppState      struct {
			Bank struct {
				Balances []struct {
					Address string
					Coins   []struct{ Denom, Amount string }
				}
			}
		} `json:"app_state"`
	}
	require.NoError(t, json.Unmarshal([]byte(exported), &gen))
	initial, err := gen.InitialHeight.Int64()
	require.NoError(t, err)
	require.GreaterOrEqual(t, initial, exportedAt)

	m := newNode(t, bin, filepath.Join(dir, "restarted"))
	m.cli("init", "restarted", "--chain-id", chainID)
	for _, f := range []string{"priv_validator_key.json", "node_key.json"} {
		bz, err := os.ReadFile(filepath.Join(n.home, "config", f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(m.home, "config", f), bz, 0o600))
	}
	require.NoError(t, os.WriteFile(filepath.Join(m.home, "config", "genesis.json"), []byte(exported), 0o600))
	m.cli("genesis", "validate")
	m.configure()
	m.start(initial + 2)
	require.Equal(t, "3001001", m.balance(bob), "the transfers survive export and re-import")
	out = m.cli("q", "pools", "params", "--node", m.nodeFlag(), "-o", "json")
	require.Contains(t, out, "0.005000000000000000", "the governance change survives export and re-import")
}
