package access_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	cryptocodec "github.com/cosmos/cosmos-sdk/crypto/codec"
	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/loopin-project/loopin/sidecar/access"
	"github.com/loopin-project/loopin/sidecar/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
)

const chainID = "loopin-test-1"

// fakeChain holds leases and a chain time.
type fakeChain struct {
	leases map[uint64]poolstypes.Lease
	now    time.Time
	down   bool
}

func (f *fakeChain) Lease(_ context.Context, id uint64) (poolstypes.Lease, error) {
	if f.down {
		return poolstypes.Lease{}, fmt.Errorf("connection refused")
	}
	l, ok := f.leases[id]
	if !ok {
		return l, fmt.Errorf("%w: %d", access.ErrNoLease, id)
	}
	return l, nil
}

func (f *fakeChain) Time(context.Context) (time.Time, error) { return f.now, nil }

type env struct {
	kr     keyring.Keyring
	chain  *fakeChain
	srv    *access.Server
	hook   string // the hook's command
	keys   string // the hook's key directory
	log    string // the hook's log of actions
	now    time.Time
	client sdk.AccAddress
}

// setup serves device 1 with a hook that records each action and prints
// the lessee's payload back; lease 1 (device 1) and lease 2 (device 2)
// belong to the key "client".
func setup(t *testing.T, hook string) *env {
	t.Helper()
	reg := codectypes.NewInterfaceRegistry()
	cryptocodec.RegisterInterfaces(reg)
	kr := keyring.NewInMemory(codec.NewProtoCodec(reg))
	for _, name := range []string{"client", "other"} {
		_, _, err := kr.NewMnemonic(name, keyring.English, sdk.FullFundraiserPath, "", hd.Secp256k1)
		require.NoError(t, err)
	}
	rec, err := kr.Key("client")
	require.NoError(t, err)
	client, err := rec.GetAddress()
	require.NoError(t, err)
	dir := t.TempDir()
	e := &env{kr: kr, keys: filepath.Join(dir, "keys"), log: filepath.Join(dir, "actions"), client: client,
		now: time.Unix(1_800_000_000, 0)}
	if hook == "" {
		hook = fmt.Sprintf(`mkdir -p %[1]s; echo "$LOOPIN_ACTION $LOOPIN_LEASE_ID $LOOPIN_DEVICE_ID $LOOPIN_CLIENT $LOOPIN_CHAIN_ID" >> %[2]s
case $LOOPIN_ACTION in grant) cat > %[1]s/$LOOPIN_LEASE_ID; echo "ssh lease-$LOOPIN_LEASE_ID@host key=$(cat %[1]s/$LOOPIN_LEASE_ID)";; revoke) rm %[1]s/$LOOPIN_LEASE_ID;; esac`, e.keys, e.log)
	}
	e.hook = hook
	end := e.now.Add(time.Hour)
	e.chain = &fakeChain{now: e.now, leases: map[uint64]poolstypes.Lease{
		1: {Id: 1, DeviceId: 1, Client: client.String(), End: end, Status: poolstypes.LEASE_STATUS_ACTIVE},
		2: {Id: 2, DeviceId: 2, Client: client.String(), End: end, Status: poolstypes.LEASE_STATUS_ACTIVE},
	}}
	e.srv = e.server(t, hook)
	return e
}

func (e *env) server(t *testing.T, hook string) *access.Server {
	t.Helper()
	srv, err := access.NewServer(chainID, e.chain, access.Hook{Command: hook, ChainID: chainID},
		filepath.Join(filepath.Dir(e.keys), "access.json"), slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	require.NoError(t, err)
	srv.SetClock(func() time.Time { return e.now })
	srv.Serve(1)
	return srv
}

func (e *env) sign(t *testing.T, key string, lease uint64, payload string, at time.Time) *types.AccessRequest {
	t.Helper()
	req, err := access.Sign(e.kr, key, chainID, lease, []byte(payload), at)
	require.NoError(t, err)
	return req
}

func code(err error) codes.Code { return status.Code(err) }

func TestAccessGrantsTheLesseeThroughTheHook(t *testing.T) {
	e := setup(t, "")
	resp, err := e.srv.Access(context.Background(), e.sign(t, "client", 1, "ssh-ed25519 AAAA lessee", e.now))
	require.NoError(t, err)
	require.Equal(t, uint64(1), resp.LeaseId)
	require.Equal(t, uint64(1), resp.DeviceId)
	require.Equal(t, e.now.Add(time.Hour).Unix(), resp.End)
	require.Equal(t, "ssh lease-1@host key=ssh-ed25519 AAAA lessee\n", resp.Details)
	key, err := os.ReadFile(filepath.Join(e.keys, "1"))
	require.NoError(t, err)
	require.Equal(t, "ssh-ed25519 AAAA lessee", string(key))
	log, err := os.ReadFile(e.log)
	require.NoError(t, err)
	require.Equal(t, fmt.Sprintf("grant 1 1 %s %s\n", e.client, chainID), string(log))
}

func TestAccessRefusals(t *testing.T) {
	e := setup(t, "")
	ctx := context.Background()
	tampered := e.sign(t, "client", 1, "my key", e.now)
	tampered.Payload = []byte("someone else's key")
	otherLease := e.sign(t, "client", 1, "", e.now)
	otherLease.LeaseId = 3
	shortKey := e.sign(t, "client", 1, "", e.now)
	shortKey.PubKey = shortKey.PubKey[:20]
	for _, tc := range []struct {
		name string
		req  *types.AccessRequest
		want codes.Code
	}{
		{"tampered payload", tampered, codes.Unauthenticated},
		{"signature for another lease", otherLease, codes.Unauthenticated},
		{"malformed key", shortKey, codes.InvalidArgument},
		{"another account's key", e.sign(t, "other", 1, "", e.now), codes.PermissionDenied},
		{"stale request", e.sign(t, "client", 1, "", e.now.Add(-access.Window-time.Second)), codes.DeadlineExceeded},
		{"request from the future", e.sign(t, "client", 1, "", e.now.Add(access.Window+time.Second)), codes.DeadlineExceeded},
		{"unknown lease", e.sign(t, "client", 9, "", e.now), codes.NotFound},
		{"lease on a device not served here", e.sign(t, "client", 2, "", e.now), codes.FailedPrecondition},
		{"payload too large", &types.AccessRequest{LeaseId: 1, Payload: make([]byte, access.MaxPayload+1)}, codes.InvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.srv.Access(ctx, tc.req)
			require.Equal(t, tc.want, code(err), "%v", err)
		})
	}
	_, err := os.Stat(e.log)
	require.ErrorIs(t, err, os.ErrNotExist, "the hook never ran")

	// A replayed request is refused even though it was valid once.
	req := e.sign(t, "client", 1, "k", e.now)
	_, err = e.srv.Access(ctx, req)
	require.NoError(t, err)
	_, err = e.srv.Access(ctx, req)
	require.Equal(t, codes.AlreadyExists, code(err), "%v", err)

	// A lease that is over, or past its end in chain time, gets no access.
	l := e.chain.leases[1]
	l.Status = poolstypes.LEASE_STATUS_TERMINATED
	e.chain.leases[1] = l
	_, err = e.srv.Access(ctx, e.sign(t, "client", 1, "k", e.now.Add(time.Second)))
	require.Equal(t, codes.FailedPrecondition, code(err), "%v", err)
	l.Status = poolstypes.LEASE_STATUS_ACTIVE
	e.chain.leases[1] = l
	e.chain.now = l.End
	_, err = e.srv.Access(ctx, e.sign(t, "client", 1, "k", e.now.Add(2*time.Second)))
	require.Equal(t, codes.FailedPrecondition, code(err), "%v", err)

	// The node being away is Unavailable, not a refusal of the lease.
	e.chain.down = true
	_, err = e.srv.Access(ctx, e.sign(t, "client", 1, "k", e.now.Add(3*time.Second)))
	require.Equal(t, codes.Unavailable, code(err), "%v", err)
}

func TestAccessHookFailureAndNoHook(t *testing.T) {
	e := setup(t, `echo "no such user" >&2; exit 3`)
	_, err := e.srv.Access(context.Background(), e.sign(t, "client", 1, "k", e.now))
	require.Equal(t, codes.Internal, code(err), "%v", err)
	require.NotContains(t, err.Error(), "no such user", "the hook's errors stay with the operator")

	srv, err := access.NewServer(chainID, e.chain, access.Hook{}, filepath.Join(t.TempDir(), "a.json"), slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	require.NoError(t, err)
	srv.SetClock(func() time.Time { return e.now })
	srv.Serve(1)
	_, err = srv.Access(context.Background(), e.sign(t, "client", 1, "k", e.now))
	require.Equal(t, codes.FailedPrecondition, code(err))
	require.Contains(t, err.Error(), "no access hook")
}

func TestSweepRevokesEndedLeasesAcrossRestarts(t *testing.T) {
	e := setup(t, "")
	ctx := context.Background()
	_, err := e.srv.Access(ctx, e.sign(t, "client", 1, "k", e.now))
	require.NoError(t, err)
	revoked, err := e.srv.Sweep(ctx)
	require.NoError(t, err)
	require.Empty(t, revoked, "an active lease keeps its access")

	// The sidecar restarts; the lease is terminated meanwhile. The new
	// server remembers the grant and revokes it once.
	l := e.chain.leases[1]
	l.Status = poolstypes.LEASE_STATUS_TERMINATED
	e.chain.leases[1] = l
	srv := e.server(t, e.hook)
	revoked, err = srv.Sweep(ctx)
	require.NoError(t, err)
	require.Equal(t, []uint64{1}, revoked)
	_, err = os.Stat(filepath.Join(e.keys, "1"))
	require.ErrorIs(t, err, os.ErrNotExist, "the hook removed the key")
	revoked, err = srv.Sweep(ctx)
	require.NoError(t, err)
	require.Empty(t, revoked)
	log, err := os.ReadFile(e.log)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(log)), "\n")
	require.Len(t, lines, 2)
	require.True(t, strings.HasPrefix(lines[1], "revoke 1 1 "), lines[1])
}

func TestSignBytes(t *testing.T) {
	// The format of the package comment: chain id, lease id, timestamp,
	// nonce and the payload's SHA-256 (here of the empty payload).
	require.Equal(t,
		"loopin/lease-access/v2\nloopin-test-1\n7\n1800000000\n000102\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		string(access.SignBytes(chainID, 7, 1_800_000_000, []byte{0, 1, 2}, nil)))
}

// A signed request captured on the wire and replayed after the miner
// sidecar restarts is still refused: the replay cache is on disk.
func TestAccessReplayCacheSurvivesRestart(t *testing.T) {
	e := setup(t, "")
	ctx := context.Background()
	req := e.sign(t, "client", 1, "my key", e.now)
	_, err := e.srv.Access(ctx, req)
	require.NoError(t, err)
	_, err = e.srv.Access(ctx, req)
	require.Equal(t, codes.AlreadyExists, code(err))

	restarted := e.server(t, e.hook)
	_, err = restarted.Access(ctx, req)
	require.Equal(t, codes.AlreadyExists, code(err), "the restarted sidecar remembers the used signature")
	_, err = restarted.Access(ctx, e.sign(t, "client", 1, "my key", e.now.Add(time.Second)))
	require.NoError(t, err, "a freshly signed request is granted")
}

// Any key can sign a request; only the lessee's are recorded against
// replay, so strangers cannot fill the replay file.
func TestAccessReplayFileHoldsOnlyLesseeRequests(t *testing.T) {
	e := setup(t, "")
	ctx := context.Background()
	_, err := e.srv.Access(ctx, e.sign(t, "other", 1, "k", e.now))
	require.Equal(t, codes.PermissionDenied, code(err))
	_, err = os.Stat(filepath.Join(filepath.Dir(e.keys), "access.json.replay.json"))
	require.ErrorIs(t, err, os.ErrNotExist, "nothing recorded for a stranger")
	_, err = e.srv.Access(ctx, e.sign(t, "client", 1, "k", e.now))
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(filepath.Dir(e.keys), "access.json.replay.json"))
	require.NoError(t, err, "the lessee's request is recorded")
}

// A hook that fails after installing something is undone at once: the
// sidecar runs revoke, and nothing stays granted.
func TestAccessFailedGrantIsRevoked(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "actions")
	e := setup(t, fmt.Sprintf(`echo "$LOOPIN_ACTION $LOOPIN_LEASE_ID" >> %s; [ "$LOOPIN_ACTION" = revoke ] || { echo "half done" >&2; exit 1; }`, log))
	_, err := e.srv.Access(context.Background(), e.sign(t, "client", 1, "k", e.now))
	require.Equal(t, codes.Internal, code(err))
	actions, err := os.ReadFile(log)
	require.NoError(t, err)
	require.Equal(t, "grant 1\nrevoke 1\n", string(actions))
	// Nothing is left for a later sweep to revoke, even once the lease ends.
	l := e.chain.leases[1]
	l.Status = poolstypes.LEASE_STATUS_ENDED
	e.chain.leases[1] = l
	revoked, err := e.srv.Sweep(context.Background())
	require.NoError(t, err)
	require.Empty(t, revoked)
}

// The attack on the operator's bookkeeping: the sidecar dies while the
// hook installs the lessee's key, before it could record anything after
// the hook. The grant was recorded before the hook ran, so the restarted
// sidecar still revokes it when the lease ends.
func TestGrantRecordedBeforeTheHookRuns(t *testing.T) {
	e := setup(t, "")
	ctx := context.Background()
	// A hook that records the grant's installation, then fails as a
	// crash would, without undoing: the revoke of the undo fails too.
	installed := filepath.Join(t.TempDir(), "installed")
	crashing := e.server(t, fmt.Sprintf(`case $LOOPIN_ACTION in grant) touch %[1]s; exit 1;; revoke) exit 1;; esac`, installed))
	_, err := crashing.Access(ctx, e.sign(t, "client", 1, "k", e.now))
	require.Error(t, err)
	require.FileExists(t, installed)

	// Restarted with a working hook after the lease was terminated: the
	// grant is in access.json, so the sweep revokes it.
	l := e.chain.leases[1]
	l.Status = poolstypes.LEASE_STATUS_TERMINATED
	e.chain.leases[1] = l
	revoked, err := e.server(t, fmt.Sprintf(`[ "$LOOPIN_ACTION" = revoke ] && rm %s`, installed)).Sweep(ctx)
	require.NoError(t, err)
	require.Equal(t, []uint64{1}, revoked)
	require.NoFileExists(t, installed)
}

func TestParseDetails(t *testing.T) {
	const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMvROyAhohmty9A0itYK5p4MDtn5hKCI2eZkCeDCzjxj"
	text, a, err := access.ParseDetails("lease 1 until noon\nssh_host=127.0.0.1\nssh_port=2222\nssh_user=gpu\nssh_host_key=" + hostKey + " host@x\nbye\n")
	require.NoError(t, err)
	require.Equal(t, "lease 1 until noon\nbye\n", text)
	require.Equal(t, &types.SSHAccess{Host: "127.0.0.1", Port: 2222, User: "gpu", HostKeys: []string{hostKey}}, a,
		"the host key without its comment")

	text, a, err = access.ParseDetails("container 7 on port 31000\n")
	require.NoError(t, err)
	require.Nil(t, a, "no ssh_* line: no endpoint")
	require.Equal(t, "container 7 on port 31000\n", text)

	endpoint := "ssh_host=h\nssh_port=22\nssh_user=u\nssh_host_key=" + hostKey + "\n"
	for name, tc := range map[string]struct{ out, err string }{
		"port zero":        {strings.Replace(endpoint, "=22", "=0", 1), "from 1 to 65535"},
		"port too large":   {strings.Replace(endpoint, "=22", "=65536", 1), "from 1 to 65535"},
		"no host key":      {"ssh_host=h\nssh_port=22\nssh_user=u\n", "incomplete SSH endpoint"},
		"no user":          {"ssh_host=h\nssh_port=22\nssh_host_key=" + hostKey + "\n", "incomplete SSH endpoint"},
		"bad host key":     {endpoint + "ssh_host_key=ssh-ed25519 AAAAnotbase64\n", "ssh_host_key="},
		"two hosts":        {endpoint + "ssh_host=evil\n", "ssh_host twice"},
		"unknown ssh_ key": {endpoint + "ssh_proxy=x\n", "ssh_proxy"},
		// A miner's hook handing the lessee's ssh an option of its own.
		"user as option":  {strings.Replace(endpoint, "ssh_user=u", "ssh_user=-oProxyCommand=touch /tmp/x #", 1), "ssh_user="},
		"host as option":  {strings.Replace(endpoint, "ssh_host=h", "ssh_host=-oProxyCommand=x", 1), "ssh_host="},
		"user with space": {strings.Replace(endpoint, "ssh_user=u", "ssh_user=a b", 1), "ssh_user="},
	} {
		_, _, err := access.ParseDetails(tc.out)
		require.ErrorContains(t, err, tc.err, name)
	}
}

// A hook that prints an endpoint that does not parse refuses access and
// is undone.
func TestAccessRefusesABadEndpoint(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "actions")
	e := setup(t, fmt.Sprintf(`echo "$LOOPIN_ACTION" >> %s; echo ssh_port=99999`, log))
	_, err := e.srv.Access(context.Background(), e.sign(t, "client", 1, "k", e.now))
	require.Equal(t, codes.Internal, code(err))
	actions, err := os.ReadFile(log)
	require.NoError(t, err)
	require.Equal(t, "grant\nrevoke\n", string(actions))
}

// Two requests signed in the same second with the same payload are two
// requests (their nonces differ), not a replay; a nonce changed on the wire
// breaks the signature, and a request without one is malformed.
func TestAccessNonce(t *testing.T) {
	e := setup(t, "")
	ctx := context.Background()
	a, b := e.sign(t, "client", 1, "my key", e.now), e.sign(t, "client", 1, "my key", e.now)
	require.NotEqual(t, a.Nonce, b.Nonce)
	_, err := e.srv.Access(ctx, a)
	require.NoError(t, err)
	_, err = e.srv.Access(ctx, b)
	require.NoError(t, err, "the same second, a new request")

	c := e.sign(t, "client", 1, "my key", e.now)
	c.Nonce[0] ^= 1
	_, err = e.srv.Access(ctx, c)
	require.Equal(t, codes.Unauthenticated, code(err))
	c.Nonce = nil
	_, err = e.srv.Access(ctx, c)
	require.Equal(t, codes.InvalidArgument, code(err))
	require.ErrorContains(t, err, "nonce must have 16 bytes")
}

// The attack on the bookkeeping by the lessee itself: a request whose
// payload makes the hook fail, sent together with a good one. Without the
// hook runs serialized, the bad one's undo could forget the grant after
// the good one's hook installed the key, which no sweep would then
// revoke. Whatever the interleaving, a key the hook installed is revoked
// once the lease ends.
func TestConcurrentGrantsLeaveNothingUnrevoked(t *testing.T) {
	installed := filepath.Join(t.TempDir(), "installed")
	e := setup(t, fmt.Sprintf(`case $LOOPIN_ACTION in
grant) sleep 0.0$(od -An -N1 -tu1 /dev/urandom | tr -d ' ' | cut -c1); [ "$(cat)" = good ] || exit 1; touch %[1]s;;
revoke) sleep 0.01; rm -f %[1]s;; esac`, installed))
	ctx := context.Background()
	for round := 0; round < 8; round++ {
		l := e.chain.leases[1]
		l.Status = poolstypes.LEASE_STATUS_ACTIVE
		e.chain.leases[1] = l
		done := make(chan error, 2)
		for _, payload := range []string{"bad", "good"} {
			req := e.sign(t, "client", 1, payload, e.now)
			go func() { _, err := e.srv.Access(ctx, req); done <- err }()
		}
		<-done
		<-done
		l.Status = poolstypes.LEASE_STATUS_ENDED
		e.chain.leases[1] = l
		_, err := e.srv.Sweep(ctx)
		require.NoError(t, err)
		require.NoFileExists(t, installed, "round %d: a key outlives its lease", round)
	}
}
