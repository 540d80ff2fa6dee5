// Package access is lease access (docs/operators.md "Lease access"): how
// the lessee of a device reaches it. The lessee signs a request with its
// account key (secp256k1, the key that bought the lease); the miner sidecar
// serving the device checks the signature, the lease on chain and the
// request's freshness, runs the operator's access hook (for example one
// that installs the lessee's SSH key) and answers with what the hook
// printed. When the lease ends, is terminated or breaks, the sidecar runs
// the hook again to revoke it.
//
// Sign bytes (SignBytes):
//
//	"loopin/lease-access/v2\n" chain_id "\n" lease_id "\n" timestamp "\n" hex(nonce) "\n" hex(SHA-256(payload))
//
// with lease_id and timestamp (Unix seconds) in decimal and a nonce of
// NonceSize random bytes. The chain id binds a request to one chain; the
// timestamp bounds replay to Window, and the server refuses a signature it
// has already seen within that window; the nonce makes two requests signed
// within one second distinct.
package access

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/renameio/v2"
	"golang.org/x/crypto/ssh"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"

	"github.com/loopin-project/loopin/sidecar/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
)

const (
	// Window is how far a request's timestamp may be from the sidecar's
	// clock (either way).
	Window = 5 * time.Minute
	// MaxPayload bounds the payload handed to the hook, bytes.
	MaxPayload = 8 << 10
	// MaxDetails bounds what the hook may print, bytes.
	MaxDetails = 64 << 10
	// HookTimeout bounds one run of the hook.
	HookTimeout = 30 * time.Second
	// NonceSize is the size of a request's nonce, bytes.
	NonceSize = 16
)

// SignBytes returns the bytes a lessee signs to ask for access to lease
// leaseID on chain chainID at timestamp (Unix seconds) with nonce, handing
// payload to the hook. The format is in the package comment.
func SignBytes(chainID string, leaseID uint64, timestamp int64, nonce, payload []byte) []byte {
	h := sha256.Sum256(payload)
	return []byte("loopin/lease-access/v2\n" + chainID + "\n" + strconv.FormatUint(leaseID, 10) + "\n" +
		strconv.FormatInt(timestamp, 10) + "\n" + hex.EncodeToString(nonce) + "\n" + hex.EncodeToString(h[:]))
}

// Sign builds the request for lease leaseID signed by key from of kr at
// time now. Errors: a missing key, a key that is not secp256k1, a payload
// over MaxPayload.
func Sign(kr keyring.Keyring, from, chainID string, leaseID uint64, payload []byte, now time.Time) (*types.AccessRequest, error) {
	if len(payload) > MaxPayload {
		return nil, fmt.Errorf("the payload has %d bytes, at most %d", len(payload), MaxPayload)
	}
	ts := now.Unix()
	nonce := make([]byte, NonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	sig, pub, err := kr.Sign(from, SignBytes(chainID, leaseID, ts, nonce, payload), signing.SignMode_SIGN_MODE_DIRECT)
	if err != nil {
		return nil, fmt.Errorf("sign with key %q: %w", from, err)
	}
	if _, ok := pub.(*secp256k1.PubKey); !ok {
		return nil, fmt.Errorf("key %q is %s: lease access needs a secp256k1 account key", from, pub.Type())
	}
	return &types.AccessRequest{LeaseId: leaseID, PubKey: pub.Bytes(), Timestamp: ts, Nonce: nonce, Payload: payload, Signature: sig}, nil
}

// Request asks the miner sidecar at conn for access with req.
func Request(ctx context.Context, conn grpc.ClientConnInterface, req *types.AccessRequest) (*types.AccessResponse, error) {
	return types.NewLeaseAccessClient(conn).Access(ctx, req)
}

// Chain is what the server reads from the chain: a lease by id and the
// chain's time (the latest block's).
type Chain interface {
	Lease(ctx context.Context, id uint64) (poolstypes.Lease, error)
	Time(ctx context.Context) (time.Time, error)
}

// ErrNoLease is what Chain.Lease returns (wrapped) for an unknown lease.
var ErrNoLease = errors.New("no such lease")

// Hook is the operator's access hook: a shell command (sh -c) run with the
// lease in its environment — LOOPIN_ACTION (grant or revoke),
// LOOPIN_LEASE_ID, LOOPIN_DEVICE_ID, LOOPIN_CLIENT (bech32), LOOPIN_LEASE_END
// (RFC 3339, UTC), LOOPIN_CHAIN_ID — and the lessee's payload on its
// standard input. On grant its standard output is the access details sent
// to the lessee; a non-zero exit refuses access.
type Hook struct {
	// Command is the shell command; empty means no hook: access is refused
	// with a clear message.
	Command string
	ChainID string
}

// Run runs the hook for action on lease with payload and returns its
// standard output. Errors: no hook, a non-zero exit (with its standard
// error's tail), a timeout, output over MaxDetails.
func (h Hook) Run(ctx context.Context, action string, lease poolstypes.Lease, payload []byte) (string, error) {
	if h.Command == "" {
		return "", errors.New("this miner has no access hook configured (access_hook in its config)")
	}
	ctx, cancel := context.WithTimeout(ctx, HookTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", h.Command)
	// The hook and whatever it started are one process group, killed
	// whole at the timeout; output pipes held open by a leftover child do
	// not keep Run waiting past WaitDelay.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = append(os.Environ(),
		"LOOPIN_ACTION="+action,
		"LOOPIN_LEASE_ID="+strconv.FormatUint(lease.Id, 10),
		"LOOPIN_DEVICE_ID="+strconv.FormatUint(lease.DeviceId, 10),
		"LOOPIN_CLIENT="+lease.Client,
		"LOOPIN_LEASE_END="+lease.End.UTC().Format(time.RFC3339),
		"LOOPIN_CHAIN_ID="+h.ChainID,
	)
	cmd.Stdin = bytes.NewReader(payload)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		msg := errOut.String()
		if len(msg) > 512 {
			msg = msg[len(msg)-512:]
		}
		return "", fmt.Errorf("access hook (%s) failed: %w: %s", action, err, msg)
	}
	if out.Len() > MaxDetails {
		return "", fmt.Errorf("access hook printed %d bytes, at most %d", out.Len(), MaxDetails)
	}
	return out.String(), nil
}

// Server serves loopin.sidecar.v1.LeaseAccess for the devices a miner
// sidecar serves. Granted leases are kept in a file so that a restarted
// sidecar still revokes them (Sweep). Safe for concurrent use.
type Server struct {
	chainID string
	chain   Chain
	hook    Hook
	path    string
	log     *slog.Logger
	now     func() time.Time

	mu      sync.Mutex
	devices map[uint64]bool
	seen    map[[32]byte]time.Time
	granted map[uint64]poolstypes.Lease
	// hookMu serializes the hook's runs and the granted set's updates
	// around them (grant, its undo, revoke), so that a revocation never
	// interleaves with a grant. A sidecar serves one device, so one active
	// lease at a time: there is nothing to run in parallel.
	hookMu sync.Mutex
	// onAnswer is told each answer's outcome (metrics).
	onAnswer func(granted bool)
}

var _ types.LeaseAccessServer = (*Server)(nil)

// NewServer serves lease access on chain chainID with hook, keeping the
// granted leases in path (a JSON file). onAnswer, if not nil, is called
// with each answer's outcome (metrics). Errors: an unreadable path.
func NewServer(chainID string, chain Chain, hook Hook, path string, log *slog.Logger, onAnswer func(granted bool)) (*Server, error) {
	s := &Server{chainID: chainID, chain: chain, hook: hook, path: path, log: log, now: time.Now,
		devices: map[uint64]bool{}, seen: map[[32]byte]time.Time{}, granted: map[uint64]poolstypes.Lease{}, onAnswer: onAnswer}
	bz, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		var leases []poolstypes.Lease
		if err := json.Unmarshal(bz, &leases); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		for _, l := range leases {
			s.granted[l.Id] = l
		}
	}
	if err := s.loadSeen(); err != nil {
		return nil, err
	}
	return s, nil
}

// seenEntry is one used request signature in the replay file.
type seenEntry struct {
	Hash []byte `json:"sig_sha256"`
	At   int64  `json:"at"`
}

// replayPath keeps the signatures used within the last 2 × Window, so a
// restarted sidecar still refuses a replayed request.
func (s *Server) replayPath() string { return s.path + ".replay.json" }

func (s *Server) loadSeen() error {
	bz, err := os.ReadFile(s.replayPath())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	var entries []seenEntry
	if err := json.Unmarshal(bz, &entries); err != nil {
		return fmt.Errorf("%s: %w", s.replayPath(), err)
	}
	for _, e := range entries {
		var h [32]byte
		copy(h[:], e.Hash)
		s.seen[h] = time.Unix(e.At, 0)
	}
	return nil
}

// saveSeen writes the used signatures (s.mu held), oldest first.
func (s *Server) saveSeen() error {
	entries := make([]seenEntry, 0, len(s.seen))
	for h, t := range s.seen {
		entries = append(entries, seenEntry{Hash: append([]byte(nil), h[:]...), At: t.Unix()})
	}
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].At != entries[j].At {
			return entries[i].At < entries[j].At
		}
		return bytes.Compare(entries[i].Hash, entries[j].Hash) < 0
	})
	bz, err := json.Marshal(entries)
	if err != nil {
		return err
	}
	return renameio.WriteFile(s.replayPath(), bz, 0o600)
}

// SetClock replaces the clock requests' timestamps are checked against
// (tests).
func (s *Server) SetClock(now func() time.Time) { s.now = now }

// Serve adds device id to the devices whose leases this server grants.
func (s *Server) Serve(id uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.devices[id] = true
}

// Register registers the service on g.
func (s *Server) Register(g *grpc.Server) { types.RegisterLeaseAccessServer(g, s) }

// Access implements types.LeaseAccessServer. Errors (gRPC codes):
// InvalidArgument for a malformed request, Unauthenticated for a bad
// signature, DeadlineExceeded for a stale timestamp, AlreadyExists for a
// replayed one, NotFound for an unknown lease, PermissionDenied when the
// key is not the lease's client, FailedPrecondition for a lease that is not
// active or not on a device served here (or no hook configured), Internal
// when the hook fails, Unavailable when the node cannot be read.
func (s *Server) Access(ctx context.Context, req *types.AccessRequest) (*types.AccessResponse, error) {
	resp, err := s.access(ctx, req)
	if s.onAnswer != nil {
		s.onAnswer(err == nil)
	}
	if err != nil {
		s.log.Info("lease access refused", "lease", req.LeaseId, "err", err)
	}
	return resp, err
}

func (s *Server) access(ctx context.Context, req *types.AccessRequest) (*types.AccessResponse, error) {
	switch {
	case len(req.Payload) > MaxPayload:
		return nil, status.Errorf(codes.InvalidArgument, "payload has %d bytes, at most %d", len(req.Payload), MaxPayload)
	case len(req.Nonce) != NonceSize:
		return nil, status.Errorf(codes.InvalidArgument, "nonce must have %d bytes, got %d", NonceSize, len(req.Nonce))
	case len(req.PubKey) != secp256k1.PubKeySize:
		return nil, status.Errorf(codes.InvalidArgument, "pub_key must be a %d-byte compressed secp256k1 key, got %d bytes", secp256k1.PubKeySize, len(req.PubKey))
	}
	now := s.now()
	if d := now.Sub(time.Unix(req.Timestamp, 0)); d > Window || d < -Window {
		return nil, status.Errorf(codes.DeadlineExceeded, "the request was signed at %s, more than %s from this sidecar's clock (%s): sign it anew",
			time.Unix(req.Timestamp, 0).UTC().Format(time.RFC3339), Window, now.UTC().Format(time.RFC3339))
	}
	pub := &secp256k1.PubKey{Key: req.PubKey}
	if !pub.VerifySignature(SignBytes(s.chainID, req.LeaseId, req.Timestamp, req.Nonce, req.Payload), req.Signature) {
		return nil, status.Errorf(codes.Unauthenticated, "the signature does not verify for lease %d on chain %s", req.LeaseId, s.chainID)
	}
	lease, err := s.chain.Lease(ctx, req.LeaseId)
	if errors.Is(err, ErrNoLease) {
		return nil, status.Errorf(codes.NotFound, "lease %d does not exist", req.LeaseId)
	} else if err != nil {
		return nil, status.Errorf(codes.Unavailable, "reading lease %d: %v", req.LeaseId, err)
	}
	s.mu.Lock()
	served := s.devices[lease.DeviceId]
	s.mu.Unlock()
	if !served {
		return nil, status.Errorf(codes.FailedPrecondition, "lease %d is on device %d, which this sidecar does not serve", lease.Id, lease.DeviceId)
	}
	client, err := sdk.AccAddressFromBech32(lease.Client)
	if err != nil || !bytes.Equal(client, pub.Address()) {
		return nil, status.Errorf(codes.PermissionDenied, "lease %d belongs to %s, not to the signing key", lease.Id, lease.Client)
	}
	// Recorded against replay only now: a signature that is not the lessee's
	// (any key can sign) never reaches the replay file.
	sigHash := sha256.Sum256(req.Signature)
	s.mu.Lock()
	for k, t := range s.seen {
		if now.Sub(t) > 2*Window {
			delete(s.seen, k)
		}
	}
	_, replayed := s.seen[sigHash]
	var saveErr error
	if !replayed {
		s.seen[sigHash] = now
		saveErr = s.saveSeen()
	}
	s.mu.Unlock()
	if replayed {
		return nil, status.Error(codes.AlreadyExists, "this signed request was already used: sign a new one")
	}
	if saveErr != nil {
		return nil, status.Errorf(codes.Internal, "recording the request against replay: %v", saveErr)
	}

	chainNow, err := s.chain.Time(ctx)
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "reading the chain's time: %v", err)
	}
	if lease.Status != poolstypes.LEASE_STATUS_ACTIVE || !lease.End.After(chainNow) {
		return nil, status.Errorf(codes.FailedPrecondition, "lease %d is not active (%s, end %s)", lease.Id, lease.Status, lease.End.UTC().Format(time.RFC3339))
	}
	if s.hook.Command == "" {
		return nil, status.Error(codes.FailedPrecondition, "this miner has no access hook configured: ask its operator")
	}
	// The grant is recorded before the hook runs: a sidecar that dies
	// while the hook installs the key still revokes it after its restart
	// (Sweep).
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	if err := s.remember(lease, true); err != nil {
		return nil, status.Errorf(codes.Internal, "recording the grant: %v", err)
	}
	out, err := s.hook.Run(ctx, "grant", lease, req.Payload)
	var details string
	var sshAccess *types.SSHAccess
	if err == nil {
		details, sshAccess, err = ParseDetails(out)
	}
	if err != nil {
		s.log.Error("access hook failed", "lease", lease.Id, "err", err)
		s.undo(ctx, lease)
		return nil, status.Errorf(codes.Internal, "the miner's access hook failed for lease %d", lease.Id)
	}
	s.log.Info("lease access granted", "lease", lease.Id, "device", lease.DeviceId, "client", lease.Client)
	return &types.AccessResponse{LeaseId: lease.Id, DeviceId: lease.DeviceId, End: lease.End.Unix(), Details: details, Ssh: sshAccess}, nil
}

// undo revokes a grant whose hook failed, so that nothing it installed
// before failing stays. Where the revocation fails too, the lease stays
// in the granted set and Sweep revokes it when the lease ends.
func (s *Server) undo(ctx context.Context, lease poolstypes.Lease) {
	if _, err := s.hook.Run(ctx, "revoke", lease, nil); err != nil {
		s.log.Error("revoking a failed grant failed, will retry when the lease ends", "lease", lease.Id, "err", err)
		return
	}
	if err := s.remember(lease, false); err != nil {
		s.log.Error("recording a revocation", "lease", lease.Id, "err", err)
	}
}

// validSSHName says whether v is a user or host name that ssh takes as
// one: letters, digits, '.', '_', '-' and ':' (IPv6), not starting with
// '-' (an option) and at most 253 bytes. A miner's hook could otherwise
// hand the lessee's ssh an option such as -oProxyCommand.
func validSSHName(v string) bool {
	if v == "" || len(v) > 253 || v[0] == '-' {
		return false
	}
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == ':') {
			return false
		}
	}
	return true
}

// ParseDetails splits what an access hook printed on grant into the text
// for the lessee and the SSH endpoint given by lines of the form
//
//	ssh_host=HOST  ssh_port=PORT  ssh_user=USER  ssh_host_key=TYPE BASE64 [COMMENT]
//
// (ssh_host_key once per host key, in authorized_keys format). With no
// ssh_* line the endpoint is nil. Errors: an unknown ssh_* key, a repeated
// ssh_host, ssh_port or ssh_user, an endpoint missing one of them or a host
// key, a port outside 1 to 65535, a host key that does not parse.
func ParseDetails(out string) (string, *types.SSHAccess, error) {
	var text strings.Builder
	var a types.SSHAccess
	seen := map[string]bool{}
	for _, line := range strings.SplitAfter(out, "\n") {
		key, value, ok := strings.Cut(strings.TrimRight(line, "\r\n"), "=")
		if !ok || !strings.HasPrefix(key, "ssh_") {
			text.WriteString(line)
			continue
		}
		if seen[key] && key != "ssh_host_key" {
			return "", nil, fmt.Errorf("the access hook printed %s twice", key)
		}
		seen[key] = true
		switch key {
		case "ssh_host":
			if !validSSHName(strings.Trim(value, "[]")) {
				return "", nil, fmt.Errorf("the access hook printed ssh_host=%q: want a host name or an IP address", value)
			}
			a.Host = value
		case "ssh_port":
			port, err := strconv.ParseUint(value, 10, 16)
			if err != nil || port == 0 {
				return "", nil, fmt.Errorf("the access hook printed ssh_port=%q: want a port from 1 to 65535", value)
			}
			a.Port = uint32(port)
		case "ssh_user":
			if !validSSHName(value) {
				return "", nil, fmt.Errorf("the access hook printed ssh_user=%q: want letters, digits, '.', '_' and '-', not first", value)
			}
			a.User = value
		case "ssh_host_key":
			pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(value))
			if err != nil {
				return "", nil, fmt.Errorf("the access hook printed ssh_host_key=%q: %w", value, err)
			}
			a.HostKeys = append(a.HostKeys, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk))))
		default:
			return "", nil, fmt.Errorf("the access hook printed %s: the known keys are ssh_host, ssh_port, ssh_user and ssh_host_key", key)
		}
	}
	if len(seen) == 0 {
		return text.String(), nil, nil
	}
	if a.Host == "" || a.Port == 0 || a.User == "" || len(a.HostKeys) == 0 {
		return "", nil, fmt.Errorf("the access hook printed an incomplete SSH endpoint (host %q, port %d, user %q, %d host keys): it needs ssh_host, ssh_port, ssh_user and at least one ssh_host_key",
			a.Host, a.Port, a.User, len(a.HostKeys))
	}
	return text.String(), &a, nil
}

// remember adds (grant) or drops a lease from the granted set and writes
// the set to disk.
func (s *Server) remember(lease poolstypes.Lease, grant bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if grant {
		s.granted[lease.Id] = lease
	} else {
		delete(s.granted, lease.Id)
	}
	leases := make([]poolstypes.Lease, 0, len(s.granted))
	for _, l := range s.granted {
		leases = append(leases, l)
	}
	slices.SortFunc(leases, func(a, b poolstypes.Lease) int { return cmp.Compare(a.Id, b.Id) })
	bz, err := json.Marshal(leases)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return err
	}
	return renameio.WriteFile(s.path, bz, 0o600)
}

// revoke runs the hook's revoke for granted lease id and forgets it; lease
// is the chain's record when onChain. ok is false where the lease was
// undone meanwhile or the hook failed (logged; Sweep tries again). The
// error is one of writing the granted set.
func (s *Server) revoke(ctx context.Context, id uint64, lease poolstypes.Lease, onChain bool) (poolstypes.Lease, bool, error) {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	s.mu.Lock()
	granted, still := s.granted[id]
	s.mu.Unlock()
	if !still {
		return granted, false, nil
	}
	if onChain {
		granted = lease
	}
	if _, err := s.hook.Run(ctx, "revoke", granted, nil); err != nil {
		s.log.Error("revoking lease access failed, will retry", "lease", id, "err", err)
		return granted, false, nil
	}
	return granted, true, s.remember(granted, false)
}

// Sweep revokes access for every granted lease that is no longer active
// (ended, terminated, broken, or past its end in chain time) by running
// the hook with action revoke. A lease whose revocation fails stays
// granted and is tried again at the next sweep. It returns the revoked
// leases' ids.
func (s *Server) Sweep(ctx context.Context) ([]uint64, error) {
	s.mu.Lock()
	ids := make([]uint64, 0, len(s.granted))
	for id := range s.granted {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	if len(ids) == 0 {
		return nil, nil
	}
	slices.Sort(ids)
	chainNow, err := s.chain.Time(ctx)
	if err != nil {
		return nil, err
	}
	var revoked []uint64
	for _, id := range ids {
		lease, err := s.chain.Lease(ctx, id)
		if err != nil && !errors.Is(err, ErrNoLease) {
			return revoked, err
		}
		if err == nil && lease.Status == poolstypes.LEASE_STATUS_ACTIVE && lease.End.After(chainNow) {
			continue
		}
		onChain := err == nil // else pruned from the chain: revoke what was granted
		granted, ok, err := s.revoke(ctx, id, lease, onChain)
		if err != nil {
			return revoked, err
		}
		if !ok {
			continue
		}
		s.log.Info("lease access revoked", "lease", id, "status", granted.Status.String())
		revoked = append(revoked, id)
	}
	return revoked, nil
}
