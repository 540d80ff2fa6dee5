package cmd

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/client/flags"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

func findCmd(t *testing.T, root *cobra.Command, path ...string) *cobra.Command {
	t.Helper()
	c, rest, err := root.Find(path)
	require.NoError(t, err)
	require.Empty(t, rest)
	require.Equal(t, path[len(path)-1], c.Name(), "found %s", c.CommandPath())
	return c
}

// Every transaction command simulates by default (--gas auto, adjusted
// 1.5×) and has --wait, off by default; queries and key commands are left
// alone.
func TestTxCommandsSimulateByDefault(t *testing.T) {
	root := NewRootCmd()
	for _, path := range [][]string{
		{"tx", "pools", "buy-lease"},
		{"tx", "pools", "extend-lease"},
		{"tx", "pools", "terminate-lease"},
		{"tx", "stake", "lp"},
		{"tx", "bank", "send"},
		{"tx", "broadcast"},
	} {
		c := findCmd(t, root, path...)
		gas := c.Flags().Lookup(flags.FlagGas)
		require.NotNil(t, gas, c.CommandPath())
		require.Equal(t, flags.GasFlagAuto, gas.DefValue, c.CommandPath())
		require.Equal(t, flags.GasFlagAuto, gas.Value.String(), c.CommandPath())
		adj, err := c.Flags().GetFloat64(flags.FlagGasAdjustment)
		require.NoError(t, err)
		require.Equal(t, 1.5, adj, c.CommandPath())
		wait := c.Flags().Lookup(FlagWait)
		require.NotNil(t, wait, c.CommandPath())
		require.Equal(t, "false", wait.DefValue)
		timeout, err := c.Flags().GetDuration(FlagWaitTimeout)
		require.NoError(t, err)
		require.Equal(t, 30*time.Second, timeout)
	}
	q := findCmd(t, root, "query", "pools", "pool")
	require.Nil(t, q.Flags().Lookup(FlagWait))
	require.Nil(t, q.Flags().Lookup(flags.FlagGas))
}

// --offline and --generate-only cannot simulate: they go back to the fixed
// limit unless --gas is given.
func TestFixedGasOffline(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, flags.GasFlagAuto},
		{[]string{"--generate-only"}, "200000"},
		{[]string{"--offline"}, "200000"},
		{[]string{"--generate-only", "--gas", "auto"}, flags.GasFlagAuto},
		{[]string{"--gas", "123"}, "123"},
	} {
		c := findCmd(t, NewRootCmd(), "tx", "pools", "buy-lease")
		require.NoError(t, c.ParseFlags(tc.args))
		fixedGasOffline(c)
		require.Equal(t, tc.want, c.Flags().Lookup(flags.FlagGas).Value.String(), "%v", tc.args)
	}
}

func TestWaitForTx(t *testing.T) {
	calls := 0
	query := func(hash string) (*sdk.TxResponse, error) {
		calls++
		if calls < 3 {
			return nil, errors.New("tx not found")
		}
		return &sdk.TxResponse{TxHash: hash, Height: 7, Code: 13, Codespace: "pools", RawLog: "lease 1 belongs to someone else: lease not yours"}, nil
	}
	var progress bytes.Buffer
	res, err := waitForTx(t.Context(), query, "ABC", time.Second, time.Millisecond, &progress)
	require.NoError(t, err)
	require.Equal(t, 3, calls)
	require.Equal(t, int64(7), res.Height)
	require.Contains(t, progress.String(), "in block 7")
	fail := txFailure(res)
	require.Error(t, fail)
	for _, s := range []string{"ABC", "code 13", "pools", "lease not yours"} {
		require.Contains(t, fail.Error(), s)
	}
	require.NoError(t, txFailure(&sdk.TxResponse{Code: 0}))

	// Never included: a timeout naming the hash.
	_, err = waitForTx(t.Context(), func(string) (*sdk.TxResponse, error) { return nil, errors.New("tx not found") },
		"DEF", 20*time.Millisecond, 5*time.Millisecond, &progress)
	require.Error(t, err)
	require.True(t, strings.Contains(err.Error(), "DEF") && strings.Contains(err.Error(), "no block"), err.Error())
}
