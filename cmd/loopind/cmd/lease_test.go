package cmd

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/loopin-project/loopin/sidecar/types"
)

// A hostile endpoint that got past the sidecar's checks still cannot give
// the client's ssh an option: the user is -l's value and the host comes
// after --.
func TestSSHArgvKeepsHostAndUserOperands(t *testing.T) {
	a := &types.SSHAccess{Host: "-oProxyCommand=touch /tmp/pwned", Port: 2222, User: "-oLocalCommand=x"}
	argv := sshArgv("/k", "/kh", "alias", a, []string{"nvidia-smi"})
	dash := -1
	for i, v := range argv {
		if v == "--" {
			dash = i
			break
		}
	}
	require.NotEqual(t, -1, dash)
	require.Equal(t, []string{a.Host, "nvidia-smi"}, argv[dash+1:])
	require.Equal(t, []string{"-l", a.User}, argv[dash-2:dash])
	require.Contains(t, argv, "StrictHostKeyChecking=yes")
}

// The known_hosts file holds exactly the sent keys for the alias, keeps
// other aliases, and refuses a key that does not parse.
func TestWriteKnownHosts(t *testing.T) {
	const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMvROyAhohmty9A0itYK5p4MDtn5hKCI2eZkCeDCzjxj"
	path := filepath.Join(t.TempDir(), "lease-ssh", "known_hosts")
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
	require.NoError(t, os.WriteFile(path, []byte("other "+key+"\nmine ssh-ed25519 AAAAold\n"), 0o600))
	require.NoError(t, writeKnownHosts(path, "mine", []string{key + " host@x"}))
	bz, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "other "+key+"\nmine "+key+"\n", string(bz))
	require.Error(t, writeKnownHosts(path, "mine", []string{"ssh-ed25519 AAAA!!"}))
}
