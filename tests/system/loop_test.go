package system

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuf collects a process's output; safe to read while it writes.
type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// sidecar is a running `loopind sidecar …` process.
type sidecar struct {
	cmd  *exec.Cmd
	logs *syncBuf
}

func (n *node) startSidecar(t *testing.T, args ...string) *sidecar {
	t.Helper()
	return n.startSidecarEnv(t, nil, args...)
}

// startSidecarEnv starts a sidecar with env added to the test's environment.
func (n *node) startSidecarEnv(t *testing.T, env []string, args ...string) *sidecar {
	t.Helper()
	full := append([]string{"sidecar"}, args...)
	full = append(full, "--home", n.home, "--chain-id", chainID, "--node", n.nodeFlag(),
		"--node-grpc", fmt.Sprintf("127.0.0.1:%d", n.grpc))
	s := &sidecar{cmd: exec.Command(n.bin, full...), logs: &syncBuf{}}
	s.cmd.Env = append(os.Environ(), env...)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	require.NoError(t, s.cmd.Start())
	t.Cleanup(func() { s.stop(syscall.SIGTERM) })
	return s
}

func (s *sidecar) stop(sig syscall.Signal) {
	if s.cmd.Process == nil || s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(sig)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// exited waits up to d for the sidecar to exit by itself and returns its
// error (nil when it exited 0); it fails the test if it still runs.
func (s *sidecar) exited(t *testing.T, d time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		s.stop(syscall.SIGKILL)
		t.Fatalf("the sidecar still runs after %s; its log:\n%s", d, tailString(s.logs.String(), 2000))
		return nil
	}
}

// qjson runs a query and decodes its JSON output into v.
func (n *node) qjson(v any, args ...string) error {
	out, err := n.try(append(append([]string{"q"}, args...), "--node", n.nodeFlag(), "-o", "json")...)
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(out), v)
}

func (n *node) pending(addr string) int64 {
	var res struct {
		Amount string `json:"amount"`
	}
	if n.qjson(&res, "rewards", "pending", addr) != nil {
		return 0
	}
	v, _ := strconv.ParseInt(res.Amount, 10, 64)
	return v
}

// loopChain starts the localnet's chain (scripts/localnet.sh: short
// clocks, tiny seals, one confirmation) in a temporary directory with the
// keys validator, miner, client and extraKeys funded, and registers the
// validator's verifier (not started: loopNet.startVerifier).
func loopChain(t *testing.T, extraKeys ...string) *loopNet {
	t.Helper()
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	n := newNode(t, bin, filepath.Join(dir, "loop"))
	n.cli("init", "loop", "--chain-id", chainID)
	for _, k := range append([]string{"validator", "miner", "client"}, extraKeys...) {
		n.cli("keys", "add", k, "--keyring-backend", "test")
		n.cli("genesis", "add-genesis-account", k, "1000000000000"+denom, "--keyring-backend", "test")
	}
	// The localnet's short clocks and tiny seals (scripts/localnet.sh).
	n.editGenesis(func(gs map[string]any) {
		app := gs["app_state"].(map[string]any)
		app["epochs"].(map[string]any)["epochs"].([]any)[0].(map[string]any)["duration"] = "8s"
		pocps := app["pocps"].(map[string]any)["params"].(map[string]any)
		pocps["confirmations"], pocps["challenge_interval"], pocps["challenge_deadline"] = 1, "1", "60s"
		stake := app["stake"].(map[string]any)["params"].(map[string]any)
		stake["min_lp_duration"], stake["day_length"] = "600s", "120s"
		pools := app["pools"].(map[string]any)
		pools["params"].(map[string]any)["min_lease_duration"] = "60s"
		for _, p := range pools["gpu_classes"].([]any) {
			p.(map[string]any)["seal"] = map[string]any{"labels": "1024", "layers": 3, "parents": 6, "samples": 8,
				"walks": 64, "steps": 8, "gemm_rows": 32, "gemm_dim": 64, "rounds": 2}
		}
	})
	n.cli("genesis", "gentx", "validator", "100000000000"+denom, "--chain-id", chainID, "--keyring-backend", "test")
	n.cli("genesis", "collect-gentxs")
	n.configure()
	n.start(2)

	validator := n.addr("validator")
	verifierEndpoint := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	verifierMetrics := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	vrfKey := strings.TrimSpace(n.cli("sidecar", "verifier", "vrf-key", "--dir", filepath.Join(dir, "verifier")))
	n.tx("tx", "pocps", "register-verifier", validator, verifierEndpoint, vrfKey, "--from", "validator")
	startVerifier := func() *sidecar {
		return n.startSidecar(t, "verifier", "--from", "validator", "--dir", filepath.Join(dir, "verifier"),
			"--listen", verifierEndpoint, "--metrics", verifierMetrics)
	}
	return &loopNet{n: n, dir: dir, verifierMetrics: verifierMetrics, startVerifier: startVerifier}
}

// loopNet is what loopChain started.
type loopNet struct {
	n   *node
	dir string
	// verifierMetrics is the verifier sidecar's metrics address.
	verifierMetrics string
	startVerifier   func() *sidecar
}

// TestSystemLoop runs the whole LooPIN loop on one machine, as `make
// localnet` does: a node, the validator's verifier sidecar and a miner
// sidecar on the CPU backend. The device is registered and sealed, its LP
// stake becomes active and is renewed, challenges pass and their
// transcripts check against the chain, a client buys a lease on it, gets
// access through the miner's hook and terminates early with the estimated
// refund (access revoked), both sidecars' metrics show it, rewards reach
// the miner, the verifier and the client and a claim pays; restarts lose
// nothing; then the miner sidecar dies, its device cannot answer, the
// failure is confirmed and the stake fails.
func TestSystemLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("system test builds and runs loopind; skipped with -short")
	}
	ln := loopChain(t)
	n, dir, verifierMetrics, startVerifier := ln.n, ln.dir, ln.verifierMetrics, ln.startVerifier
	validator, miner, client := n.addr("validator"), n.addr("miner"), n.addr("client")
	v := startVerifier()
	// The miner: CPU backend, LP stake of 1 h renewed by 450 epochs (1 h)
	// whenever less than 61 min is left (so at once, and then not again
	// during the test: a renewal every epoch would race the test's own
	// transactions from the miner's account), the localnet's access hook.
	minerPort, minerMetrics := freePort(t), fmt.Sprintf("127.0.0.1:%d", freePort(t))
	// A hook that records the lessee's key in keys/lease-N.pub (the SSH
	// hook and server are TestSystemLeaseSSH's).
	keys := filepath.Join(dir, "access")
	hook := fmt.Sprintf(`sh -c 'set -e; mkdir -p %[1]s; f=%[1]s/lease-$LOOPIN_LEASE_ID.pub; case $LOOPIN_ACTION in `+
		`grant) cat > $f; echo "lease $LOOPIN_LEASE_ID on device $LOOPIN_DEVICE_ID for $LOOPIN_CLIENT";; revoke) rm -f $f;; esac'`, keys)
	startMiner := func() *sidecar {
		return n.startSidecar(t, "miner", "--from", "miner", "--backend", "cpu", "--class", "rtx-4090", "--stake", "lp",
			"--duration", "1h", "--renew-epochs", "450", "--renew-before", "61m",
			"--listen", fmt.Sprintf("127.0.0.1:%d", minerPort), "--metrics", minerMetrics, "--dir", filepath.Join(dir, "miner"),
			"--access-hook", hook)
	}
	m := startMiner()

	// Registered, sealed by the verifier's setup report, staked as LP.
	type challenges struct {
		Challenges []struct {
			ID           string `json:"id"`
			Kind, Status string
		} `json:"challenges"`
	}
	lastPassed := ""
	passed := func() int {
		var cs challenges
		if n.qjson(&cs, "pocps", "challenges-by-device", "1") != nil {
			return 0
		}
		k := 0
		for _, c := range cs.Challenges {
			if c.Kind == "CHALLENGE_KIND_RESIDENCY" && c.Status == "CHALLENGE_STATUS_PASSED" {
				k++
				lastPassed = c.ID
			}
		}
		return k
	}
	require.Eventually(t, func() bool {
		out, err := n.try("q", "stake", "stake", "1", "--node", n.nodeFlag(), "-o", "json")
		return err == nil && strings.Contains(out, "STAKE_STATUS_ACTIVE")
	}, 60*time.Second, time.Second, "the miner's LP stake: %s", m.logs.String())
	require.Eventually(t, func() bool { return passed() >= 2 }, 60*time.Second, time.Second, "two challenges passed")

	// A second sidecar for the same device (same host and --name) without
	// its seal is refused before it seals, saying what to do.
	dup := n.startSidecar(t, "miner", "--from", "miner", "--backend", "cpu", "--stake", "none", "--dir", filepath.Join(dir, "miner-dup"),
		"--listen", fmt.Sprintf("127.0.0.1:%d", freePort(t)), "--metrics", "")
	require.Error(t, dup.exited(t, 30*time.Second))
	require.Contains(t, dup.logs.String(), "fingerprint already registered: device 1")
	require.Contains(t, dup.logs.String(), "deregister-device 1")
	require.NotContains(t, dup.logs.String(), "msg=sealing")

	// The verifier serves the full transcript of a passed challenge; its
	// hash is the one the chain recorded.
	var tr struct {
		ChallengeID string `json:"challenge_id"`
		Passed      bool   `json:"passed"`
		Walks       []int  `json:"walks"`
	}
	out, err := n.try("sidecar", "transcript", lastPassed, "--node", n.nodeFlag(), "-o", "json")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal([]byte(out), &tr))
	require.Equal(t, lastPassed, tr.ChallengeID)
	require.True(t, tr.Passed)
	require.Len(t, tr.Walks, 8, "every audited walk (the seal's samples)")

	// The LP stake is renewed before its end: it now ends later than the
	// hour it was staked for.
	var st struct {
		Stake struct {
			Start time.Time `json:"start"`
			End   time.Time `json:"end"`
		} `json:"stake"`
	}
	require.Eventually(t, func() bool {
		return n.qjson(&st, "stake", "stake", "1") == nil && st.Stake.End.Sub(st.Stake.Start) > time.Hour
	}, 60*time.Second, time.Second, "the stake is renewed; miner log:\n%s", tailString(m.logs.String(), 2000))

	// A client buys a lease at the quoted price; it names the device.
	var est struct {
		Total         string `json:"total"`
		DeviceID      string `json:"device_id"`
		CommitmentEnd string `json:"commitment_end"`
	}
	require.NoError(t, n.qjson(&est, "pools", "estimate-buy", "rtx-4090", "2m"))
	require.Equal(t, "1", est.DeviceID)
	total, err := strconv.ParseInt(est.Total, 10, 64)
	require.NoError(t, err)
	var named struct {
		Total string `json:"total"`
	}
	require.NoError(t, n.qjson(&named, "pools", "estimate-buy", "rtx-4090", "2m", "--device", est.DeviceID, "--min-commitment-end", est.CommitmentEnd))
	require.Equal(t, est.Total, named.Total, "the same quote for the device named")
	var maxImpact struct {
		Seconds  string `json:"seconds"`
		DeviceID string `json:"device_id"`
		Limit    string `json:"limit"`
	}
	require.NoError(t, n.qjson(&maxImpact, "pools", "estimate-buy-max-impact", "rtx-4090", "0.5"))
	require.Equal(t, "1", maxImpact.DeviceID)
	require.NotEmpty(t, maxImpact.Limit)
	// A slippage bound of 1 uloop is refused before it is sent.
	require.Contains(t, n.txRefused("tx", "pools", "buy-lease", "rtx-4090", "2m", "1", "--from", "client"), "slippage bound exceeded")
	// Bought on the quoted device, so that no earlier purchase in the block
	// can move it to another.
	n.tx("tx", "pools", "buy-lease", "rtx-4090", "2m", strconv.FormatInt(total*11/10, 10), "--device", est.DeviceID, "--from", "client")
	// Nobody else can end the client's lease.
	require.Contains(t, n.txRefused("tx", "pools", "terminate-lease", "1", "0", "--from", "miner"), "lease not yours")
	var lease struct {
		Lease struct {
			DeviceID string `json:"device_id"`
			Client   string `json:"client"`
			Price    string `json:"price"`
			Refund   string `json:"refund"`
			Status   string `json:"status"`
		} `json:"lease"`
	}
	require.NoError(t, n.qjson(&lease, "pools", "lease", "1"))
	require.Equal(t, "1", lease.Lease.DeviceID)
	require.Equal(t, client, lease.Lease.Client)

	// The client reaches the device: the miner checks its signed request
	// and the lease, and its access hook installs the client's key. Another
	// account's key gets nothing.
	pub := filepath.Join(dir, "client.pub")
	require.NoError(t, os.WriteFile(pub, []byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIClientKey client@test\n"), 0o600))
	accessArgs := []string{"--node", n.nodeFlag(), "--chain-id", chainID, "--keyring-backend", "test", "--payload-file", pub}
	out, err = n.try(append([]string{"lease", "access", "1", "--from", "client"}, accessArgs...)...)
	require.NoError(t, err)
	require.Contains(t, out, "lease 1 on device 1 for "+client)
	installed, err := os.ReadFile(filepath.Join(keys, "lease-1.pub"))
	require.NoError(t, err)
	require.Contains(t, string(installed), "client@test")
	_, err = n.try(append([]string{"lease", "access", "1", "--from", "miner"}, accessArgs...)...)
	require.ErrorContains(t, err, "belongs to "+client)

	// Early termination refunds what estimate-terminate said (one block of
	// release later, so at most a few uloop less).
	time.Sleep(3 * time.Second)
	var et struct {
		Refund string `json:"refund"`
	}
	require.NoError(t, n.qjson(&et, "pools", "estimate-terminate", "1"))
	estimated, _ := strconv.ParseInt(et.Refund, 10, 64)
	n.tx("tx", "pools", "terminate-lease", "1", strconv.FormatInt(estimated*9/10, 10), "--from", "client")
	require.NoError(t, n.qjson(&lease, "pools", "lease", "1"))
	require.Equal(t, "LEASE_STATUS_TERMINATED", lease.Lease.Status)
	refund, _ := strconv.ParseInt(lease.Lease.Refund, 10, 64)
	price, _ := strconv.ParseInt(lease.Lease.Price, 10, 64)
	require.True(t, refund <= estimated && refund >= estimated-price/10, "refund %d, estimated %d", refund, estimated)
	// Its access is revoked: the hook removed the key.
	require.Eventually(t, func() bool {
		_, err := os.Stat(filepath.Join(keys, "lease-1.pub"))
		return os.IsNotExist(err)
	}, 30*time.Second, time.Second, "access revoked after termination")

	// Both sidecars export what they did.
	minerOut := scrape(t, minerMetrics)
	require.Contains(t, minerOut, `loopin_miner_lease_access_total{result="granted"} 1`)
	require.Contains(t, minerOut, `loopin_miner_challenges_total{outcome="passed"}`)
	require.Contains(t, minerOut, "loopin_miner_seal_progress 1")
	require.Contains(t, minerOut, `loopin_miner_requests_total{code="OK",method="Residency"}`)
	verifierOut := scrape(t, verifierMetrics)
	require.Contains(t, verifierOut, `loopin_verifier_challenges_total{kind="residency",verdict="passed"}`)
	require.Contains(t, verifierOut, `loopin_verifier_reports_total{outcome="accepted"}`)
	require.Contains(t, verifierOut, "loopin_verifier_events_subscribed 1", "the verifier follows blocks over the websocket")

	// Rewards reach the miner (its device passed challenges), the verifier
	// (accepted reports; the validator's account is its hot key) and the
	// client (its lease's seconds, booked when its last epoch closed).
	require.Eventually(t, func() bool {
		return n.pending(miner) > 0 && n.pending(validator) > 0 && n.pending(client) > 0
	}, 60*time.Second, time.Second, "pending: miner %d, verifier %d, client %d", n.pending(miner), n.pending(validator), n.pending(client))
	before := n.balance(miner)
	n.tx("tx", "rewards", "claim", "--from", "miner")
	after := n.balance(miner)
	b, _ := strconv.ParseInt(before, 10, 64)
	a, _ := strconv.ParseInt(after, 10, 64)
	require.Greater(t, a, b, "the claim paid the miner")

	// Killing and restarting both sidecars loses nothing: the miner reloads
	// its seal from disk (no reseal) and keeps answering, the verifier keeps
	// its secret and carries on, waiting for the miner if it is back first.
	v.stop(syscall.SIGKILL)
	m.stop(syscall.SIGKILL)
	before2 := passed()
	v = startVerifier()
	m = startMiner()
	require.Eventually(t, func() bool { return passed() > before2 }, 60*time.Second, time.Second,
		"a challenge passes after the restarts; miner log:\n%s", tailString(m.logs.String(), 2000))
	require.Contains(t, m.logs.String(), "seal loaded from disk")
	require.NotContains(t, m.logs.String(), "msg=sealing", "no reseal after a restart")

	// The miner sidecar hangs, then dies with its seal in memory, while the
	// node is away: the verifier, inside the challenge, reports "no answer"
	// and keeps the report on disk; it survives the verifier's own restart
	// and is submitted once the node is back, still in time. One
	// confirmation fails the device, and the stake fails (its uloop back
	// to the miner).
	awayBefore := strings.Count(v.logs.String(), "miner sidecar away")
	require.NoError(t, m.cmd.Process.Signal(syscall.SIGSTOP))
	require.Eventually(t, func() bool { return strings.Count(v.logs.String(), "miner sidecar away") > awayBefore },
		60*time.Second, 200*time.Millisecond, "the verifier starts a challenge of the hung miner; its log:\n%s", tailString(v.logs.String(), 2000))
	n.stop()
	m.stop(syscall.SIGKILL)
	require.Eventually(t, func() bool { return strings.Contains(v.logs.String(), "report kept for a later try") },
		30*time.Second, 200*time.Millisecond, "the report waits for the node; verifier log:\n%s", tailString(v.logs.String(), 2000))
	kept, err := filepath.Glob(filepath.Join(dir, "verifier", "reports", "*.result"))
	require.NoError(t, err)
	require.Len(t, kept, 1, "the report is on disk")
	require.Contains(t, scrape(t, verifierMetrics), "loopin_verifier_reports_pending 1")
	v.stop(syscall.SIGKILL)
	h, err := n.height()
	require.Error(t, err, "the node is stopped (height %d)", h)
	n.start(2)
	v = startVerifier()
	require.Eventually(t, func() bool { return strings.Contains(v.logs.String(), "saved report submitted") },
		60*time.Second, 200*time.Millisecond, "the saved report is submitted after the restarts; verifier log:\n%s", tailString(v.logs.String(), 2000))
	kept, err = filepath.Glob(filepath.Join(dir, "verifier", "reports", "*.result"))
	require.NoError(t, err)
	require.Empty(t, kept, "the submitted report leaves the disk")
	require.Eventually(t, func() bool {
		out, err := n.try("q", "stake", "stake", "1", "--node", n.nodeFlag(), "-o", "json")
		return err == nil && strings.Contains(out, "STAKE_STATUS_FAILED")
	}, 120*time.Second, time.Second, "the stake fails once the device stops answering; verifier log:\n%s", tailString(v.logs.String(), 3000))
	var dev struct {
		Device struct {
			Status string `json:"status"`
		} `json:"device"`
	}
	require.NoError(t, n.qjson(&dev, "pocps", "device", "1"))
	require.Equal(t, "DEVICE_STATUS_FAILED", dev.Device.Status)

	// Started again with its seal, the failed device's sidecar stops and
	// says how to offer the device anew.
	m = startMiner()
	require.Error(t, m.exited(t, 60*time.Second))
	require.Contains(t, m.logs.String(), "device 1 is FAILED on chain")
	require.Contains(t, m.logs.String(), "deregister-device 1")

	// A miner stopped after its registration reached the chain but before
	// it recorded the device's id (state.json without it) finds the device
	// on chain by fingerprint and seal roots when it starts again: no
	// reseal, no second registration.
	// This miner runs on the CUDA backend, on the emulated driver of
	// gpu/testdata/emucuda (kernels on the CPU) where a C++ compiler is at
	// hand: it seals, restores its seal into device memory after the restart
	// and answers the setup challenge from there.
	dir2 := filepath.Join(dir, "miner2")
	backend2, env2 := "cpu", []string(nil)
	if lib, ok := emulatedCUDA(t, dir); ok {
		backend2, env2 = "cuda", []string{"LD_LIBRARY_PATH=" + lib}
	}
	startMiner2 := func() *sidecar {
		return n.startSidecarEnv(t, env2, "miner", "--from", "miner", "--backend", backend2, "--name", "gpu1", "--stake", "none",
			"--dir", dir2, "--listen", fmt.Sprintf("127.0.0.1:%d", minerPort), "--metrics", "")
	}
	m2 := startMiner2()
	if !assert.Eventually(t, func() bool { return strings.Contains(m2.logs.String(), "msg=registered") }, 60*time.Second, time.Second) {
		t.Fatalf("the second device registers; its log:\n%s", m2.logs.String()) // the log as it is now, not when the wait began
	}
	m2.stop(syscall.SIGKILL)
	statePath := filepath.Join(dir2, "state.json")
	bz, err := os.ReadFile(statePath)
	require.NoError(t, err)
	var saved map[string]any
	require.NoError(t, json.Unmarshal(bz, &saved))
	require.EqualValues(t, 2, saved["device_id"])
	saved["device_id"] = 0
	bz, err = json.Marshal(saved)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(statePath, bz, 0o600))
	m2 = startMiner2()
	require.Eventually(t, func() bool { return strings.Contains(m2.logs.String(), "registration found on chain") }, 60*time.Second, time.Second,
		"the restarted sidecar adopts device 2; its log:\n%s", m2.logs.String())
	require.Contains(t, m2.logs.String(), "device=2")
	require.NotContains(t, m2.logs.String(), "msg=sealing", "no reseal")
	var devs struct {
		Devices []struct {
			ID string `json:"id"`
		} `json:"devices"`
	}
	require.NoError(t, n.qjson(&devs, "pocps", "devices-by-owner", miner))
	require.Len(t, devs.Devices, 2, "no second registration")
	require.Eventually(t, func() bool {
		return n.qjson(&dev, "pocps", "device", "2") == nil && dev.Device.Status == "DEVICE_STATUS_SEALED"
	}, 60*time.Second, time.Second, "the verifier's setup challenge seals device 2 (%s backend); miner log:\n%s",
		backend2, tailString(m2.logs.String(), 2000))
	if backend2 == "cuda" {
		require.Contains(t, m2.logs.String(), "backend=cuda")
	}
}

// emulatedCUDA builds the emulated libcuda.so.1 (gpu/testdata/emucuda, the
// sm_90 path) into dir/emucuda and returns that directory; false where no
// C++ compiler is found.
func emulatedCUDA(t *testing.T, dir string) (string, bool) {
	t.Helper()
	lib := filepath.Join(dir, "emucuda")
	out, err := exec.Command("bash", "../../gpu/testdata/emucuda/build.sh", "90", lib).CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 3 {
		t.Logf("the second miner runs on the CPU backend: %s", out)
		return "", false
	}
	require.NoError(t, err, "build the emulated driver: %s", out)
	return lib, true
}

// scrape reads a sidecar's Prometheus metrics.
func scrape(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	bz, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(bz)
}

func tailString(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
