package keeper_test

import (
	"encoding/hex"
	"testing"
	"time"

	"cosmossdk.io/math"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/loopin-project/loopin/app/apptesting"
	poolskeeper "github.com/loopin-project/loopin/x/pools/keeper"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
)

// marketState is every key and value of the x/pools store and the uloop of
// the pools module account and of accounts, in the block being built: two
// equal snapshots mean a message changed nothing there.
func marketState(t *testing.T, c *apptesting.TestChain, accounts ...sdk.AccAddress) map[string]string {
	t.Helper()
	out := map[string]string{}
	it := c.Ctx().KVStore(c.GetKey(poolstypes.StoreKey)).Iterator(nil, nil)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		out[hex.EncodeToString(it.Key())] = hex.EncodeToString(it.Value())
	}
	for _, a := range append(accounts, authtypes.NewModuleAddress(poolstypes.ModuleName)) {
		out["balance "+a.String()] = apptesting.Balance(c, a).String()
	}
	require.Greater(t, len(out), 1+len(accounts), "the store has state to compare")
	return out
}

// buyMsg is client's MsgBuyLease of d on class, paying at most maxIn.
func buyMsg(client sdk.AccAddress, class string, d time.Duration, maxIn math.Int) *poolstypes.MsgBuyLease {
	return &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: class, Duration: d, MaxUloopIn: maxIn}
}

// deliverBuy delivers msg and decodes its response.
func deliverBuy(t *testing.T, c *apptesting.TestChain, msg *poolstypes.MsgBuyLease) (poolstypes.MsgBuyLeaseResponse, error) {
	t.Helper()
	var bought poolstypes.MsgBuyLeaseResponse
	res, err := apptesting.Deliver(c, c.Ctx(), msg)
	if err != nil {
		return bought, err
	}
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &bought))
	return bought, nil
}

// The attack: matching happens when a purchase executes, so whoever gets
// a transaction into the block first can move someone else's purchase to
// another device. The victim is quoted device 1, the longest commitment
// (an honest miner's); a front-runner who owns device 2 leases device 1
// for an hour just before the victim's purchase, in the same block. The
// victim's purchase, named by class alone, is then matched to device 2 —
// the front-runner's own device, with a shorter commitment — at a higher
// price that its slippage bound still allows, and the front-runner's device
// earns the victim's escrow. With device_id, or with min_commitment_end at
// the quoted device's commitment end, the victim's purchase fails instead,
// changing nothing, and the estimate with the same fields says so too.
func TestAttackRedirectedMatchIsRefused(t *testing.T) {
	c := apptesting.Setup(t)
	q := poolskeeper.NewQuerier(c.PoolsKeeper)
	honest := apptesting.Account(t, c, "honest-miner", 100_000_000_000)
	attacker := apptesting.Account(t, c, "front-runner", 100_000_000_000)
	victim := apptesting.Account(t, c, "victim", 100_000_000_000)
	apptesting.PutSealedDevice(t, c, 1, honest)
	apptesting.OpenLP(t, c, "rtx-4090", 1, honest, 10*24*time.Hour)
	apptesting.PutSealedDevice(t, c, 2, attacker)
	apptesting.OpenLP(t, c, "rtx-4090", 2, attacker, 5*24*time.Hour)
	c.NextBlock(t, time.Minute)

	// The victim's quote: device 1, and a 1 % slippage bound on its total.
	est, err := q.EstimateBuy(c.Ctx(), &poolstypes.QueryEstimateBuyRequest{GpuClass: "rtx-4090", Duration: 36 * time.Hour})
	require.NoError(t, err)
	require.Equal(t, uint64(1), est.DeviceId, "the longest commitment")
	pos1, err := c.PoolsKeeper.Position(c.Ctx(), 1)
	require.NoError(t, err)
	require.Equal(t, pos1.End, est.CommitmentEnd)
	maxIn := est.Total.MulRaw(101).QuoRaw(100)

	// Same block: the front-runner's purchase executes first.
	front, err := deliverBuy(t, c, buyMsg(attacker, "rtx-4090", time.Hour, math.NewInt(1<<50)))
	require.NoError(t, err)
	require.Equal(t, uint64(1), front.DeviceId, "the front-runner takes the quoted device")

	// Named device: refused, nothing changes.
	before := marketState(t, c, victim, attacker, honest)
	named := buyMsg(victim, "rtx-4090", 36*time.Hour, maxIn)
	named.DeviceId = est.DeviceId
	_, err = deliverBuy(t, c, named)
	require.ErrorIs(t, err, poolstypes.ErrDeviceNotIdle)
	require.Equal(t, before, marketState(t, c, victim, attacker, honest), "a refused purchase changes nothing")
	_, err = q.EstimateBuy(c.Ctx(), &poolstypes.QueryEstimateBuyRequest{GpuClass: "rtx-4090", Duration: 36 * time.Hour, DeviceId: est.DeviceId})
	require.Equal(t, codes.FailedPrecondition, status.Code(err))
	require.ErrorContains(t, err, poolstypes.ErrDeviceNotIdle.Error(), "the estimate with the same fields fails the same way")

	// min_commitment_end at the quoted device's end: refused, nothing changes.
	minEnd := est.CommitmentEnd
	guarded := buyMsg(victim, "rtx-4090", 36*time.Hour, maxIn)
	guarded.MinCommitmentEnd = &minEnd
	_, err = deliverBuy(t, c, guarded)
	require.ErrorIs(t, err, poolstypes.ErrCommitmentEndsEarly)
	require.Equal(t, before, marketState(t, c, victim, attacker, honest), "a refused purchase changes nothing")
	_, err = q.EstimateBuy(c.Ctx(), &poolstypes.QueryEstimateBuyRequest{GpuClass: "rtx-4090", Duration: 36 * time.Hour, MinCommitmentEnd: &minEnd})
	require.ErrorContains(t, err, poolstypes.ErrCommitmentEndsEarly.Error())

	// Why the fields exist: without them the purchase lands on the
	// front-runner's device, at a higher price than quoted, inside the
	// victim's slippage bound.
	plain, err := deliverBuy(t, c, buyMsg(victim, "rtx-4090", 36*time.Hour, maxIn))
	require.NoError(t, err)
	require.Equal(t, uint64(2), plain.DeviceId, "redirected to the front-runner's device")
	require.True(t, plain.Price.GT(est.Price), "at a higher price: %s > %s", plain.Price, est.Price)
	require.True(t, plain.End.Before(est.CommitmentEnd), "on a commitment that ends before the quoted one")
	l, err := c.PoolsKeeper.Leases.Get(c.Ctx(), plain.LeaseId)
	require.NoError(t, err)
	pos2, err := c.PoolsKeeper.Position(c.Ctx(), l.DeviceId)
	require.NoError(t, err)
	require.Equal(t, attacker.String(), pos2.Owner, "its escrow is released to the front-runner's position")
	apptesting.CheckPools(t, c)
}

// A purchase that names its device is on that device or fails, changing
// nothing: not in the pool, in another pool, not idle, a commitment too
// short for the lease or ending before min_commitment_end. On success it
// is on the named device even when matching would have chosen another,
// at the price EstimateBuy with the same fields quotes.
func TestBuyLeaseOnANamedDevice(t *testing.T) {
	c := apptesting.Setup(t)
	q := poolskeeper.NewQuerier(c.PoolsKeeper)
	miner, client := apptesting.Account(t, c, "miner", 100_000_000_000), apptesting.Account(t, c, "client", 100_000_000_000)
	apptesting.OpenLP(t, c, "rtx-4090", 1, miner, 10*24*time.Hour)
	apptesting.OpenLP(t, c, "rtx-4090", 2, miner, 3*24*time.Hour)
	apptesting.OpenLP(t, c, "rtx-4090", 3, miner, 2*24*time.Hour)
	apptesting.OpenLP(t, c, "l40", 4, miner, 10*24*time.Hour)
	leased := buyLease(t, c, client, "rtx-4090", time.Hour)
	require.Equal(t, uint64(1), leased.DeviceId)
	c.NextBlock(t, time.Minute)
	now := c.Ctx().BlockTime()
	pos2, err := c.PoolsKeeper.Position(c.Ctx(), 2)
	require.NoError(t, err)

	for _, tc := range []struct {
		name   string
		device uint64
		d      time.Duration
		minEnd *time.Time
		want   error
	}{
		{"unknown device", 99, time.Hour, nil, poolstypes.ErrDeviceNotInPool},
		{"another pool's device", 4, time.Hour, nil, poolstypes.ErrDeviceNotInPool},
		{"a leased device", 1, time.Hour, nil, poolstypes.ErrDeviceNotIdle},
		{"a commitment too short", 3, 3 * 24 * time.Hour, nil, poolstypes.ErrNotCovered},
		{"ends before min_commitment_end", 2, time.Hour, ptr(pos2.End.Add(time.Second)), poolstypes.ErrCommitmentEndsEarly},
	} {
		before := marketState(t, c, client)
		msg := buyMsg(client, "rtx-4090", tc.d, math.NewInt(1<<50))
		msg.DeviceId, msg.MinCommitmentEnd = tc.device, tc.minEnd
		_, err := deliverBuy(t, c, msg)
		require.ErrorIs(t, err, tc.want, tc.name)
		require.Equal(t, before, marketState(t, c, client), "%s: nothing changes", tc.name)
		_, err = q.EstimateBuy(c.Ctx(), &poolstypes.QueryEstimateBuyRequest{GpuClass: "rtx-4090", Duration: tc.d, DeviceId: tc.device, MinCommitmentEnd: tc.minEnd})
		require.ErrorContains(t, err, tc.want.Error(), "%s: the estimate fails the same way", tc.name)
	}

	// Matching would take device 2 (the longest idle commitment); the
	// named device 3 gets the lease, at the estimate's price.
	plain, err := q.EstimateBuy(c.Ctx(), &poolstypes.QueryEstimateBuyRequest{GpuClass: "rtx-4090", Duration: 24 * time.Hour})
	require.NoError(t, err)
	require.Equal(t, uint64(2), plain.DeviceId)
	minEnd := now.Add(2 * 24 * time.Hour).Add(-time.Minute) // device 3's end exactly
	est, err := q.EstimateBuy(c.Ctx(), &poolstypes.QueryEstimateBuyRequest{GpuClass: "rtx-4090", Duration: 24 * time.Hour, DeviceId: 3, MinCommitmentEnd: &minEnd})
	require.NoError(t, err)
	require.Equal(t, uint64(3), est.DeviceId)
	require.Equal(t, minEnd, est.CommitmentEnd, "a commitment ending at min_commitment_end qualifies")
	msg := buyMsg(client, "rtx-4090", 24*time.Hour, est.Total)
	msg.DeviceId, msg.MinCommitmentEnd = 3, &minEnd
	bought, err := deliverBuy(t, c, msg)
	require.NoError(t, err)
	require.Equal(t, uint64(3), bought.DeviceId)
	require.Equal(t, est.Price, bought.Price)
	require.Equal(t, est.Fee, bought.Fee)
	apptesting.CheckPools(t, c)

	// min_commitment_end alone keeps the usual matching: met, the purchase
	// lands where EstimateBuy says; not met, it fails rather than move.
	minEnd = pos2.End
	est, err = q.EstimateBuy(c.Ctx(), &poolstypes.QueryEstimateBuyRequest{GpuClass: "rtx-4090", Duration: 2 * time.Hour, MinCommitmentEnd: &minEnd})
	require.NoError(t, err)
	require.Equal(t, uint64(2), est.DeviceId)
	msg = buyMsg(client, "rtx-4090", 2*time.Hour, est.Total)
	msg.MinCommitmentEnd = &minEnd
	bought, err = deliverBuy(t, c, msg)
	require.NoError(t, err)
	require.Equal(t, est.DeviceId, bought.DeviceId)
	require.Equal(t, est.Price, bought.Price)
	apptesting.CheckPools(t, c)
}

// Without a device named, min_commitment_end never moves a purchase: the
// liveness-preferring match picks a fresh device with a shorter
// commitment over a stale longer one, and a min_commitment_end past the
// fresh device's end refuses the purchase instead of taking the stale one.
func TestMinCommitmentEndNeverRedirects(t *testing.T) {
	c := apptesting.Setup(t)
	miner, client := apptesting.Account(t, c, "miner", 100_000_000_000), apptesting.Account(t, c, "client", 100_000_000_000)
	now := c.Ctx().BlockTime()
	apptesting.OpenLP(t, c, "rtx-4090", 1, miner, 10*24*time.Hour)
	apptesting.OpenLP(t, c, "rtx-4090", 2, miner, 5*24*time.Hour)
	setLastPass(t, c, 1, miner, now.Add(-48*time.Hour)) // stale
	setLastPass(t, c, 2, miner, now)                    // fresh
	minEnd := now.Add(6 * 24 * time.Hour)
	before := marketState(t, c, client)
	msg := buyMsg(client, "rtx-4090", 2*time.Hour, math.NewInt(1<<50))
	msg.MinCommitmentEnd = &minEnd
	_, err := deliverBuy(t, c, msg)
	require.ErrorIs(t, err, poolstypes.ErrCommitmentEndsEarly, "matching picks device 2; its end is too early")
	require.ErrorContains(t, err, "device 2")
	require.Equal(t, before, marketState(t, c, client))
	msg.MinCommitmentEnd = nil
	bought, err := deliverBuy(t, c, msg)
	require.NoError(t, err)
	require.Equal(t, uint64(2), bought.DeviceId)
}

// MsgBuyLease refuses a min_commitment_end before 1970 when it is sent
// (ValidateBasic) and in the handler; the estimate refuses it as an
// invalid argument.
func TestMinCommitmentEndMustBeATime(t *testing.T) {
	c := apptesting.Setup(t)
	q := poolskeeper.NewQuerier(c.PoolsKeeper)
	client := apptesting.Account(t, c, "client", 100_000_000)
	epoch := time.Unix(0, 0).UTC()
	msg := buyMsg(client, "rtx-4090", time.Hour, math.NewInt(1))
	msg.MinCommitmentEnd = &epoch
	require.ErrorIs(t, msg.ValidateBasic(), poolstypes.ErrInvalidTime)
	_, err := deliverBuy(t, c, msg)
	require.ErrorIs(t, err, poolstypes.ErrInvalidTime)
	_, err = q.EstimateBuy(c.Ctx(), &poolstypes.QueryEstimateBuyRequest{GpuClass: "rtx-4090", Duration: time.Hour, MinCommitmentEnd: &epoch})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
}

func ptr[T any](v T) *T { return &v }
