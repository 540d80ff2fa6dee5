package cmd

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/client/flags"
)

// testMinerCmd is `loopind sidecar miner` with a --home of its own, its
// command line parsed from args.
func testMinerCmd(t *testing.T, home string, args ...string) *cobra.Command {
	t.Helper()
	cmd := minerCmd()
	cmd.PersistentFlags().String(flags.FlagHome, home, "")
	require.NoError(t, cmd.ParseFlags(append([]string{"--home", home}, args...)))
	return cmd
}

func writeConfig(t *testing.T, home, text string) string {
	t.Helper()
	path := filepath.Join(home, "config", "miner.toml")
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	return path
}

// The file sets the flags not on the command line; a flag on the command
// line wins.
func TestConfigFileFlags(t *testing.T) {
	home := t.TempDir()
	writeConfig(t, home, "class = \"a100\"\nname = \"gpu7\"\ndays = 3\nrenew-before = \"30m\"\nstake = \"sell\"\n")
	cmd := testMinerCmd(t, home, "--class", "h100", "--days", "5")
	require.NoError(t, applyConfigFile(cmd, "miner.toml"))
	f := cmd.Flags()
	get := func(name string) string { v, err := f.GetString(name); require.NoError(t, err); return v }
	require.Equal(t, "h100", get("class"), "the command line wins")
	require.Equal(t, "gpu7", get("name"))
	require.Equal(t, "sell", get("stake"))
	require.Equal(t, "127.0.0.1:9400", get("listen"), "not in the file: the default")
	days, _ := f.GetUint32("days")
	require.Equal(t, uint32(5), days, "the command line wins")
	before, _ := f.GetDuration("renew-before")
	require.Equal(t, 30*time.Minute, before)
}

// Unknown keys, bad values and a missing --config file are errors; a
// missing default file is not.
func TestConfigFileErrors(t *testing.T) {
	home := t.TempDir()
	require.NoError(t, applyConfigFile(testMinerCmd(t, home), "miner.toml"), "no default file: no error")
	err := applyConfigFile(testMinerCmd(t, home, "--config", filepath.Join(home, "none.toml")), "miner.toml")
	require.ErrorIs(t, err, os.ErrNotExist)

	for text, want := range map[string]string{
		"bogus = 1\n":               `unknown key "bogus" (the keys are the flags of ` + "`miner`)",
		"config = \"x.toml\"\n":     `unknown key "config"`,
		"[chain]\nnode = \"x\"\n":   `unknown key "chain.node"`,
		"days = \"many\"\n":         "days: ",
		"renew-before = \"soon\"\n": "renew-before: ",
		"class = \n":                "miner.toml: ",
	} {
		path := writeConfig(t, home, text)
		err := applyConfigFile(testMinerCmd(t, home), "miner.toml")
		require.ErrorContains(t, err, path, text)
		require.ErrorContains(t, err, want, text)
	}
}

// `init` writes every flag with its default; the sidecar reads it back to
// the same values, and init refuses to overwrite it without --force.
func TestConfigInit(t *testing.T) {
	home := t.TempDir()
	parent := minerCmd()
	parent.PersistentFlags().String(flags.FlagHome, home, "")
	parent.SetArgs([]string{"init", "--home", home})
	parent.SetOut(new(nopWriter))
	require.NoError(t, parent.Execute())
	bz, err := os.ReadFile(filepath.Join(home, "config", "miner.toml"))
	require.NoError(t, err)
	require.Contains(t, string(bz), "# the device's GPU class (its pool)\nclass = \"rtx-4090\"\n")
	require.Contains(t, string(bz), "\ndays = 1\n")
	require.NotContains(t, string(bz), "\nconfig = ")

	cmd := testMinerCmd(t, home)
	require.NoError(t, applyConfigFile(cmd, "miner.toml"))
	cmd.Flags().VisitAll(func(fl *pflag.Flag) {
		require.Equal(t, fl.DefValue, fl.Value.String(), fl.Name)
	})

	parent.SetArgs([]string{"init", "--home", home})
	require.ErrorContains(t, parent.Execute(), "exists")
}

type nopWriter struct{}

func (*nopWriter) Write(p []byte) (int, error) { return len(p), nil }
