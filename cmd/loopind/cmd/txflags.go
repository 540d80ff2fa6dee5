package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"
)

// Defaults of loopind's transaction commands (every command under `tx`
// with the SDK's tx flags: the autocli LooPIN and SDK module commands and
// the SDK's own). A transaction is simulated before it is signed, so a
// message the chain would refuse — a class with no pool, someone else's
// lease, a slippage bound the quote exceeds — fails here with the chain's
// error, before broadcast and before any fee is paid; the estimate is
// scaled by the gas adjustment for the state to move a little before the
// block. `--gas <n>` sets a fixed limit and skips the simulation.
const (
	defaultTxGas           = flags.GasFlagAuto
	defaultTxGasAdjustment = 1.5

	// FlagWait makes a tx command wait, after the broadcast, until the
	// transaction is in a block, then print the result of its execution
	// (code, raw log, events) and exit non-zero if it failed.
	FlagWait = "wait"
	// FlagWaitTimeout bounds the wait.
	FlagWaitTimeout    = "wait-timeout"
	defaultWaitTimeout = 30 * time.Second
	waitPollInterval   = time.Second
)

// setTxDefaults gives every transaction command under root's `tx` command
// the defaults above and the --wait and --wait-timeout flags. It runs once
// the command tree is built (autocli's commands included).
func setTxDefaults(root *cobra.Command) {
	for _, c := range root.Commands() {
		if c.Name() == "tx" {
			walkTxCommands(c)
		}
	}
}

func walkTxCommands(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		walkTxCommands(c)
	}
	gas := cmd.Flags().Lookup(flags.FlagGas)
	if gas == nil || cmd.RunE == nil {
		return
	}
	setDefault(cmd, flags.FlagGas, defaultTxGas)
	setDefault(cmd, flags.FlagGasAdjustment, strconv.FormatFloat(defaultTxGasAdjustment, 'f', -1, 64))
	if cmd.Flags().Lookup(FlagWait) == nil {
		cmd.Flags().Bool(FlagWait, false, "after the broadcast, wait until the transaction is in a block, print its result (code, raw log, events) and exit non-zero if it failed")
		cmd.Flags().Duration(FlagWaitTimeout, defaultWaitTimeout, "how long --wait waits for the block")
	}
	run := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		fixedGasOffline(cmd)
		if wait, _ := cmd.Flags().GetBool(FlagWait); !wait {
			return run(cmd, args)
		}
		return runAndWait(cmd, args, run)
	}
}

// setDefault changes a flag's default (and its value, when not given).
func setDefault(cmd *cobra.Command, name, value string) {
	f := cmd.Flags().Lookup(name)
	if f == nil {
		return
	}
	f.DefValue = value
	if !f.Changed {
		_ = f.Value.Set(value)
	}
}

// fixedGasOffline goes back to the SDK's fixed gas limit when the
// transaction cannot be simulated: --offline (no node) or --generate-only
// (the signer may be an address with no key here). An explicit --gas wins.
func fixedGasOffline(cmd *cobra.Command) {
	if cmd.Flags().Changed(flags.FlagGas) {
		return
	}
	offline, _ := cmd.Flags().GetBool(flags.FlagOffline)
	generateOnly, _ := cmd.Flags().GetBool(flags.FlagGenerateOnly)
	if offline || generateOnly {
		_ = cmd.Flags().Lookup(flags.FlagGas).Value.Set(strconv.Itoa(flags.DefaultGasLimit))
	}
}

// broadcastResult is what runAndWait reads of the broadcast response.
type broadcastResult struct {
	TxHash string `json:"txhash"`
	Code   uint32 `json:"code"`
}

// runAndWait runs the command with its output captured as JSON, and when
// that output is an accepted broadcast, waits for the transaction's block
// and prints the final result in the format asked for. A refusal at
// CheckTx is printed as it is, with a non-zero exit.
func runAndWait(cmd *cobra.Command, args []string, run func(*cobra.Command, []string) error) error {
	out := cmd.OutOrStdout()
	clientCtx := client.GetClientContextFromCmd(cmd)
	format := clientCtx.OutputFormat
	if cmd.Flags().Changed(flags.FlagOutput) {
		format, _ = cmd.Flags().GetString(flags.FlagOutput)
	}
	var buf bytes.Buffer
	cmd.SetOut(&buf)
	_ = cmd.Flags().Set(flags.FlagOutput, flags.OutputFormatJSON)
	if err := client.SetCmdClientContext(cmd, clientCtx.WithOutput(&buf)); err != nil {
		return err
	}
	err := run(cmd, args)
	cmd.SetOut(out)
	var res broadcastResult
	if err != nil || json.Unmarshal(buf.Bytes(), &res) != nil || res.TxHash == "" {
		// Not a broadcast (--generate-only, --dry-run) or it failed before.
		_, _ = out.Write(buf.Bytes())
		return err
	}
	if res.Code != 0 {
		_, _ = out.Write(buf.Bytes())
		return fmt.Errorf("transaction %s refused by the node (code %d)", res.TxHash, res.Code)
	}

	txCtx, err := client.GetClientQueryContext(cmd)
	if err != nil {
		return err
	}
	timeout, _ := cmd.Flags().GetDuration(FlagWaitTimeout)
	final, err := waitForTx(cmd.Context(), func(hash string) (*sdk.TxResponse, error) {
		return authtx.QueryTx(txCtx, hash)
	}, res.TxHash, timeout, waitPollInterval, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	if err := txCtx.WithOutput(out).WithOutputFormat(format).PrintProto(final); err != nil {
		return err
	}
	return txFailure(final)
}

// waitForTx polls query for hash every interval until it answers or
// timeout passes, telling progress on progress.
func waitForTx(ctx context.Context, query func(string) (*sdk.TxResponse, error), hash string, timeout, interval time.Duration, progress io.Writer) (*sdk.TxResponse, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	_, _ = fmt.Fprintf(progress, "transaction %s sent; waiting up to %s for it to be in a block", hash, timeout)
	defer fmt.Fprintln(progress)
	deadline := time.Now().Add(timeout)
	for {
		res, err := query(hash)
		if err == nil && res != nil {
			_, _ = fmt.Fprintf(progress, " — in block %d", res.Height)
			return res, nil
		}
		if !time.Now().Add(interval).Before(deadline) {
			return nil, fmt.Errorf("transaction %s is in no block after %s (it may still be included; look it up with `loopind q tx %s`): %v", hash, timeout, hash, err)
		}
		_, _ = fmt.Fprint(progress, ".")
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(interval):
		}
	}
}

// txFailure is the error of a transaction that failed in its block, nil
// when it succeeded.
func txFailure(res *sdk.TxResponse) error {
	if res.Code == 0 {
		return nil
	}
	return fmt.Errorf("transaction %s failed in block %d with code %d (codespace %s): %s", res.TxHash, res.Height, res.Code, res.Codespace, res.RawLog)
}
