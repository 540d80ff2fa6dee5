package app_test

import (
	"testing"
	"time"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/loopin-project/loopin/app"
	chaintypes "github.com/loopin-project/loopin/types"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
	stakekeeper "github.com/loopin-project/loopin/x/stake/keeper"
	staketypes "github.com/loopin-project/loopin/x/stake/types"
)

func eventTypes(res *sdk.Result) []string {
	var types []string
	for _, ev := range res.GetEvents() {
		types = append(types, ev.Type)
	}
	return types
}

func stakeLP(c *app.TestChain, owner sdk.AccAddress, deviceID uint64, duration time.Duration) (*sdk.Result, error) {
	return deliver(c, c.Ctx(), &staketypes.MsgStakeLP{Owner: owner.String(), DeviceId: deviceID, Duration: duration, MaxUloopIn: math.NewInt(1 << 50)})
}

func TestStakeLPLifecycle(t *testing.T) {
	c := app.Setup(t, shortEpochs(1))
	c.NextBlock(t, time.Second)
	hot := withVerifier(t, c)
	stranger := account(t, c, "stranger", 10_000_000_000)

	// An unsealed device cannot be staked.
	_, ch := registerSealed(t, c, "gpu-unsealed")
	_, err := stakeLP(c, c.Funded, ch.DeviceId, 7*24*time.Hour)
	require.ErrorIs(t, err, staketypes.ErrDeviceNotSealed)

	_, id := sealedDevice(t, c, hot)
	params, err := c.StakeKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	for _, tc := range []struct {
		owner sdk.AccAddress
		dur   time.Duration
		want  error
	}{
		{stranger, 7 * 24 * time.Hour, staketypes.ErrDeviceNotOwned},
		{c.Funded, 24 * time.Hour, staketypes.ErrInvalidDuration},
		{c.Funded, -time.Hour, staketypes.ErrInvalidDuration},
		{c.Funded, 7*24*time.Hour + time.Millisecond, staketypes.ErrInvalidDuration},
	} {
		_, err := stakeLP(c, tc.owner, id, tc.dur)
		require.ErrorIs(t, err, tc.want)
	}
	_, err = stakeLP(c, c.Funded, 999, 7*24*time.Hour)
	require.ErrorIs(t, err, pocpstypes.ErrDeviceNotFound)
	_, err = deliver(c, c.Ctx(), &staketypes.MsgStakeLP{Owner: c.Funded.String(), DeviceId: id, Duration: 7 * 24 * time.Hour, MaxUloopIn: math.NewInt(1)})
	require.ErrorIs(t, err, poolstypes.ErrSlippage)

	before := balance(c, c.Funded)
	hBefore := poolOf(t, c, "rtx-4090").UnsoldSeconds
	res, err := stakeLP(c, c.Funded, id, 7*24*time.Hour)
	require.NoError(t, err)
	require.Contains(t, eventTypes(res), "loopin.stake.v1.EventStakingFeeBurned")
	var staked staketypes.MsgStakeLPResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &staked))
	require.Equal(t, before.Sub(params.StakingFee).Sub(staked.Injected), balance(c, c.Funded), "fee burned and injection paid")
	require.Equal(t, hBefore.AddRaw(7*24*3600), poolOf(t, c, "rtx-4090").UnsoldSeconds, "the device's time joins H")
	d, err := c.PocpsKeeper.GetDevice(c.Ctx(), id)
	require.NoError(t, err)
	require.Equal(t, staked.StakeId, d.StakeId)

	_, err = stakeLP(c, c.Funded, id, 7*24*time.Hour)
	require.ErrorIs(t, err, staketypes.ErrDeviceCommitted)
	_, err = deliver(c, c.Ctx(), &pocpstypes.MsgDeregisterDevice{Owner: c.Funded.String(), DeviceId: id})
	require.ErrorIs(t, err, pocpstypes.ErrDeviceCommitted)

	// Renewal by whole epochs (10 s here), by the owner only.
	_, err = deliver(c, c.Ctx(), &staketypes.MsgRenewStake{Owner: stranger.String(), StakeId: staked.StakeId, Epochs: 2, MaxUloopIn: math.NewInt(1 << 50)})
	require.ErrorIs(t, err, staketypes.ErrDeviceNotOwned)
	_, err = deliver(c, c.Ctx(), &staketypes.MsgRenewStake{Owner: c.Funded.String(), StakeId: staked.StakeId, Epochs: 0, MaxUloopIn: math.NewInt(1 << 50)})
	require.ErrorIs(t, err, staketypes.ErrInvalidDuration)
	res, err = deliver(c, c.Ctx(), &staketypes.MsgRenewStake{Owner: c.Funded.String(), StakeId: staked.StakeId, Epochs: 2, MaxUloopIn: math.NewInt(1 << 50)})
	require.NoError(t, err)
	var renewed staketypes.MsgRenewStakeResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &renewed))
	require.Equal(t, staked.End.Add(20*time.Second), renewed.End)
	pos, err := c.PoolsKeeper.Position(c.Ctx(), id)
	require.NoError(t, err)
	require.Equal(t, renewed.End, pos.End, "the pool's commitment moved with the certificate")

	q := stakekeeper.NewQuerier(c.StakeKeeper)
	byOwner, err := q.StakesByOwner(c.Ctx(), &staketypes.QueryStakesByOwnerRequest{Owner: c.Funded.String()})
	require.NoError(t, err)
	require.Len(t, byOwner.Stakes, 1)
	byDevice, err := q.StakesByDevice(c.Ctx(), &staketypes.QueryStakesByDeviceRequest{DeviceId: id})
	require.NoError(t, err)
	require.Equal(t, staked.StakeId, byDevice.Stakes[0].Id)

	// Expiry on time: the certificate expires, the device is free, the
	// position is settled and paid.
	c.NextBlock(t, renewed.End.Sub(c.Ctx().BlockTime())-time.Second)
	s, err := q.Stake(c.Ctx(), &staketypes.QueryStakeRequest{StakeId: staked.StakeId})
	require.NoError(t, err)
	require.Equal(t, staketypes.STAKE_STATUS_ACTIVE, s.Stake.Status)
	before = balance(c, c.Funded)
	c.NextBlock(t, time.Second)
	s, err = q.Stake(c.Ctx(), &staketypes.QueryStakeRequest{StakeId: staked.StakeId})
	require.NoError(t, err)
	require.Equal(t, staketypes.STAKE_STATUS_EXPIRED, s.Stake.Status)
	require.True(t, balance(c, c.Funded).GT(before), "the LP position's settlement is paid at the end")
	d, err = c.PocpsKeeper.GetDevice(c.Ctx(), id)
	require.NoError(t, err)
	require.Zero(t, d.StakeId)
	_, err = c.PoolsKeeper.Position(c.Ctx(), id)
	require.ErrorIs(t, err, poolstypes.ErrPositionNotFound)
	_, err = deliver(c, c.Ctx(), &staketypes.MsgRenewStake{Owner: c.Funded.String(), StakeId: staked.StakeId, Epochs: 1, MaxUloopIn: math.NewInt(1 << 50)})
	require.ErrorIs(t, err, staketypes.ErrStakeEnded)
	checkPools(t, c)

	// A retiring pool takes no new stakes.
	_, err = deliver(c, c.Ctx(), &poolstypes.MsgSetPoolStatus{Authority: govAuthority, PoolId: poolOf(t, c, "rtx-4090").Id, Status: poolstypes.POOL_STATUS_RETIRING})
	require.NoError(t, err)
	_, err = stakeLP(c, c.Funded, id, 7*24*time.Hour)
	require.ErrorIs(t, err, staketypes.ErrWrongClass)

	// Certificates survive an export.
	c = c.ExportAndRestart(t)
	q = stakekeeper.NewQuerier(c.StakeKeeper)
	s, err = q.Stake(c.Ctx(), &staketypes.QueryStakeRequest{StakeId: staked.StakeId})
	require.NoError(t, err)
	require.Equal(t, staketypes.STAKE_STATUS_EXPIRED, s.Stake.Status)
}

// A confirmed failure fails the LP stake: the lessee is refunded its
// unused escrow, the miner gets its unsold time's uloop and what its
// position earned, and every movement is an event.
func TestStakeFailurePath(t *testing.T) {
	c := app.Setup(t, shortEpochs(1))
	c.NextBlock(t, time.Second)
	hot := withVerifier(t, c)
	sealing, id := sealedDevice(t, c, hot)
	res, err := stakeLP(c, c.Funded, id, 7*24*time.Hour)
	require.NoError(t, err)
	var staked staketypes.MsgStakeLPResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &staked))
	client := account(t, c, "client", 10_000_000_000)
	res, err = deliver(c, c.Ctx(), &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "rtx-4090", Duration: 2 * time.Hour, MaxUloopIn: math.NewInt(1 << 50)})
	require.NoError(t, err)
	var bought poolstypes.MsgBuyLeaseResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &bought))
	require.Equal(t, id, bought.DeviceId)
	supply := c.BankKeeper.GetSupply(c.Ctx(), chaintypes.BondDenom).Amount

	ch := nextResidencyChallenge(t, c, id)
	clientBefore, minerBefore := balance(c, client), balance(c, c.Funded)
	msg := answer(t, sealing, hot, ch)
	msg.Passed, msg.FailureReason = false, pocpstypes.FAILURE_REASON_LATE
	res, err = deliver(c, c.Ctx(), msg)
	require.NoError(t, err)
	require.Contains(t, eventTypes(res), "loopin.stake.v1.EventStakeFailed")
	require.Contains(t, eventTypes(res), "loopin.pools.v1.EventLeaseClosed")

	s, err := c.StakeKeeper.Stakes.Get(c.Ctx(), staked.StakeId)
	require.NoError(t, err)
	require.Equal(t, staketypes.STAKE_STATUS_FAILED, s.Status)
	require.True(t, s.Payout.IsPositive())
	require.Equal(t, minerBefore.Add(s.Payout), balance(c, c.Funded), "the miner gets its unsold time's uloop back")
	l, err := c.PoolsKeeper.Leases.Get(c.Ctx(), bought.LeaseId)
	require.NoError(t, err)
	require.Equal(t, poolstypes.LEASE_STATUS_BROKEN, l.Status)
	require.True(t, l.Refund.IsPositive())
	require.Equal(t, clientBefore.Add(l.Refund), balance(c, client), "the lessee is refunded its unused time")
	_, err = c.PoolsKeeper.Position(c.Ctx(), id)
	require.ErrorIs(t, err, poolstypes.ErrPositionNotFound)
	d, err := c.PocpsKeeper.GetDevice(c.Ctx(), id)
	require.NoError(t, err)
	require.Zero(t, d.StakeId)
	require.True(t, poolOf(t, c, "rtx-4090").UnsoldSeconds.IsZero(), "the failed device's time left the pool")
	checkPools(t, c)
	// Nothing was minted or burned by the failure of an LP stake except
	// the epoch emissions x/rewards mints; the expiry queue no longer holds it.
	require.True(t, c.BankKeeper.GetSupply(c.Ctx(), chaintypes.BondDenom).Amount.GTE(supply))
	has, err := c.StakeKeeper.Expiry.Has(c.Ctx(), collectionsJoin(s.End.Unix(), s.Id))
	require.NoError(t, err)
	require.False(t, has)
}

func collectionsJoin(end int64, id uint64) collections.Pair[int64, uint64] {
	return collections.Join(end, id)
}

// stakeHeld asserts the x/stake module account holds exactly the
// collateral and deposits of the active sales (I5 for x/stake).
func stakeHeld(t testing.TB, c *app.TestChain) {
	t.Helper()
	want := math.ZeroInt()
	require.NoError(t, c.StakeKeeper.Stakes.Walk(c.Ctx(), nil, func(_ uint64, s staketypes.Stake) (bool, error) {
		if s.Status == staketypes.STAKE_STATUS_ACTIVE {
			want = want.Add(s.Collateral).Add(s.Deposit)
		}
		return false, nil
	}))
	require.Equal(t, want, balance(c, authtypes.NewModuleAddress(staketypes.ModuleName)))
}

func sell(c *app.TestChain, owner sdk.AccAddress, deviceID uint64, days uint32) (*sdk.Result, error) {
	return deliver(c, c.Ctx(), &staketypes.MsgSellCompute{Owner: owner.String(), DeviceId: deviceID, Days: days, MinUloopOut: math.ZeroInt()})
}

func TestSellComputeAndExpiry(t *testing.T) {
	c := app.Setup(t, shortEpochs(1))
	c.NextBlock(t, time.Second)
	hot := withVerifier(t, c)
	_, lpDevice := sealedNamed(t, c, hot, "gpu-lp")
	_, seller := sealedNamed(t, c, hot, "gpu-sale")

	_, err := sell(c, c.Funded, seller, 1)
	require.ErrorIs(t, err, poolstypes.ErrInsufficientLiquidity, "no LP position owns sold time yet")
	_, err = stakeLP(c, c.Funded, lpDevice, 7*24*time.Hour)
	require.NoError(t, err)
	for _, days := range []uint32{0, 8} {
		_, err = sell(c, c.Funded, seller, days)
		require.ErrorIs(t, err, staketypes.ErrInvalidDuration)
	}
	params, err := c.StakeKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	spot, err := c.PoolsKeeper.SpotPrice(c.Ctx(), poolOf(t, c, "rtx-4090").Id)
	require.NoError(t, err)
	before := balance(c, c.Funded)
	res, err := sell(c, c.Funded, seller, 2)
	require.NoError(t, err)
	var sold staketypes.MsgSellComputeResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &sold))
	seconds := int64(2 * 24 * 3600)
	require.Equal(t, spot.MulInt64(seconds).MulInt64(100).Ceil().TruncateInt(), sold.Collateral, "100 × the spot value of the sold time")
	require.Equal(t, params.MaintenanceRate.MulInt64(seconds).Ceil().TruncateInt(), sold.Deposit)
	require.True(t, sold.Proceeds.IsPositive())
	require.Equal(t, before.Sub(params.StakingFee).Sub(sold.Collateral).Sub(sold.Deposit).Add(sold.Proceeds), balance(c, c.Funded))
	require.Equal(t, seconds, poolOf(t, c, "rtx-4090").PoolOwnedSeconds.Int64())
	require.Contains(t, eventTypes(res), "loopin.pools.v1.EventTimeSold")
	stakeHeld(t, c)
	checkPools(t, c)
	_, err = deliver(c, c.Ctx(), &staketypes.MsgRenewStake{Owner: c.Funded.String(), StakeId: sold.StakeId, Epochs: 1, MaxUloopIn: math.NewInt(1 << 50)})
	require.Error(t, err, "a sale is not renewed")

	// At the end the collateral and deposit come back.
	c.NextBlock(t, 2*24*time.Hour-time.Second)
	before = balance(c, c.Funded)
	c.NextBlock(t, time.Second)
	s, err := c.StakeKeeper.Stakes.Get(c.Ctx(), sold.StakeId)
	require.NoError(t, err)
	require.Equal(t, staketypes.STAKE_STATUS_EXPIRED, s.Status)
	require.Equal(t, sold.Collateral.Add(sold.Deposit), s.Payout)
	require.Equal(t, before.Add(s.Payout), balance(c, c.Funded))
	require.Zero(t, poolOf(t, c, "rtx-4090").PoolOwnedSeconds.Int64())
	stakeHeld(t, c)
	checkPools(t, c)
}

// A sold device that fails: deposit burned, the lessee refunded from the
// collateral, the rest of the collateral burned, the time's uloop to the LPs.
func TestSaleFailurePath(t *testing.T) {
	c := app.Setup(t, shortEpochs(1))
	c.NextBlock(t, time.Second)
	hot := withVerifier(t, c)
	_, lpDevice := sealedNamed(t, c, hot, "gpu-lp")
	sealing, seller := sealedNamed(t, c, hot, "gpu-sale")
	_, err := stakeLP(c, c.Funded, lpDevice, 8*24*time.Hour)
	require.NoError(t, err)
	client := account(t, c, "client", 10_000_000_000)
	// Lease the LP device first so the sold device is the idle one matched next.
	_, err = deliver(c, c.Ctx(), &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "rtx-4090", Duration: 4 * time.Hour, MaxUloopIn: math.NewInt(1 << 50)})
	require.NoError(t, err)
	res, err := sell(c, c.Funded, seller, 3)
	require.NoError(t, err)
	var sold staketypes.MsgSellComputeResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &sold))
	res, err = deliver(c, c.Ctx(), &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "rtx-4090", Duration: 2 * time.Hour, MaxUloopIn: math.NewInt(1 << 50)})
	require.NoError(t, err)
	var bought poolstypes.MsgBuyLeaseResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &bought))
	require.Equal(t, seller, bought.DeviceId)

	ch := nextResidencyChallenge(t, c, seller)
	supply := c.BankKeeper.GetSupply(c.Ctx(), chaintypes.BondDenom).Amount
	clientBefore := balance(c, client)
	msg := answer(t, sealing, hot, ch)
	msg.Passed, msg.FailureReason = false, pocpstypes.FAILURE_REASON_LATE
	res, err = deliver(c, c.Ctx(), msg)
	require.NoError(t, err)
	require.Contains(t, eventTypes(res), "loopin.stake.v1.EventStakeFailed")
	l, err := c.PoolsKeeper.Leases.Get(c.Ctx(), bought.LeaseId)
	require.NoError(t, err)
	require.Equal(t, poolstypes.LEASE_STATUS_BROKEN, l.Status)
	require.True(t, l.Refund.IsPositive())
	require.Equal(t, clientBefore.Add(l.Refund), balance(c, client), "refunded from the collateral")
	burned := sold.Collateral.Sub(l.Refund).Add(sold.Deposit)
	require.Equal(t, supply.Sub(burned), c.BankKeeper.GetSupply(c.Ctx(), chaintypes.BondDenom).Amount, "deposit and the rest of the collateral burned")
	s, err := c.StakeKeeper.Stakes.Get(c.Ctx(), sold.StakeId)
	require.NoError(t, err)
	require.Equal(t, staketypes.STAKE_STATUS_FAILED, s.Status)
	require.Zero(t, poolOf(t, c, "rtx-4090").PoolOwnedSeconds.Int64())
	stakeHeld(t, c)
	checkPools(t, c)
}
