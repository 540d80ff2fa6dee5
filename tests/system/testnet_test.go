package system

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The testnet test's ports: scripts/testnet.sh's scheme moved by this
// shift, clear of a localnet or `make testnet` on the same machine.
const testnetShift = 20000

// tnode is a validator (or the joining full node) of the test's network:
// its home made by scripts/testnet.sh, started under cosmovisor (or the
// script, for the joiner), and its verifier sidecar.
type tnode struct {
	*node
	i        int
	proc     *exec.Cmd
	logs     *syncBuf
	verifier *sidecar
}

// testnetPorts sets n's ports to those scripts/testnet.sh gives node i.
func testnetPorts(n *node, i int) {
	n.p2p, n.rpc = 26656+10*i+testnetShift, 26657+10*i+testnetShift
	n.grpc, n.rest = 9090+10*i+testnetShift, 1317+10*i+testnetShift
}

// via returns a node that uses n's home (keyring) but sends to other's RPC:
// a transaction or query through another validator.
func (n *tnode) via(other *tnode) *node {
	c := *n.node
	c.rpc, c.grpc = other.rpc, other.grpc
	return &c
}

// startCosmovisor runs the node under cosmovisor, as an operator does, in
// its own process group so that the test can stop cosmovisor and loopind
// together.
func (n *tnode) startCosmovisor(t *testing.T, cosmovisor string) {
	t.Helper()
	n.logs = &syncBuf{}
	n.proc = exec.Command(cosmovisor, "run", "start", "--home", n.home, "--log_level", "info", "--log_no_color")
	n.proc.Env = append(os.Environ(), "DAEMON_NAME=loopind", "DAEMON_HOME="+n.home, "DAEMON_RESTART_AFTER_UPGRADE=true",
		"DAEMON_ALLOW_DOWNLOAD_BINARIES=false", "UNSAFE_SKIP_BACKUP=true", "DAEMON_POLL_INTERVAL=300ms",
		// cosmovisor runs `loopind status` without --home: point it at this node.
		"LOOPIN_NODE="+n.nodeFlag())
	n.start(t)
}

func (n *tnode) start(t *testing.T) {
	t.Helper()
	n.proc.Stdout, n.proc.Stderr = n.logs, n.logs
	n.proc.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, n.proc.Start())
	p := n.proc
	t.Cleanup(func() { stopGroup(p, syscall.SIGTERM) })
}

// stopGroup sends sig to the process group of p and waits for p; after
// 20 s it kills the group.
func stopGroup(p *exec.Cmd, sig syscall.Signal) {
	if p == nil || p.Process == nil || p.ProcessState != nil {
		return
	}
	_ = syscall.Kill(-p.Process.Pid, sig)
	done := make(chan struct{})
	go func() { _ = p.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-p.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

func (n *tnode) stop() {
	stopGroup(n.proc, syscall.SIGTERM)
	n.proc = nil
}

// sharedTx is node.tx for an account a sidecar also signs with (each
// validator's account is its verifier's hot key): a transaction refused
// with "account sequence mismatch" because the sidecar's own went first is
// sent again, as docs/operators.md tells an operator to.
func (n *node) sharedTx(args ...string) {
	n.t.Helper()
	full := append(args, "--yes", "-o", "json", "--chain-id", chainID, "--keyring-backend", "test", "--node", n.nodeFlag())
	for attempt := 0; ; attempt++ {
		out, err := n.try(full...)
		var res struct {
			Code   uint32 `json:"code"`
			TxHash string `json:"txhash"`
			RawLog string `json:"raw_log"`
		}
		if err == nil {
			require.NoError(n.t, json.Unmarshal([]byte(out), &res), out)
		}
		if attempt < 8 && (err != nil && strings.Contains(err.Error(), "account sequence mismatch") || err == nil && res.Code == 32) {
			time.Sleep(2 * time.Second)
			continue
		}
		require.NoError(n.t, err, "loopind %s", strings.Join(args, " "))
		require.Zero(n.t, res.Code, "check tx: %s", res.RawLog)
		out = n.cli("q", "wait-tx", res.TxHash, "--node", n.nodeFlag(), "--timeout", "30s", "-o", "json")
		require.NoError(n.t, json.Unmarshal([]byte(out), &res), out)
		if res.Code == 32 && attempt < 8 {
			continue
		}
		require.Zero(n.t, res.Code, "deliver tx: %s", res.RawLog)
		return
	}
}

// rpcGet decodes the "result" of a CometBFT RPC call on n.
func (n *node) rpcGet(path string, v any) error {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/%s", n.rpc, path))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var body struct {
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return err
	}
	if len(body.Error) > 0 {
		return fmt.Errorf("%s: %s", path, body.Error)
	}
	return json.Unmarshal(body.Result, v)
}

// syncInfo is the part of /status the test reads.
type syncInfo struct {
	Latest     int64 `json:"latest_block_height,string"`
	Earliest   int64 `json:"earliest_block_height,string"`
	CatchingUp bool  `json:"catching_up"`
}

func (n *node) sync() (syncInfo, error) {
	var st struct {
		SyncInfo syncInfo `json:"sync_info"`
	}
	err := n.rpcGet("status", &st)
	return st.SyncInfo, err
}

func (n *node) latest() int64 {
	s, err := n.sync()
	if err != nil {
		return 0
	}
	return s.Latest
}

// blockIDs returns the block hash and app hash of every height in [from,
// to] that n stores, from /blockchain (20 headers a call).
func (n *node) blockIDs(t *testing.T, from, to int64) map[int64][2]string {
	t.Helper()
	out := map[int64][2]string{}
	for lo := from; lo <= to; lo += 20 {
		hi := min(lo+19, to)
		var res struct {
			BlockMetas []struct {
				BlockID struct {
					Hash string `json:"hash"`
				} `json:"block_id"`
				Header struct {
					Height  int64  `json:"height,string"`
					AppHash string `json:"app_hash"`
				} `json:"header"`
			} `json:"block_metas"`
		}
		require.NoError(t, n.rpcGet(fmt.Sprintf("blockchain?minHeight=%d&maxHeight=%d", lo, hi), &res), "node %d", n.rpc)
		for _, m := range res.BlockMetas {
			out[m.Header.Height] = [2]string{m.BlockID.Hash, m.Header.AppHash}
		}
	}
	return out
}

// sameChain asserts that the nodes agree on the block hash and the app
// hash (the state after the block before) of every height in [from, to]
// that each stores, that each stores all of them from its earliest height
// on, and returns how many heights were compared.
func sameChain(t *testing.T, nodes []*tnode, from, to int64) int {
	t.Helper()
	ref := nodes[0].blockIDs(t, from, to)
	require.Len(t, ref, int(to-from+1), "node0 stores every height in [%d, %d]", from, to)
	for _, n := range nodes[1:] {
		s, err := n.sync()
		require.NoError(t, err)
		lo := max(from, s.Earliest)
		got := n.blockIDs(t, lo, to)
		require.Len(t, got, int(to-lo+1), "node%d stores every height in [%d, %d]", n.i, lo, to)
		for h := lo; h <= to; h++ {
			require.Equal(t, ref[h], got[h], "height %d: node0 and node%d have another block or app hash (a fork)", h, n.i)
		}
	}
	return int(to - from + 1)
}

// waitAll waits until every node has committed height h.
func waitAll(t *testing.T, nodes []*tnode, h int64, within time.Duration) {
	t.Helper()
	require.Eventually(t, func() bool {
		for _, n := range nodes {
			if n.latest() < h {
				return false
			}
		}
		return true
	}, within, 500*time.Millisecond, "every node reaches height %d", h)
}

type tnChallenge struct {
	ID            uint64   `json:"id,string"`
	DeviceID      uint64   `json:"device_id,string"`
	Kind          string   `json:"kind"`
	Status        string   `json:"status"`
	Verifier      string   `json:"verifier"`
	FailureReason string   `json:"failure_reason"`
	Attempt       uint32   `json:"attempt"`
	IssuedHeight  int64    `json:"issued_height,string"`
	ReportedBy    []string `json:"reported_by"`
}

func (n *node) challenges(device string) []tnChallenge {
	var res struct {
		Challenges []tnChallenge `json:"challenges"`
	}
	if n.qjson(&res, "pocps", "challenges-by-device", device, "--page-limit", "1000") != nil {
		return nil
	}
	return res.Challenges
}

func (n *node) deviceStatus(id string) string {
	var res struct {
		Device struct {
			Status string `json:"status"`
		} `json:"device"`
	}
	if n.qjson(&res, "pocps", "device", id) != nil {
		return ""
	}
	return res.Device.Status
}

// TestTestnet runs the network of `make testnet` (scripts/testnet.sh: four
// validators, each with its verifier sidecar, an LP miner and a sale miner)
// and puts it through the faults a real network meets:
//   - the nodes start under cosmovisor on the release before the "v2"
//     upgrade (built with -tags loopin_v1); a software-upgrade proposal
//     passes, every node halts at its height and cosmovisor resumes them on
//     the new binary, which runs the x/pocps migration; the loop goes on;
//   - a lease bought through one node is visible through another and
//     terminated through a third;
//   - a validator and its verifier stop: blocks continue, its challenges are
//     missed and re-issued to other verifiers; restarted, it catches up;
//   - two of four stop: the chain halts without forking and resumes when
//     they return;
//   - a fifth node joins by state sync (`scripts/testnet.sh join`) and
//     follows blocks with the same app hashes;
//   - the LP miner is SIGKILLed: two different verifiers report it and its
//     stake fails;
//   - every node has the same block and app hash at every height.
//
// It takes about five minutes on two cores, so `make test` skips it; `make
// test-testnet` (LOOPIN_TESTNET=1) runs it, as CI does in its own step.
func TestTestnet(t *testing.T) {
	if os.Getenv("LOOPIN_TESTNET") == "" {
		t.Skip("the four-validator network test runs with LOOPIN_TESTNET=1: make test-testnet")
	}
	dir := t.TempDir()
	root := repoRoot()
	build := func(out string, args ...string) string {
		cmd := exec.Command("go", append([]string{"build", "-o", out}, args...)...)
		cmd.Dir = root
		bz, err := cmd.CombinedOutput()
		require.NoError(t, err, "go build %s: %s", args, bz)
		return out
	}
	bin := buildBinary(t, dir)
	binV1 := build(filepath.Join(dir, "loopind-v1"), "-tags", "loopin_v1", "./cmd/loopind")
	cosmovisor := filepath.Join(dir, "cosmovisor")
	cmd := exec.Command("go", "build", "-o", cosmovisor, "cosmossdk.io/tools/cosmovisor/cmd/cosmovisor")
	cmd.Dir = filepath.Join(root, "tools", "cosmovisor")
	bz, err := cmd.CombinedOutput()
	require.NoError(t, err, "building cosmovisor: %s", bz)

	// The homes, as `make testnet` makes them: 10 s epochs, 20 s
	// challenge deadlines and voting, snapshots every 10 blocks.
	base := filepath.Join(dir, "net")
	env := append(os.Environ(), "TESTNET_HOME="+base, "TESTNET_BIN="+bin, "TESTNET_CHAIN_ID="+chainID,
		fmt.Sprintf("TESTNET_PORT_SHIFT=%d", testnetShift), "TESTNET_EPOCH=10s", "TESTNET_CHALLENGE_DEADLINE=20s",
		"TESTNET_VOTING_PERIOD=20s", "TESTNET_SNAPSHOT_INTERVAL=10")
	script := filepath.Join(root, "scripts", "testnet.sh")
	cmd = exec.Command(script, "--init-only")
	cmd.Env = env
	bz, err = cmd.CombinedOutput()
	require.NoError(t, err, "testnet.sh --init-only: %s", bz)

	const validators = 4
	var nodes []*tnode
	for i := range validators {
		n := &tnode{node: &node{t: t, bin: bin, home: filepath.Join(base, fmt.Sprintf("node%d", i))}, i: i}
		testnetPorts(n.node, i)
		// cosmovisor's layout: the release before v2 at genesis, the new
		// binary as the v2 upgrade.
		for _, c := range [][2]string{{binV1, "genesis"}, {bin, "upgrades/v2"}} {
			dst := filepath.Join(n.home, "cosmovisor", c[1], "bin")
			require.NoError(t, os.MkdirAll(dst, 0o755))
			src, err := os.ReadFile(c[0])
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dst, "loopind"), src, 0o755))
		}
		n.startCosmovisor(t, cosmovisor)
		nodes = append(nodes, n)
	}
	defer func() {
		if t.Failed() {
			for _, n := range nodes {
				if n.logs != nil {
					t.Logf("node%d log tail:\n%s", n.i, tailString(n.logs.String(), 3000))
				}
				if n.verifier != nil {
					t.Logf("verifier%d log tail:\n%s", n.i, tailString(n.verifier.logs.String(), 1500))
				}
			}
		}
	}()
	waitAll(t, nodes, 2, 90*time.Second)

	// Each validator registers its verifier (hot key: its own account).
	operator := map[int]string{}
	for _, n := range nodes {
		vrf := strings.TrimSpace(n.cli("sidecar", "verifier", "vrf-key"))
		n.sharedTx("tx", "pocps", "register-verifier", n.addr("validator"), fmt.Sprintf("127.0.0.1:%d", 9500+10*n.i+testnetShift), vrf, "--from", "validator")
		var v struct {
			Validator struct {
				OperatorAddress string `json:"operator_address"`
			} `json:"validator"`
		}
		valoper := strings.TrimSpace(n.cli("keys", "show", "validator", "--bech", "val", "-a", "--keyring-backend", "test"))
		require.NoError(t, n.qjson(&v, "staking", "validator", valoper))
		operator[n.i] = v.Validator.OperatorAddress
	}
	startVerifier := func(n *tnode) {
		n.verifier = n.startSidecar(t, "verifier", "--from", "validator",
			"--listen", fmt.Sprintf("127.0.0.1:%d", 9500+10*n.i+testnetShift), "--metrics", "")
	}
	for _, n := range nodes {
		startVerifier(n)
	}
	n0 := nodes[0]
	hook := filepath.Join(root, "scripts", "access-hook.sh")
	access := "LOOPIN_ACCESS_DIR=" + filepath.Join(base, "access") + " " + hook
	lpMiner := n0.startSidecar(t, "miner", "--from", "miner", "--name", "gpu0", "--backend", "cpu", "--class", "rtx-4090",
		"--stake", "lp", "--duration", "1h", "--listen", fmt.Sprintf("127.0.0.1:%d", 9400+testnetShift), "--metrics", "",
		"--access-hook", access)
	seller := n0.startSidecar(t, "miner", "--from", "seller", "--name", "gpu1", "--backend", "cpu", "--class", "rtx-4090",
		"--stake", "sell", "--days", "1", "--listen", fmt.Sprintf("127.0.0.1:%d", 9410+testnetShift), "--metrics", "",
		"--access-hook", access)
	defer func() {
		if t.Failed() {
			t.Logf("LP miner log tail:\n%s", tailString(lpMiner.logs.String(), 1500))
			t.Logf("seller log tail:\n%s", tailString(seller.logs.String(), 1500))
		}
	}()

	// The upgrade: a software-upgrade proposal for "v2" some blocks ahead,
	// every validator votes yes, it passes; at its height the release
	// before v2 halts ("UPGRADE v2 NEEDED"), cosmovisor switches every node
	// to the new binary, which runs the x/pocps migration 1 → 2.
	upgradeHeight := n0.latest() + 60
	proposal := filepath.Join(dir, "upgrade.json")
	require.NoError(t, os.WriteFile(proposal, fmt.Appendf(nil, `{
  "messages": [{"@type": "/cosmos.upgrade.v1beta1.MsgSoftwareUpgrade", "authority": %q,
                "plan": {"name": "v2", "height": "%d", "info": "LooPIN v2: x/pocps 2 (the LastPasses index)"}}],
  "deposit": "10000000%s", "title": "v2", "summary": "upgrade the testnet to v2"
}`, govAuthority(), upgradeHeight, denom), 0o600))
	n0.sharedTx("tx", "gov", "submit-proposal", proposal, "--from", "validator")
	for _, n := range nodes {
		n.sharedTx("tx", "gov", "vote", "1", "yes", "--from", "validator")
	}
	require.Eventually(t, func() bool {
		var p struct {
			Proposal struct {
				Status string `json:"status"`
			} `json:"proposal"`
		}
		return n0.qjson(&p, "gov", "proposal", "1") == nil && p.Proposal.Status == "PROPOSAL_STATUS_PASSED"
	}, 90*time.Second, time.Second, "the upgrade proposal passes")
	require.Less(t, n0.latest(), upgradeHeight, "the proposal passed before the upgrade height")
	waitAll(t, nodes, upgradeHeight+3, 3*time.Minute)
	for _, n := range nodes {
		logs := n.logs.String()
		require.Contains(t, logs, `UPGRADE "v2" NEEDED at height: `+strconv.FormatInt(upgradeHeight, 10), "node%d: the old release halts at the height", n.i)
		var applied struct {
			Height int64 `json:"height,string"`
		}
		require.NoError(t, n.qjson(&applied, "upgrade", "applied", "v2"))
		require.Equal(t, upgradeHeight, applied.Height, "node%d applied v2 at its height", n.i)
		var mv struct {
			ModuleVersions []struct {
				Name    string `json:"name"`
				Version uint64 `json:"version,string"`
			} `json:"module_versions"`
		}
		require.NoError(t, n.qjson(&mv, "upgrade", "module-versions", "pocps"))
		require.Len(t, mv.ModuleVersions, 1)
		require.EqualValues(t, 2, mv.ModuleVersions[0].Version, "node%d: x/pocps migrated to 2", n.i)
		cur, err := os.Readlink(filepath.Join(n.home, "cosmovisor", "current"))
		require.NoError(t, err)
		require.Contains(t, cur, filepath.Join("upgrades", "v2"), "node%d: cosmovisor runs the v2 binary", n.i)
	}

	// The loop: both devices sealed (by verifiers other than their owners)
	// and staked, an LP stake and a sale.
	require.Eventually(t, func() bool {
		return n0.deviceStatus("1") == "DEVICE_STATUS_SEALED" && n0.deviceStatus("2") == "DEVICE_STATUS_SEALED"
	}, 3*time.Minute, time.Second, "both devices are sealed")
	type stakes struct {
		Stakes []struct {
			ID       string `json:"id"`
			DeviceID string `json:"device_id"`
			Kind     string `json:"kind"`
			Status   string `json:"status"`
		} `json:"stakes"`
	}
	var st stakes
	require.Eventually(t, func() bool {
		return n0.qjson(&st, "stake", "stakes") == nil && len(st.Stakes) == 2 &&
			st.Stakes[0].Status == "STAKE_STATUS_ACTIVE" && st.Stakes[1].Status == "STAKE_STATUS_ACTIVE"
	}, 2*time.Minute, time.Second, "an LP stake and a sale are active")
	lpDevice, lpStake := "", ""
	for _, s := range st.Stakes {
		if s.Kind == "STAKE_KIND_LP" {
			lpDevice, lpStake = s.DeviceID, s.ID
		}
	}
	require.NotEmpty(t, lpDevice, "one stake is an LP stake: %+v", st.Stakes)

	// A lease bought through node1, seen through node2, ended through node3.
	client := n0.addr("client")
	var est struct {
		Total    string `json:"total"`
		DeviceID string `json:"device_id"`
	}
	require.NoError(t, n0.via(nodes[1]).qjson(&est, "pools", "estimate-buy", "rtx-4090", "2m"))
	total, err := strconv.ParseInt(est.Total, 10, 64)
	require.NoError(t, err)
	n0.via(nodes[1]).tx("tx", "pools", "buy-lease", "rtx-4090", "2m", strconv.FormatInt(total*11/10, 10), "--device", est.DeviceID, "--from", "client")
	var leases struct {
		Leases []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"leases"`
	}
	require.NoError(t, n0.via(nodes[2]).qjson(&leases, "pools", "leases-by-client", client))
	require.Len(t, leases.Leases, 1, "node2 sees the lease bought through node1")
	n0.via(nodes[3]).tx("tx", "pools", "terminate-lease", leases.Leases[0].ID, "0", "--from", "client")
	var lease struct {
		Lease struct {
			Status string `json:"status"`
		} `json:"lease"`
	}
	require.NoError(t, n0.via(nodes[1]).qjson(&lease, "pools", "lease", leases.Leases[0].ID))
	require.Equal(t, "LEASE_STATUS_TERMINATED", lease.Lease.Status, "node1 sees the termination sent through node3")

	// One validator and its verifier stop: blocks go on; a challenge
	// assigned to it is missed and re-issued to another verifier.
	down := nodes[3]
	down.verifier.stop(syscall.SIGTERM)
	down.stop()
	stoppedAt := n0.latest()
	up := nodes[:3]
	waitAll(t, up, stoppedAt+10, time.Minute)
	// Each challenge draws one of the four verifiers and is missed only at
	// its deadline (120 s): within 6 minutes the stopped one has been drawn
	// for a challenge that is then missed with probability about
	// 1 − (3/4)^16 ≈ 0.99 (a 4-minute wait failed about one run in three on
	// 2 cores).
	var missed, reissued tnChallenge
	require.Eventually(t, func() bool {
		for _, dev := range []string{"1", "2"} {
			cs := n0.challenges(dev)
			for _, c := range cs {
				if c.Status != "CHALLENGE_STATUS_MISSED" || c.Verifier != operator[down.i] {
					continue
				}
				for _, r := range cs {
					if r.Attempt == c.Attempt+1 && r.ID > c.ID && r.Verifier != operator[down.i] {
						missed, reissued = c, r
						return true
					}
				}
			}
		}
		return false
	}, 6*time.Minute, 2*time.Second, "a challenge of the stopped validator's verifier is missed and re-issued to another")
	t.Logf("challenge %d (device %d) missed by node3's verifier, re-issued as %d to %s", missed.ID, missed.DeviceID, reissued.ID, reissued.Verifier)
	// Restarted, it catches up with the others.
	down.startCosmovisor(t, cosmovisor)
	startVerifier(down)
	target := n0.latest()
	waitAll(t, nodes, target, 2*time.Minute)
	require.Eventually(t, func() bool { s, err := down.sync(); return err == nil && !s.CatchingUp }, time.Minute, time.Second)

	// Two of four stop: no two-thirds of the power is left, so the chain
	// halts; nothing is committed, nothing forks; it resumes when they return.
	for _, n := range nodes[2:] {
		n.stop()
	}
	time.Sleep(3 * time.Second)
	halted := n0.latest()
	time.Sleep(12 * time.Second)
	require.LessOrEqual(t, n0.latest(), halted+1, "the chain halts with two of four validators")
	require.LessOrEqual(t, nodes[1].latest(), halted+1)
	for _, n := range nodes[2:] {
		n.startCosmovisor(t, cosmovisor)
	}
	waitAll(t, nodes, halted+5, 3*time.Minute)

	// A fifth node joins by state sync, as an operator runs it.
	joinCmd := exec.Command(script, "join")
	joinCmd.Env = append(env, fmt.Sprintf("TESTNET_VALIDATORS=%d", validators))
	joiner := &tnode{node: &node{t: t, bin: bin, home: filepath.Join(base, fmt.Sprintf("node%d", validators))}, i: validators,
		proc: joinCmd, logs: &syncBuf{}}
	testnetPorts(joiner.node, validators)
	joiner.start(t)
	require.Eventually(t, func() bool {
		s, err := joiner.sync()
		return err == nil && !s.CatchingUp && s.Latest >= n0.latest()-1 && s.Earliest > 1
	}, 5*time.Minute, time.Second, "the fifth node state-syncs and follows; its script said:\n%s\nits node log ends:\n%s",
		joiner.logs, fileTail{filepath.Join(joiner.home, "node.log"), 6000})
	js, err := joiner.sync()
	require.NoError(t, err)
	require.Greater(t, js.Earliest, upgradeHeight, "it started from a snapshot, not from genesis")
	require.Contains(t, joiner.logs.String(), "joins by state sync")

	// The LP miner dies: its device stops answering; two different
	// verifiers report it and the stake's failure path runs.
	lpMiner.stop(syscall.SIGKILL)
	require.Eventually(t, func() bool { return n0.deviceStatus(lpDevice) == "DEVICE_STATUS_FAILED" }, 4*time.Minute, 2*time.Second,
		"the killed miner's device fails")
	reporters := map[string]bool{}
	for _, c := range n0.challenges(lpDevice) {
		if c.Status == "CHALLENGE_STATUS_FAILED" && c.FailureReason == "FAILURE_REASON_NO_ANSWER" {
			reporters[c.Verifier] = true
		}
	}
	require.GreaterOrEqual(t, len(reporters), 2, "the failure is confirmed by two different verifiers: %v", reporters)
	var failed struct {
		Stake struct {
			Status string `json:"status"`
		} `json:"stake"`
	}
	require.NoError(t, nodes[2].qjson(&failed, "stake", "stake", lpStake))
	require.Equal(t, "STAKE_STATUS_FAILED", failed.Stake.Status, "the LP stake failed")

	// The challenges were spread over the verifiers.
	assigned := map[string]bool{}
	for _, dev := range []string{"1", "2"} {
		for _, c := range n0.challenges(dev) {
			assigned[c.Verifier] = true
		}
	}
	require.GreaterOrEqual(t, len(assigned), 3, "challenges went to several verifiers: %v", assigned)

	// Every node, the joiner from its snapshot on, has the same block and
	// app hash at every height.
	end := n0.latest() - 1
	all := append(slices.Clone(nodes), joiner)
	waitAll(t, all, end, time.Minute)
	checked := sameChain(t, all, 1, end)
	t.Logf("heights 1..%d: the same block and app hash on %d nodes (the joiner from %d); upgrade at %d, halt at %d", end, len(all), js.Earliest, upgradeHeight, halted)
	require.Positive(t, checked)
}

// fileTail prints the last n bytes of a file when formatted, so that a
// failure message shows the file as it is at the failure.
type fileTail struct {
	path string
	n    int
}

func (f fileTail) String() string {
	bz, err := os.ReadFile(f.path)
	if err != nil {
		return err.Error()
	}
	return tailString(string(bz), f.n)
}
