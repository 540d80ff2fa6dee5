//go:build loopin_v1

package pocps_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/loopin-project/loopin/x/pocps"
)

// The previous release (build tag loopin_v1) is x/pocps version 1.
func TestConsensusVersion(t *testing.T) {
	require.Equal(t, uint64(1), pocps.AppModule{}.ConsensusVersion())
}
