//go:build !loopin_v1

package pocps_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/loopin-project/loopin/x/pocps"
)

// The release build is x/pocps version 2 (the LastPasses index).
func TestConsensusVersion(t *testing.T) {
	require.Equal(t, uint64(2), pocps.AppModule{}.ConsensusVersion())
}
