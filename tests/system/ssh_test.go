package system

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// needSSHD returns the path of sshd, skipping the test where OpenSSH's
// server is not installed — except under .ci/run (LOOPIN_CI=1), which
// installs it: there a missing sshd fails.
func needSSHD(t *testing.T) {
	t.Helper()
	for _, p := range []string{"/usr/sbin/sshd", "/usr/bin/sshd"} {
		if _, err := os.Stat(p); err == nil {
			if _, err := exec.LookPath("ssh"); err == nil {
				return
			}
		}
	}
	if os.Getenv("LOOPIN_CI") == "1" {
		t.Fatal("sshd or ssh is missing: apt-get install -y openssh-server openssh-client")
	}
	t.Skip("lease SSH access needs OpenSSH: apt-get install -y openssh-server openssh-client")
}

// startLeaseSSHD runs scripts/lease-sshd.sh in dir on a free port and
// waits until it accepts connections; it returns the port.
func startLeaseSSHD(t *testing.T, dir string) int {
	t.Helper()
	port := freePort(t)
	s := &sidecar{cmd: exec.Command("../../scripts/lease-sshd.sh", dir, strconv.Itoa(port)), logs: &syncBuf{}}
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	require.NoError(t, s.cmd.Start())
	t.Cleanup(func() { s.stop(syscall.SIGTERM) })
	require.Eventually(t, func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
		}
		return err == nil
	}, 15*time.Second, 100*time.Millisecond, "sshd listens: %s", s.logs.String())
	return port
}

// sshKey makes an ed25519 key pair at path and path.pub.
func sshKey(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", filepath.Base(path), "-f", path).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return path
}

// run runs argv and returns its combined output and error.
func run(argv []string) (string, error) {
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	return string(out), err
}

// runHook runs scripts/access-hook.sh for action on lease in dir with
// stdin, the lease ending at end, and returns its output.
func runHook(dir, action, lease string, end time.Time, stdin string) (string, error) {
	cmd := exec.Command("../../scripts/access-hook.sh")
	cmd.Env = append(os.Environ(), "LOOPIN_ACCESS_DIR="+dir, "LOOPIN_ACTION="+action, "LOOPIN_LEASE_ID="+lease,
		"LOOPIN_DEVICE_ID=1", "LOOPIN_CLIENT=loopin1client", "LOOPIN_CHAIN_ID="+chainID,
		"LOOPIN_LEASE_END="+end.UTC().Format(time.RFC3339))
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestAccessHookSSH is the shipped hook against a real sshd, without a
// chain: a granted key logs in to its lease's shell only, forwards
// nothing and stops working at the lease's end with no revocation
// (expiry-time); payloads that would add options or a second key are
// refused; a revocation ends the lease's processes, daemons included, and
// leaves the other lease alone; revoking twice, or what was never granted,
// succeeds. Run as root (CI), each lease is its own Unix user, which can
// touch neither the key files nor another lease's directory.
func TestAccessHookSSH(t *testing.T) {
	needSSHD(t)
	dir := t.TempDir()
	searchable(t, dir)
	acc := filepath.Join(dir, "access")
	port := startLeaseSSHD(t, acc)
	k1, k2 := sshKey(t, filepath.Join(dir, "k1")), sshKey(t, filepath.Join(dir, "k2"))
	pub := func(k string) string {
		bz, err := os.ReadFile(k + ".pub")
		require.NoError(t, err)
		return string(bz)
	}
	hostKey, err := os.ReadFile(filepath.Join(acc, "host_ed25519.pub"))
	require.NoError(t, err)
	known := filepath.Join(dir, "known_hosts")
	require.NoError(t, os.WriteFile(known, []byte(fmt.Sprintf("[127.0.0.1]:%d %s", port, hostKey)), 0o600))
	sshArgv := func(key, user string, extra ...string) []string {
		return append(append([]string{"ssh", "-i", key, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
			"-o", "UserKnownHostsFile=" + known, "-o", "StrictHostKeyChecking=yes", "-p", strconv.Itoa(port)}, extra...), user+"@127.0.0.1")
	}
	userOf := func(out string) string {
		for _, line := range strings.Split(out, "\n") {
			if u, ok := strings.CutPrefix(line, "ssh_user="); ok {
				return u
			}
		}
		t.Fatalf("no ssh_user in the hook's output:\n%s", out)
		return ""
	}

	// Lease 7 for a few seconds with k1, lease 8 for an hour with k2.
	end7 := time.Now().Add(4 * time.Second)
	out, err := runHook(acc, "grant", "7", end7, pub(k1))
	require.NoError(t, err, out)
	require.Contains(t, out, fmt.Sprintf("ssh_port=%d\n", port))
	require.Contains(t, out, "ssh_host_key="+strings.Join(strings.Fields(string(hostKey))[:2], " ")+"\n")
	user7 := userOf(out)
	out, err = runHook(acc, "grant", "8", time.Now().Add(time.Hour), pub(k2))
	require.NoError(t, err, out)
	user8 := userOf(out)
	out, err = run(append(sshArgv(k1, user7), "echo lease=$LOOPIN_LEASE_ID; pwd"))
	require.NoError(t, err, out)
	require.Contains(t, out, "lease=7\n"+filepath.Join(acc, "home", "lease-7"))
	// Nothing is forwarded.
	out, err = run(append(sshArgv(k1, user7, "-o", "ExitOnForwardFailure=yes", "-R", fmt.Sprintf("127.0.0.1:%d:127.0.0.1:%d", freePort(t), port)), "true"))
	require.Error(t, err, "remote forwarding is refused: %s", out)
	if os.Geteuid() == 0 {
		require.Equal(t, "loopin-lease-7", user7)
		// The lessee cannot add a key of its own, read the records or
		// enter another lease's directory; k1 is not lease 8's key.
		for _, attack := range []string{
			"echo " + strings.TrimSpace(pub(k1)) + " >> " + filepath.Join(acc, "authorized", user7),
			"cat " + filepath.Join(acc, "keys", "lease-8"),
			"ls " + filepath.Join(acc, "home", "lease-8"),
		} {
			out, err := run(append(sshArgv(k1, user7), attack))
			require.Error(t, err, "%s: %s", attack, out)
			require.Contains(t, out, "Permission denied", attack)
		}
		out, err = run(append(sshArgv(k1, user8), "true"))
		require.Error(t, err, out)
	}

	// Lease 7's end passes; nobody revokes it. Its running command is
	// stopped at the end, and its key no longer logs in.
	session7 := startSession(t, append(sshArgv(k1, user7), "echo started; sleep 300"))
	time.Sleep(time.Until(end7.Add(1500 * time.Millisecond)))
	session7.ended(t, 5*time.Second, "the lease's end")
	out, err = run(append(sshArgv(k1, user7), "true"))
	require.Error(t, err, out)
	require.Contains(t, out, "Permission denied")
	out, err = run(append(sshArgv(k2, user8), "echo lease=$LOOPIN_LEASE_ID"))
	require.NoError(t, err, out)
	require.Contains(t, out, "lease=8")

	// Payloads that are not one plain public key are refused and change
	// nothing.
	before := authorizedKeys(t, acc)
	for name, payload := range map[string]string{
		"a second key":    pub(k1) + pub(k2),
		"its own options": `command="/bin/sh" ` + pub(k1),
		"no key":          "",
		"not base64":      "ssh-ed25519 AAAA!!!! x",
		"a glob":          "* *",
	} {
		out, err := runHook(acc, "grant", "9", time.Now().Add(time.Hour), payload)
		require.Error(t, err, "%s: %s", name, out)
		require.Equal(t, before, authorizedKeys(t, acc), name)
	}

	// Revoking lease 8 ends its open session and, as root, the daemon it
	// left behind; then its logins.
	session := startSession(t, append(sshArgv(k2, user8), "setsid sleep 301 </dev/null >/dev/null 2>&1 & echo started; sleep 300"))
	_, err = runHook(acc, "revoke", "8", time.Now(), "")
	require.NoError(t, err)
	session.ended(t, 10*time.Second, "the revocation")
	if os.Geteuid() == 0 {
		left, _ := exec.Command("pgrep", "-f", "^sleep 301$").Output()
		require.Empty(t, strings.TrimSpace(string(left)), "the lease's daemon is gone")
		_, err := exec.Command("id", user8).Output()
		require.Error(t, err, "the lease's user is gone")
	}
	out, err = run(append(sshArgv(k2, user8), "true"))
	require.Error(t, err, out)
	// Revoking again, or a lease never granted, succeeds; lease 7's
	// expired line goes at its revocation.
	for _, lease := range []string{"8", "42", "7"} {
		out, err := runHook(acc, "revoke", lease, time.Now(), "")
		require.NoError(t, err, out)
	}
	require.Empty(t, authorizedKeys(t, acc))
	out, err = runHook(acc, "bogus", "8", time.Now(), "")
	require.Error(t, err)
	require.Contains(t, out, "unknown LOOPIN_ACTION")
}

// searchable lets other users traverse dir, a test's temporary directory,
// and its parents up to the system's (the lease users of a root sshd must
// reach their homes in it).
func searchable(t *testing.T, dir string) {
	t.Helper()
	for d := dir; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		require.NoError(t, os.Chmod(d, 0o755))
	}
}

// authorizedKeys returns every key line sshd reads in acc, sorted.
func authorizedKeys(t *testing.T, acc string) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(acc, "authorized", "*"))
	require.NoError(t, err)
	var lines []string
	for _, f := range files {
		bz, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, l := range strings.Split(strings.TrimSpace(string(bz)), "\n") {
			if l != "" {
				lines = append(lines, l)
			}
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// sshSession is an ssh command running in the background.
type sshSession struct {
	cmd  *exec.Cmd
	done chan error
}

// startSession runs argv, whose remote command prints "started" once it
// runs, and waits for that line.
func startSession(t *testing.T, argv []string) *sshSession {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	started := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == "started" {
				started <- true
			}
		}
	}()
	select {
	case <-started:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("the SSH session did not start")
	}
	s := &sshSession{cmd: cmd, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return s
}

// ended fails the test unless the session ends within d of what ended it.
func (s *sshSession) ended(t *testing.T, d time.Duration, cause string) {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(d):
		t.Fatalf("the open session outlived %s", cause)
	}
}

// TestSystemLeaseSSH is lease access as a client uses it (docs/operators.md
// "Lease access"): a real OpenSSH server (scripts/lease-sshd.sh) on the
// miner's host, the shipped hook (scripts/access-hook.sh), and `loopind
// lease ssh`. The client logs in and runs a command on the device host;
// another account and its key are refused; a server with another host key
// is refused; the payload cannot smuggle in a key of its own; a lease's
// natural end and its termination end every new login, the termination
// the open sessions too; a miner restart keeps the access and grants
// nothing again.
func TestSystemLeaseSSH(t *testing.T) {
	if testing.Short() {
		t.Skip("system test builds and runs loopind; skipped with -short")
	}
	needSSHD(t)
	ln := loopChain(t, "client2")
	n, dir := ln.n, ln.dir
	searchable(t, dir) // the lease users reach their homes
	ln.startVerifier()
	acc := filepath.Join(dir, "access")
	startLeaseSSHD(t, acc)
	hook, err := filepath.Abs("../../scripts/access-hook.sh")
	require.NoError(t, err)
	minerListen := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	startMiner := func() *sidecar {
		return n.startSidecar(t, "miner", "--from", "miner", "--backend", "cpu", "--class", "rtx-4090", "--stake", "lp",
			"--duration", "1h", "--listen", minerListen, "--metrics", "", "--dir", filepath.Join(dir, "miner"),
			"--access-hook", "LOOPIN_ACCESS_DIR="+acc+" "+hook)
	}
	m := startMiner()
	require.Eventually(t, func() bool {
		out, err := n.try("q", "stake", "stake", "1", "--node", n.nodeFlag(), "-o", "json")
		return err == nil && strings.Contains(out, "STAKE_STATUS_ACTIVE")
	}, 90*time.Second, time.Second, "the miner's LP stake: %s", tailString(m.logs.String(), 2000))

	buy := func(d string) {
		var est struct {
			Total string `json:"total"`
		}
		require.NoError(t, n.qjson(&est, "pools", "estimate-buy", "rtx-4090", d))
		total, err := strconv.ParseInt(est.Total, 10, 64)
		require.NoError(t, err)
		n.tx("tx", "pools", "buy-lease", "rtx-4090", d, strconv.FormatInt(total*2, 10), "--from", "client")
	}
	key1, key2 := sshKey(t, filepath.Join(dir, "client_ed25519")), sshKey(t, filepath.Join(dir, "client2_ed25519"))
	flags := []string{"--node", n.nodeFlag(), "--chain-id", chainID, "--keyring-backend", "test"}
	leaseSSH := func(lease, from, identity string, args ...string) (string, error) {
		full := append([]string{"lease", "ssh", lease, "--from", from, "--identity", identity}, flags...)
		return n.try(append(full, args...)...)
	}
	argv := func(printed string) []string { return strings.Fields(strings.TrimSpace(printed)) }
	revoked := func(lease string) bool {
		_, err := os.Stat(filepath.Join(acc, "keys", "lease-"+lease))
		return os.IsNotExist(err)
	}

	// Lease 1, the shortest (1 minute), ends by itself. The client logs in
	// with its key and runs a command on the device host, in the lease's
	// own directory; the host key came from the miner: no prompt.
	buy("1m")
	out, err := leaseSSH("1", "client", key1, "--", `echo "lease=$LOOPIN_LEASE_ID dir=$(pwd)"`)
	require.NoError(t, err)
	require.Contains(t, out, "lease=1 dir="+filepath.Join(acc, "home", "lease-1"))
	knownHosts, err := os.ReadFile(filepath.Join(n.home, "lease-ssh", "known_hosts"))
	require.NoError(t, err)
	hostKey, err := os.ReadFile(filepath.Join(acc, "host_ed25519.pub"))
	require.NoError(t, err)
	require.Equal(t, "loopin-"+chainID+"-lease-1 "+strings.Join(strings.Fields(string(hostKey))[:2], " ")+"\n", string(knownHosts))
	printed1, err := leaseSSH("1", "client", key1, "--print")
	require.NoError(t, err)

	// Lease 1 ends by itself: the miner revokes it, and the printed
	// command no longer logs in. (That the key also expires at the
	// lease's end without a revocation is TestAccessHookSSH's.)
	if !assert.Eventually(t, func() bool { return revoked("1") }, 90*time.Second, 200*time.Millisecond) {
		t.Fatalf("lease 1 is not revoked after its end; miner log:\n%s", tailString(m.logs.String(), 3000))
	}
	out, err = run(append(argv(printed1), "true"))
	require.Error(t, err, "lease 1 ended: %s", out)
	require.Contains(t, out, "Permission denied")

	// Lease 2, for 10 minutes, on the same device.
	buy("10m")
	out, err = leaseSSH("2", "client", key1, "--", "echo lease=$LOOPIN_LEASE_ID")
	require.NoError(t, err)
	require.Contains(t, out, "lease=2")
	// ssh's exit status is loopind's.
	_, err = leaseSSH("2", "client", key1, "--", "exit 7")
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	require.Equal(t, 7, exit.ExitCode())
	// The printed command logs in with plain ssh, without a new request.
	printed, err := leaseSSH("2", "client", key1, "--print")
	require.NoError(t, err)
	sshArgv := argv(printed)
	require.Equal(t, "ssh", sshArgv[0])
	out, err = run(append(sshArgv, "echo plain ssh"))
	require.NoError(t, err, out)
	require.Contains(t, out, "plain ssh")

	// Another account cannot get access to lease 2, and its key does not
	// log in to the lease's server either.
	_, err = leaseSSH("2", "client2", key2, "--", "true")
	require.ErrorContains(t, err, "belongs to "+n.addr("client"))
	stolen := append([]string(nil), sshArgv...)
	for i, a := range stolen {
		if a == key1 {
			stolen[i] = key2
		}
	}
	out, err = run(append(stolen, "true"))
	require.Error(t, err)
	require.Contains(t, out, "Permission denied")

	// A man in the middle: a server with another host key where the
	// client connects. ssh refuses it before authenticating.
	mitmPort := startLeaseSSHD(t, filepath.Join(dir, "mitm"))
	mitm := append([]string(nil), sshArgv...)
	for i, a := range mitm {
		if a == "-p" {
			mitm[i+1] = strconv.Itoa(mitmPort)
		}
	}
	out, err = run(append(mitm, "true"))
	require.Error(t, err)
	require.Contains(t, out, "Host key verification failed")

	// The payload cannot smuggle a second, unrestricted key or options of
	// its own into authorized_keys: the hook refuses both.
	bad := filepath.Join(dir, "bad.pub")
	pub1, err := os.ReadFile(key1 + ".pub")
	require.NoError(t, err)
	pub2, err := os.ReadFile(key2 + ".pub")
	require.NoError(t, err)
	for _, payload := range []string{string(pub1) + string(pub2), `command="/bin/sh" ` + string(pub2)} {
		require.NoError(t, os.WriteFile(bad, []byte(payload), 0o600))
		_, err = n.try(append([]string{"lease", "access", "2", "--from", "client", "--payload-file", bad}, flags...)...)
		require.ErrorContains(t, err, "access hook failed")
	}
	authorized := authorizedKeys(t, acc)
	require.NotContains(t, authorized, strings.Fields(string(pub2))[1], "client2's key is nowhere")
	require.Empty(t, authorized, "a failed grant is undone by a revocation: lease 2's own key went too")
	// The client asks again with its key.
	out, err = leaseSSH("2", "client", key1, "--", "echo back")
	require.NoError(t, err)
	require.Contains(t, out, "back")
	authorized = authorizedKeys(t, acc)
	require.Equal(t, 1, strings.Count(authorized, "expiry-time="), "lease 2's key only, restricted:\n%s", authorized)

	// The miner restarts: lease 2 keeps its access and is not granted
	// again.
	grant, err := os.Stat(filepath.Join(acc, "keys", "lease-2"))
	require.NoError(t, err)
	m.stop(syscall.SIGTERM)
	m = startMiner()
	require.Eventually(t, func() bool { return strings.Contains(m.logs.String(), "serving") },
		30*time.Second, 200*time.Millisecond, "the miner serves again: %s", tailString(m.logs.String(), 2000))
	time.Sleep(5 * time.Second) // its first sweeps (every 2 s) have run
	out, err = run(append(sshArgv, "echo still here"))
	require.NoError(t, err, out)
	require.Contains(t, out, "still here")
	after, err := os.Stat(filepath.Join(acc, "keys", "lease-2"))
	require.NoError(t, err)
	require.Equal(t, grant.ModTime(), after.ModTime(), "lease 2 was not granted again")

	// A session is open when the client terminates lease 2: the session
	// ends, and so does every new login.
	session := startSession(t, append(append([]string(nil), sshArgv...), "echo started; sleep 300"))
	n.tx("tx", "pools", "terminate-lease", "2", "0", "--from", "client")
	if !assert.Eventually(t, func() bool { return revoked("2") }, 30*time.Second, 200*time.Millisecond) {
		t.Fatalf("lease 2 is not revoked after its termination; miner log:\n%s", tailString(m.logs.String(), 3000))
	}
	session.ended(t, 15*time.Second, "the termination")
	out, err = run(append(sshArgv, "true"))
	require.Error(t, err)
	require.Contains(t, out, "Permission denied")
	_, err = leaseSSH("2", "client", key1, "--", "true")
	require.ErrorContains(t, err, "LEASE_STATUS_TERMINATED")
	require.Empty(t, authorizedKeys(t, acc), "no lease holds a key")
}

// The shared mode's revocation (sshd not run as root) against a lessee
// that forges session records: a record naming a process that is not the
// lease's shell, or a bogus pid, is ignored; the lease's own shell and its
// children end; a bystander in another session lives on.
func TestAccessHookSharedModeIgnoresForgedSessions(t *testing.T) {
	acc := filepath.Join(t.TempDir(), "access")
	for _, d := range []string{"keys", "authorized"} { // what lease-sshd.sh makes
		require.NoError(t, os.MkdirAll(filepath.Join(acc, d), 0o700))
	}
	require.NoError(t, os.WriteFile(filepath.Join(acc, "ssh.env"), []byte("LOOPIN_SSH_HOST=127.0.0.1\nLOOPIN_SSH_PORT=1\nLOOPIN_SSH_MODE=shared\n"), 0o600))
	inSession := func(name string, args []string, env ...string) *exec.Cmd {
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), env...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		require.NoError(t, cmd.Start())
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd
	}
	shell, err := filepath.Abs("../../scripts/lease-shell.sh")
	require.NoError(t, err)
	lease := inSession(shell, []string{acc, "5", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)}, "SSH_ORIGINAL_COMMAND=sleep 300")
	sessions := filepath.Join(acc, "home", ".sessions")
	require.Eventually(t, func() bool {
		_, err := os.Stat(filepath.Join(sessions, fmt.Sprintf("lease-5.%d", lease.Process.Pid)))
		return err == nil
	}, 10*time.Second, 50*time.Millisecond, "the lease shell records its session")
	bystander := inSession("sleep", []string{"300"})
	for _, forged := range []string{strconv.Itoa(bystander.Process.Pid), strconv.Itoa(os.Getpid()), "0", "x;rm"} {
		require.NoError(t, os.WriteFile(filepath.Join(sessions, "lease-5."+forged), []byte("0"), 0o600))
	}

	leaseDone := make(chan error, 1)
	go func() { leaseDone <- lease.Wait() }()
	out, err := runHook(acc, "revoke", "5", time.Now(), "")
	require.NoError(t, err, out)
	select {
	case <-leaseDone:
	case <-time.After(10 * time.Second):
		t.Fatal("the lease's shell outlived the revocation")
	}
	require.NoError(t, bystander.Process.Signal(syscall.Signal(0)), "the bystander lives")
	left, err := filepath.Glob(filepath.Join(sessions, "lease-5.*"))
	require.NoError(t, err)
	require.Empty(t, left, "every record of the lease is gone")
}
