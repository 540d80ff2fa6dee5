package cmd

import (
	"bytes"
	"context"
	"testing"

	"github.com/cosmos/cosmos-sdk/server"
	"github.com/stretchr/testify/require"
)

// `loopind export` writes the genesis document to standard output: the
// server's logs must not land there (an info line before the JSON made
// `loopind export > genesis.json` unreadable), while a node's logs stay on
// standard output as the SDK writes them.
func TestExportLogsGoToStderr(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		logsStdout bool
	}{
		{[]string{"export"}, false},
		{[]string{"start"}, true},
	} {
		root := NewRootCmd()
		sub, _, err := root.Find(tc.args)
		require.NoError(t, err)
		var stdout, stderr bytes.Buffer
		// What svrcmd.Execute gives every command (cmd/loopind/main.go).
		sub.SetContext(context.WithValue(context.Background(), server.ServerContextKey, server.NewDefaultContext()))
		sub.SetOut(&stdout)
		sub.SetErr(&stderr)
		require.NoError(t, sub.ParseFlags([]string{"--home", t.TempDir()}))
		require.NoError(t, root.PersistentPreRunE(sub, nil))

		server.GetServerContextFromCmd(sub).Logger.Info("installing sequential tx runner")
		if tc.logsStdout {
			require.Contains(t, stdout.String(), "installing sequential tx runner", tc.args)
			continue
		}
		require.Empty(t, stdout.String(), tc.args)
		require.Contains(t, stderr.String(), "installing sequential tx runner", tc.args)
	}
}
