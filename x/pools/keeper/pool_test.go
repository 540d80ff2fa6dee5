package keeper_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/loopin-project/loopin/app/apptesting"
	poolskeeper "github.com/loopin-project/loopin/x/pools/keeper"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
)

func TestGenesisPools(t *testing.T) {
	c := apptesting.Setup(t)
	q := poolskeeper.NewQuerier(c.PoolsKeeper)
	all, err := q.Pools(c.Ctx(), &poolstypes.QueryPoolsRequest{})
	require.NoError(t, err)
	require.Len(t, all.Pools, 17)
	active := map[string]bool{}
	for _, p := range all.Pools {
		if p.Status == poolstypes.POOL_STATUS_ACTIVE {
			active[p.GpuClass] = true
		}
		require.True(t, p.UnsoldSeconds.IsZero() && p.ReserveUloop.IsZero(), "genesis pools are empty")
	}
	require.Equal(t, map[string]bool{"h100-sxm": true, "h100-pcie": true, "a100": true, "l40": true, "l40s": true, "rtx-4090": true, "rtx-5090": true, "h200": true, "h100-nvl": true, "l4": true, "a10": true}, active)

	byClass, err := q.Pool(c.Ctx(), &poolstypes.QueryPoolRequest{GpuClass: "t4"})
	require.NoError(t, err)
	require.Equal(t, poolstypes.POOL_STATUS_RETIRING, byClass.Pool.Status)
	require.Equal(t, "t4", byClass.Class.Name)
	require.Equal(t, byClass.Pool.Id, byClass.Class.PoolId)
	byID, err := q.Pool(c.Ctx(), &poolstypes.QueryPoolRequest{PoolId: 1})
	require.NoError(t, err)
	require.Equal(t, "h100-sxm", byID.Pool.GpuClass)
	require.Equal(t, "h100-sxm", byID.Class.Name)
	_, err = q.Pool(c.Ctx(), &poolstypes.QueryPoolRequest{})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
	var def poolstypes.GenesisState
	c.AppCodec().MustUnmarshalJSON(c.DefaultGenesis()[poolstypes.ModuleName], &def)
	require.Equal(t, uint64(64<<30), def.GpuClasses[0].Seal.ProofParams().SealBytes(), "a real chain seals 64 GiB on an H100 (test chains seal tiny)")
	_, err = q.Pool(c.Ctx(), &poolstypes.QueryPoolRequest{GpuClass: "gtx-1080"})
	require.Equal(t, codes.NotFound, status.Code(err))
	_, err = q.Pool(c.Ctx(), &poolstypes.QueryPoolRequest{PoolId: 99})
	require.Equal(t, codes.NotFound, status.Code(err))
}

func TestGovernanceCreatesAndRetiresPools(t *testing.T) {
	c := apptesting.Setup(t)
	pool, err := poolstypes.NewGpuClass("rtx-4090")
	require.NoError(t, err)
	pool.Name = "rtx-6090"

	_, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgCreatePool{Authority: c.Funded.String(), Class: pool})
	require.ErrorIs(t, err, poolstypes.ErrInvalidSigner)
	dup := pool
	dup.Name = "a100"
	_, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgCreatePool{Authority: apptesting.GovAuthority, Class: dup})
	require.ErrorIs(t, err, poolstypes.ErrPoolExists)
	bad := pool
	bad.Seal.Labels = 1000
	_, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgCreatePool{Authority: apptesting.GovAuthority, Class: bad})
	require.ErrorIs(t, err, poolstypes.ErrInvalidPool)

	res, err := apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgCreatePool{Authority: apptesting.GovAuthority, Class: pool})
	require.NoError(t, err)
	var resp poolstypes.MsgCreatePoolResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &resp))
	require.Equal(t, uint64(18), resp.PoolId)

	_, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgSetPoolStatus{Authority: apptesting.GovAuthority, PoolId: 18, Status: poolstypes.POOL_STATUS_RETIRING})
	require.NoError(t, err)
	_, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgSetPoolStatus{Authority: apptesting.GovAuthority, PoolId: 99, Status: poolstypes.POOL_STATUS_RETIRED})
	require.ErrorIs(t, err, poolstypes.ErrPoolNotFound)
	_, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgSetPoolStatus{Authority: apptesting.GovAuthority, PoolId: 18})
	require.ErrorIs(t, err, poolstypes.ErrInvalidPool)

	c.NextBlock(t, time.Second)
	next := c.ExportAndRestart(t)
	got, err := next.PoolsKeeper.PoolByClass(next.Ctx(), "rtx-6090")
	require.NoError(t, err)
	require.Equal(t, poolstypes.POOL_STATUS_RETIRING, got.Status)
}
