package app_test

import (
	"context"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	"github.com/loopin-project/loopin/app/apptesting"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
)

// A query that fails over ABCI (what the CLI without --grpc-addr and REST
// use) reads its status once: the log is the module's message and the
// registered ABCI error, never "rpc error: … desc = rpc error: …".
func TestQueryErrorsOverABCIReadOnce(t *testing.T) {
	c := apptesting.Setup(t)
	c.NextBlock(t, time.Second)
	for _, tc := range []struct {
		path string
		req  interface{ Marshal() ([]byte, error) }
		want string
	}{
		{"/loopin.pools.v1.Query/Pool", &poolstypes.QueryPoolRequest{GpuClass: "nope-gpu"}, `no pool for class "nope-gpu"`},
		{"/loopin.pools.v1.Query/Pool", &poolstypes.QueryPoolRequest{}, "give a GPU class"},
		{"/loopin.pocps.v1.Query/Device", &pocpstypes.QueryDeviceRequest{DeviceId: 42}, "42"},
	} {
		bz, err := tc.req.Marshal()
		require.NoError(t, err)
		res, err := c.Query(context.Background(), &abci.RequestQuery{Path: tc.path, Data: bz})
		require.NoError(t, err)
		require.NotZero(t, res.Code, tc.path)
		require.Contains(t, res.Log, tc.want)
		require.NotContains(t, res.Log, "rpc error", "the status is not printed inside the log")
	}
}
