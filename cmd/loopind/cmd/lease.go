package cmd

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/renameio/v2"
	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"

	"github.com/loopin-project/loopin/sidecar/access"
	"github.com/loopin-project/loopin/sidecar/grpcapi"
	"github.com/loopin-project/loopin/sidecar/protocol"
	"github.com/loopin-project/loopin/sidecar/tlspin"
	"github.com/loopin-project/loopin/sidecar/types"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
)

// LeaseCmd is `loopind lease`: the client's side of a lease it holds.
func LeaseCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lease",
		Short: "Use a lease you hold: reach the leased device through its miner sidecar",
		RunE:  client.ValidateCmd,
	}
	cmd.AddCommand(leaseAccessCmd(), leaseSSHCmd(), leaseReportCmd())
	return cmd
}

func leaseReportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report [lease-id]",
		Short: "Report that the leased device does not serve you: the chain challenges it now",
		Long: "Sends MsgReportLease signed by --from (the lease's client). The device serving the lease gets a " +
			"residency challenge at once (or the pending one stands); if it fails and the failure is confirmed, " +
			"the lease is refunded its unused time and the revenue the device was paid since its last passed " +
			"challenge (docs/pocps.md §15). A device that passed less than report_cooldown ago is not " +
			"challenged again yet: the error says when to report again.",
		Example: "loopind lease report 1 --from client",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil || id == 0 {
				return fmt.Errorf("lease id %q is not a positive integer", args[0])
			}
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			msg := &pocpstypes.MsgReportLease{Client: clientCtx.GetFromAddress().String(), LeaseId: id}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

func leaseAccessCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "access [lease-id]",
		Short: "Ask the leased device's miner sidecar for access and print what its access hook returned",
		Long: "Signs a lease-access request with --from (the account that bought the lease), sends it to the miner " +
			"sidecar at the device's endpoint recorded on chain, and prints the access details its hook returned. " +
			"--payload-file hands a file to the hook, typically your SSH public key. Where the hook grants SSH, " +
			"`loopind lease ssh` does all of it and logs you in. The request is valid for 5 minutes and once.",
		Example: "loopind lease access 1 --from client --payload-file ~/.ssh/id_ed25519.pub",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var payload []byte
			if path, _ := cmd.Flags().GetString("payload-file"); path != "" {
				var err error
				if payload, err = os.ReadFile(path); err != nil {
					return err
				}
			}
			resp, clientCtx, err := requestAccess(cmd, args[0], payload)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), resp.Details)
			if resp.Ssh != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "ssh: %s@%s port %d (host key %s)\nlog in: loopind lease ssh %d --from %s\n",
					resp.Ssh.User, resp.Ssh.Host, resp.Ssh.Port, resp.Ssh.HostKeys[0], resp.LeaseId, clientCtx.FromName)
			}
			return nil
		},
	}
	addAccessFlags(cmd)
	cmd.Flags().String("payload-file", "", "a file handed to the device's access hook (e.g. your SSH public key)")
	return cmd
}

func leaseSSHCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ssh [lease-id] [-- command...]",
		Short: "Log in over SSH to the device you lease, with your SSH key and the host key its miner vouches for",
		Long: "Asks the leased device's miner sidecar for SSH access as `lease access` does, handing it the public " +
			"half of --identity (default: the first of ~/.ssh/id_ed25519, id_ecdsa, id_rsa; the key must have its .pub " +
			"beside it), then runs ssh to the host, port and user the miner's access hook granted. The host key is " +
			"the one the sidecar sent over the TLS channel pinned to the certificate the device registered on chain; " +
			"it is written to <home>/lease-ssh/known_hosts under the name loopin-<chain-id>-lease-<id> and ssh is " +
			"told to accept that key only: there is no prompt to trust an unknown host, and a server with another " +
			"key (a man in the middle) is refused. Words after the lease id (after --) run as a command on the " +
			"device host; without them you get a shell. The key works until the lease ends or is terminated; " +
			"the miner then removes it and ends your sessions. ssh's exit status is loopind's.",
		Example: "loopind lease ssh 1 --from client\n" +
			"loopind lease ssh 1 --from client -- nvidia-smi\n" +
			"loopind lease ssh 1 --from client --identity ~/.ssh/lease_key --print",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			identity, _ := cmd.Flags().GetString("identity")
			identity, err := sshIdentity(identity)
			if err != nil {
				return err
			}
			pub, err := os.ReadFile(identity + ".pub")
			if err != nil {
				return fmt.Errorf("the public key of %s: %w (make one with `ssh-keygen -y -f %s > %s.pub`)", identity, err, identity, identity)
			}
			resp, clientCtx, err := requestAccess(cmd, args[0], pub)
			if err != nil {
				return err
			}
			if resp.Ssh == nil {
				return fmt.Errorf("the miner's access hook granted lease %d but gave no SSH endpoint; it said:\n%s", resp.LeaseId, resp.Details)
			}
			alias := fmt.Sprintf("loopin-%s-lease-%d", clientCtx.ChainID, resp.LeaseId)
			knownHosts := filepath.Join(clientCtx.HomeDir, "lease-ssh", "known_hosts")
			if err := writeKnownHosts(knownHosts, alias, resp.Ssh.HostKeys); err != nil {
				return err
			}
			sshArgs := sshArgv(identity, knownHosts, alias, resp.Ssh, args[1:])
			sshBin, _ := cmd.Flags().GetString("ssh")
			if p, _ := cmd.Flags().GetBool("print"); p {
				fmt.Fprintln(cmd.OutOrStdout(), shellJoin(append([]string{sshBin}, sshArgs...)))
				return nil
			}
			c := exec.CommandContext(cmd.Context(), sshBin, sshArgs...)
			c.Stdin, c.Stdout, c.Stderr = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			err = c.Run()
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				return ExitError{Code: exit.ExitCode(), Err: fmt.Errorf("ssh to lease %d exited with status %d", resp.LeaseId, exit.ExitCode())}
			}
			return err
		},
	}
	addAccessFlags(cmd)
	cmd.Flags().String("identity", "", "your SSH private key (default: ~/.ssh/id_ed25519, id_ecdsa or id_rsa); its .pub is sent to the miner")
	cmd.Flags().Bool("print", false, "print the ssh command line instead of running it")
	cmd.Flags().String("ssh", "ssh", "the ssh program to run")
	return cmd
}

// addAccessFlags adds the flags of a lease-access request: the node to
// read the lease from, the signing key and the sidecar's timeout.
func addAccessFlags(cmd *cobra.Command) {
	flags.AddQueryFlagsToCmd(cmd)
	cmd.Flags().String(flags.FlagFrom, "", "the key of the account that holds the lease")
	cmd.Flags().String(flags.FlagChainID, "", "the chain's id, signed into the request (default: client.toml's)")
	cmd.Flags().String(flags.FlagKeyringBackend, flags.DefaultKeyringBackend, "the keyring backend: os, file or test")
	cmd.Flags().String(flags.FlagKeyringDir, "", "the keyring's directory (default: the home directory)")
	cmd.Flags().Duration("timeout", 60*time.Second, "how long to wait for the miner sidecar")
}

// requestAccess signs a lease-access request for the lease named by arg
// with --from and payload, sends it to the miner sidecar at the device's
// endpoint on chain over TLS pinned to the device's registered certificate
// hash, and returns the sidecar's answer. Errors: a bad lease id, no
// --from, a lease that is unknown, not the key's or not active, an
// unreachable or refusing sidecar.
func requestAccess(cmd *cobra.Command, arg string, payload []byte) (*types.AccessResponse, client.Context, error) {
	id, err := strconv.ParseUint(arg, 10, 64)
	if err != nil || id == 0 {
		return nil, client.Context{}, fmt.Errorf("lease id %q is not a positive integer", arg)
	}
	clientCtx, err := client.GetClientTxContext(cmd)
	if err != nil {
		return nil, clientCtx, err
	}
	if clientCtx.FromName == "" {
		return nil, clientCtx, errors.New("--from is required: the key of the account that holds the lease")
	}
	ctx := cmd.Context()
	lres, err := poolstypes.NewQueryClient(clientCtx).Lease(ctx, &poolstypes.QueryLeaseRequest{LeaseId: id})
	if status.Code(err) == codes.NotFound {
		return nil, clientCtx, fmt.Errorf("lease %d not found: `loopind q pools leases-by-client %s` lists yours", id, clientCtx.FromAddress)
	} else if err != nil {
		return nil, clientCtx, fmt.Errorf("lease %d: %w", id, err)
	}
	lease := lres.Lease
	if lease.Client != clientCtx.FromAddress.String() {
		return nil, clientCtx, fmt.Errorf("lease %d belongs to %s, not to %s (%s)", id, lease.Client, clientCtx.FromName, clientCtx.FromAddress)
	}
	if lease.Status != poolstypes.LEASE_STATUS_ACTIVE {
		return nil, clientCtx, fmt.Errorf("lease %d is %s: access needs an active lease", id, lease.Status)
	}
	dres, err := pocpstypes.NewQueryClient(clientCtx).Device(ctx, &pocpstypes.QueryDeviceRequest{DeviceId: lease.DeviceId})
	if err != nil {
		return nil, clientCtx, fmt.Errorf("device %d: %w", lease.DeviceId, err)
	}
	req, err := access.Sign(clientCtx.Keyring, clientCtx.FromName, clientCtx.ChainID, id, payload, time.Now())
	if err != nil {
		return nil, clientCtx, err
	}
	// TLS pinned to the certificate the device registered: a man in the
	// middle presents another and the handshake fails. What comes back
	// (the SSH host keys among it) is therefore the device's word.
	conn, err := grpc.NewClient(dres.Device.Endpoint, grpc.WithTransportCredentials(tlspin.ClientCredentials(dres.Device.TlsCertHash)),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(grpcapi.Codec())))
	if err != nil {
		return nil, clientCtx, fmt.Errorf("miner sidecar %s: %w", dres.Device.Endpoint, err)
	}
	defer conn.Close()
	timeout, _ := cmd.Flags().GetDuration("timeout")
	callCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := access.Request(callCtx, conn, req)
	if err != nil {
		return nil, clientCtx, fmt.Errorf("miner sidecar of device %d at %s: %w", lease.DeviceId, dres.Device.Endpoint, err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "access granted: lease %d on device %d until %s\n", resp.LeaseId, resp.DeviceId,
		time.Unix(resp.End, 0).UTC().Format(time.RFC3339))
	return resp, clientCtx, nil
}

// sshIdentity returns the private key to log in with: path when given,
// else the first of ~/.ssh/id_ed25519, id_ecdsa, id_rsa that exists.
// Errors: a given path that does not exist, none of the defaults found.
func sshIdentity(path string) (string, error) {
	if path != "" {
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("--identity: %w", err)
		}
		return path, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	for _, name := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
		p := filepath.Join(home, ".ssh", name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no SSH key in %s: make one with `ssh-keygen -t ed25519` or pass --identity", filepath.Join(home, ".ssh"))
}

// sshArgv returns ssh's arguments for logging in to a with identity,
// accepting only the host keys known_hosts holds for alias, then running
// command (none: a shell). The user goes in -l and the host after --, so
// that neither can be read as an option whatever the sidecar sent.
func sshArgv(identity, knownHosts, alias string, a *types.SSHAccess, command []string) []string {
	argv := []string{"-i", identity, "-o", "IdentitiesOnly=yes",
		"-o", "UserKnownHostsFile=" + knownHosts, "-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "StrictHostKeyChecking=yes", "-o", "HostKeyAlias=" + alias,
		"-p", strconv.FormatUint(uint64(a.Port), 10), "-l", a.User, "--", a.Host}
	return append(argv, command...)
}

// writeKnownHosts makes keys (authorized_keys format) the only host keys
// of alias in the known_hosts file at path, keeping the other aliases'
// lines. Errors: a key that does not parse, the file unreadable.
func writeKnownHosts(path, alias string, keys []string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	var b strings.Builder
	for _, line := range strings.Split(string(old), "\n") {
		if line != "" && !strings.HasPrefix(line, alias+" ") {
			b.WriteString(line + "\n")
		}
	}
	for _, k := range keys {
		pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(k))
		if err != nil {
			return fmt.Errorf("the miner sent host key %q: %w", k, err)
		}
		b.WriteString(knownhosts.Line([]string{alias}, pk) + "\n")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return renameio.WriteFile(path, []byte(b.String()), 0o600)
}

// shellJoin quotes args for a POSIX shell.
func shellJoin(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./-_") == "" {
			quoted[i] = a
		} else {
			quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(quoted, " ")
}

// ExitError is an error that sets loopind's exit status (ssh's, for
// `lease ssh`); main prints Err and exits with Code.
type ExitError struct {
	Code int
	Err  error
}

func (e ExitError) Error() string { return e.Err.Error() }
func (e ExitError) Unwrap() error { return e.Err }

// TranscriptCmd is `loopind sidecar transcript`: a challenge's full
// transcript from the verifier that ran it, checked against the hash on
// chain.
func TranscriptCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "transcript [challenge-id]",
		Short: "Fetch a challenge's full transcript from its verifier's sidecar and check it against the hash on chain",
		Long: "Reads the challenge and its verifier's endpoint from the chain, asks that verifier sidecar for the full " +
			"transcript (every request, answer, opening and timing), checks that its SHA-256 is the transcript_hash " +
			"the accepted report recorded, and prints it (-o json for JSON).",
		Example: "loopind sidecar transcript 7",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil || id == 0 {
				return fmt.Errorf("challenge id %q is not a positive integer", args[0])
			}
			clientCtx, err := client.GetClientQueryContext(cmd)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			q := pocpstypes.NewQueryClient(clientCtx)
			cres, err := q.Challenge(ctx, &pocpstypes.QueryChallengeRequest{ChallengeId: id})
			if err != nil {
				return fmt.Errorf("challenge %d: %w", id, err)
			}
			ch := cres.Challenge
			if len(ch.TranscriptHash) == 0 {
				return fmt.Errorf("challenge %d (%s, %s) has no transcript hash on chain: setup challenges and missed deadlines have none", id, ch.Kind, ch.Status)
			}
			vres, err := q.Verifiers(ctx, &pocpstypes.QueryVerifiersRequest{})
			if err != nil {
				return err
			}
			endpoint := ""
			for _, v := range vres.Verifiers {
				if v.Validator == ch.Verifier {
					endpoint = v.Endpoint
				}
			}
			if endpoint == "" {
				return fmt.Errorf("the verifier of challenge %d (%s) is no longer registered", id, ch.Verifier)
			}
			// TLS for privacy; the transcript's integrity is its hash on chain,
			// checked below, so the verifier's certificate is not pinned.
			conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS13, InsecureSkipVerify: true})),
				grpc.WithDefaultCallOptions(grpc.ForceCodec(grpcapi.Codec())))
			if err != nil {
				return err
			}
			defer conn.Close()
			callCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			t, err := types.NewVerifierClient(conn).Transcript(callCtx, &types.TranscriptRequest{ChallengeId: id})
			if err != nil {
				return fmt.Errorf("verifier sidecar at %s: %w", endpoint, err)
			}
			hash, err := protocol.TranscriptHash(t)
			if err != nil {
				return err
			}
			if !bytes.Equal(hash, ch.TranscriptHash) {
				return fmt.Errorf("the transcript served by %s hashes to %X, the chain recorded %X", endpoint, hash, ch.TranscriptHash)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "transcript of challenge %d matches the hash on chain (%X)\n", id, hash)
			return clientCtx.PrintProto(t)
		},
	}
	flags.AddQueryFlagsToCmd(cmd)
	return cmd
}
