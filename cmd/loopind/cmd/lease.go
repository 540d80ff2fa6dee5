package cmd

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"
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
	cmd.AddCommand(leaseAccessCmd(), leaseReportCmd())
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
			"sidecar at the device's endpoint recorded on chain, and prints the access details its hook returned " +
			"(for example an SSH command line). --payload-file hands a file to the hook, typically your SSH public key. " +
			"The request is valid for 5 minutes and once.",
		Example: "loopind lease access 1 --from client --payload-file ~/.ssh/id_ed25519.pub",
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
			if clientCtx.FromName == "" {
				return errors.New("--from is required: the key of the account that holds the lease")
			}
			var payload []byte
			if path, _ := cmd.Flags().GetString("payload-file"); path != "" {
				if payload, err = os.ReadFile(path); err != nil {
					return err
				}
			}
			ctx := cmd.Context()
			lres, err := poolstypes.NewQueryClient(clientCtx).Lease(ctx, &poolstypes.QueryLeaseRequest{LeaseId: id})
			if status.Code(err) == codes.NotFound {
				return fmt.Errorf("lease %d not found: `loopind q pools leases-by-client %s` lists yours", id, clientCtx.FromAddress)
			} else if err != nil {
				return fmt.Errorf("lease %d: %w", id, err)
			}
			lease := lres.Lease
			if lease.Client != clientCtx.FromAddress.String() {
				return fmt.Errorf("lease %d belongs to %s, not to %s (%s)", id, lease.Client, clientCtx.FromName, clientCtx.FromAddress)
			}
			if lease.Status != poolstypes.LEASE_STATUS_ACTIVE {
				return fmt.Errorf("lease %d is %s: access needs an active lease", id, lease.Status)
			}
			dres, err := pocpstypes.NewQueryClient(clientCtx).Device(ctx, &pocpstypes.QueryDeviceRequest{DeviceId: lease.DeviceId})
			if err != nil {
				return fmt.Errorf("device %d: %w", lease.DeviceId, err)
			}
			req, err := access.Sign(clientCtx.Keyring, clientCtx.FromName, clientCtx.ChainID, id, payload, time.Now())
			if err != nil {
				return err
			}
			// TLS pinned to the certificate the device registered: a man in
			// the middle presents another and the handshake fails.
			conn, err := grpc.NewClient(dres.Device.Endpoint, grpc.WithTransportCredentials(tlspin.ClientCredentials(dres.Device.TlsCertHash)),
				grpc.WithDefaultCallOptions(grpc.ForceCodec(grpcapi.Codec())))
			if err != nil {
				return fmt.Errorf("miner sidecar %s: %w", dres.Device.Endpoint, err)
			}
			defer conn.Close()
			timeout, _ := cmd.Flags().GetDuration("timeout")
			callCtx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			resp, err := access.Request(callCtx, conn, req)
			if err != nil {
				return fmt.Errorf("miner sidecar of device %d at %s: %w", lease.DeviceId, dres.Device.Endpoint, err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "access granted: lease %d on device %d until %s\n", resp.LeaseId, resp.DeviceId,
				time.Unix(resp.End, 0).UTC().Format(time.RFC3339))
			fmt.Fprint(cmd.OutOrStdout(), resp.Details)
			return nil
		},
	}
	flags.AddQueryFlagsToCmd(cmd)
	cmd.Flags().String(flags.FlagFrom, "", "the key of the account that holds the lease")
	cmd.Flags().String(flags.FlagChainID, "", "the chain's id, signed into the request (default: client.toml's)")
	cmd.Flags().String(flags.FlagKeyringBackend, flags.DefaultKeyringBackend, "the keyring backend: os, file or test")
	cmd.Flags().String(flags.FlagKeyringDir, "", "the keyring's directory (default: the home directory)")
	cmd.Flags().String("payload-file", "", "a file handed to the device's access hook (e.g. your SSH public key)")
	cmd.Flags().Duration("timeout", 60*time.Second, "how long to wait for the miner sidecar")
	return cmd
}

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
