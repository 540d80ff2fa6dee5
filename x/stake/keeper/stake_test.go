package keeper_test

import (
	"testing"
	"time"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/loopin-project/loopin/app/apptesting"
	chaintypes "github.com/loopin-project/loopin/types"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
	stakekeeper "github.com/loopin-project/loopin/x/stake/keeper"
	staketypes "github.com/loopin-project/loopin/x/stake/types"
)

func TestStakeLPLifecycle(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(1))
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	stranger := apptesting.Account(t, c, "stranger", 10_000_000_000)

	// An unsealed device cannot be staked.
	_, ch := apptesting.RegisterSealed(t, c, "gpu-unsealed")
	_, err := apptesting.StakeLP(c, c.Funded, ch.DeviceId, 7*24*time.Hour)
	require.ErrorIs(t, err, staketypes.ErrDeviceNotSealed)

	_, id := apptesting.SealedDevice(t, c, hot)
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
		_, err := apptesting.StakeLP(c, tc.owner, id, tc.dur)
		require.ErrorIs(t, err, tc.want)
	}
	_, err = apptesting.StakeLP(c, c.Funded, 999, 7*24*time.Hour)
	require.ErrorIs(t, err, pocpstypes.ErrDeviceNotFound)
	_, err = apptesting.Deliver(c, c.Ctx(), &staketypes.MsgStakeLP{Owner: c.Funded.String(), DeviceId: id, Duration: 7 * 24 * time.Hour, MaxUloopIn: math.NewInt(1)})
	require.ErrorIs(t, err, poolstypes.ErrSlippage)

	before := apptesting.Balance(c, c.Funded)
	hBefore := apptesting.PoolOf(t, c, "rtx-4090").UnsoldSeconds
	res, err := apptesting.StakeLP(c, c.Funded, id, 7*24*time.Hour)
	require.NoError(t, err)
	require.Contains(t, apptesting.EventTypes(res), "loopin.stake.v1.EventStakingFeeBurned")
	var staked staketypes.MsgStakeLPResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &staked))
	require.Equal(t, before.Sub(params.StakingFee).Sub(staked.Injected), apptesting.Balance(c, c.Funded), "fee burned and injection paid")
	require.Equal(t, hBefore.AddRaw(7*24*3600), apptesting.PoolOf(t, c, "rtx-4090").UnsoldSeconds, "the device's time joins H")
	d, err := c.PocpsKeeper.GetDevice(c.Ctx(), id)
	require.NoError(t, err)
	require.Equal(t, staked.StakeId, d.StakeId)

	_, err = apptesting.StakeLP(c, c.Funded, id, 7*24*time.Hour)
	require.ErrorIs(t, err, staketypes.ErrDeviceCommitted)
	_, err = apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgDeregisterDevice{Owner: c.Funded.String(), DeviceId: id})
	require.ErrorIs(t, err, pocpstypes.ErrDeviceCommitted)

	// Renewal by whole epochs (10 s here), by the owner only.
	_, err = apptesting.Deliver(c, c.Ctx(), &staketypes.MsgRenewStake{Owner: stranger.String(), StakeId: staked.StakeId, Epochs: 2, MaxUloopIn: math.NewInt(1 << 50)})
	require.ErrorIs(t, err, staketypes.ErrDeviceNotOwned)
	_, err = apptesting.Deliver(c, c.Ctx(), &staketypes.MsgRenewStake{Owner: c.Funded.String(), StakeId: staked.StakeId, Epochs: 0, MaxUloopIn: math.NewInt(1 << 50)})
	require.ErrorIs(t, err, staketypes.ErrInvalidDuration)
	res, err = apptesting.Deliver(c, c.Ctx(), &staketypes.MsgRenewStake{Owner: c.Funded.String(), StakeId: staked.StakeId, Epochs: 2, MaxUloopIn: math.NewInt(1 << 50)})
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
	before = apptesting.Balance(c, c.Funded)
	c.NextBlock(t, time.Second)
	s, err = q.Stake(c.Ctx(), &staketypes.QueryStakeRequest{StakeId: staked.StakeId})
	require.NoError(t, err)
	require.Equal(t, staketypes.STAKE_STATUS_EXPIRED, s.Stake.Status)
	require.True(t, apptesting.Balance(c, c.Funded).GT(before), "the LP position's settlement is paid at the end")
	d, err = c.PocpsKeeper.GetDevice(c.Ctx(), id)
	require.NoError(t, err)
	require.Zero(t, d.StakeId)
	_, err = c.PoolsKeeper.Position(c.Ctx(), id)
	require.ErrorIs(t, err, poolstypes.ErrPositionNotFound)
	_, err = apptesting.Deliver(c, c.Ctx(), &staketypes.MsgRenewStake{Owner: c.Funded.String(), StakeId: staked.StakeId, Epochs: 1, MaxUloopIn: math.NewInt(1 << 50)})
	require.ErrorIs(t, err, staketypes.ErrStakeEnded)
	apptesting.CheckPools(t, c)

	// A retiring pool takes no new stakes.
	_, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgSetPoolStatus{Authority: apptesting.GovAuthority, PoolId: apptesting.PoolOf(t, c, "rtx-4090").Id, Status: poolstypes.POOL_STATUS_RETIRING})
	require.NoError(t, err)
	_, err = apptesting.StakeLP(c, c.Funded, id, 7*24*time.Hour)
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
	c := apptesting.Setup(t, apptesting.ShortEpochs(1))
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	sealing, id := apptesting.SealedDevice(t, c, hot)
	res, err := apptesting.StakeLP(c, c.Funded, id, 7*24*time.Hour)
	require.NoError(t, err)
	var staked staketypes.MsgStakeLPResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &staked))
	client := apptesting.Account(t, c, "client", 10_000_000_000)
	res, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "rtx-4090", Duration: 2 * time.Hour, MaxUloopIn: math.NewInt(1 << 50)})
	require.NoError(t, err)
	var bought poolstypes.MsgBuyLeaseResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &bought))
	require.Equal(t, id, bought.DeviceId)
	supply := c.BankKeeper.GetSupply(c.Ctx(), chaintypes.BondDenom).Amount

	ch := apptesting.NextResidencyChallenge(t, c, id)
	clientBefore, minerBefore := apptesting.Balance(c, client), apptesting.Balance(c, c.Funded)
	msg := apptesting.Answer(t, c, sealing, hot, ch)
	msg.Passed, msg.FailureReason = false, pocpstypes.FAILURE_REASON_LATE
	res, err = apptesting.Deliver(c, c.Ctx(), msg)
	require.NoError(t, err)
	require.Contains(t, apptesting.EventTypes(res), "loopin.stake.v1.EventStakeFailed")
	require.Contains(t, apptesting.EventTypes(res), "loopin.pools.v1.EventLeaseClosed")

	s, err := c.StakeKeeper.Stakes.Get(c.Ctx(), staked.StakeId)
	require.NoError(t, err)
	require.Equal(t, staketypes.STAKE_STATUS_FAILED, s.Status)
	require.True(t, s.Payout.IsPositive())
	require.Equal(t, minerBefore.Add(s.Payout), apptesting.Balance(c, c.Funded), "the miner gets its unsold time's uloop back")
	l, err := c.PoolsKeeper.Leases.Get(c.Ctx(), bought.LeaseId)
	require.NoError(t, err)
	require.Equal(t, poolstypes.LEASE_STATUS_BROKEN, l.Status)
	require.True(t, l.Refund.IsPositive())
	require.Equal(t, clientBefore.Add(l.Refund), apptesting.Balance(c, client), "the lessee is refunded its unused time")
	_, err = c.PoolsKeeper.Position(c.Ctx(), id)
	require.ErrorIs(t, err, poolstypes.ErrPositionNotFound)
	d, err := c.PocpsKeeper.GetDevice(c.Ctx(), id)
	require.NoError(t, err)
	require.Zero(t, d.StakeId)
	require.True(t, apptesting.PoolOf(t, c, "rtx-4090").UnsoldSeconds.IsZero(), "the failed device's time left the pool")
	apptesting.CheckPools(t, c)
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

func sell(c *apptesting.TestChain, owner sdk.AccAddress, deviceID uint64, days uint32) (*sdk.Result, error) {
	return apptesting.Deliver(c, c.Ctx(), &staketypes.MsgSellCompute{Owner: owner.String(), DeviceId: deviceID, Days: days, MinUloopOut: math.ZeroInt()})
}

func TestSellComputeAndExpiry(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(1), patientVerifiers)
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	_, lpDevice := apptesting.SealedNamed(t, c, hot, "gpu-lp")
	saleSealing, seller := apptesting.SealedNamed(t, c, hot, "gpu-sale")

	_, err := sell(c, c.Funded, seller, 1)
	require.ErrorIs(t, err, poolstypes.ErrInsufficientLiquidity, "no LP position owns sold time yet")
	_, err = apptesting.StakeLP(c, c.Funded, lpDevice, 7*24*time.Hour)
	require.NoError(t, err)
	for _, days := range []uint32{0, 8} {
		_, err = sell(c, c.Funded, seller, days)
		require.ErrorIs(t, err, staketypes.ErrInvalidDuration)
	}
	params, err := c.StakeKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	spot, err := c.PoolsKeeper.SpotPrice(c.Ctx(), apptesting.PoolOf(t, c, "rtx-4090").Id)
	require.NoError(t, err)
	before := apptesting.Balance(c, c.Funded)
	res, err := sell(c, c.Funded, seller, 2)
	require.NoError(t, err)
	var sold staketypes.MsgSellComputeResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &sold))
	seconds := int64(2 * 24 * 3600)
	require.Equal(t, spot.MulInt64(seconds).MulInt64(100).Ceil().TruncateInt(), sold.Collateral, "100 × the spot value of the sold time")
	require.Equal(t, params.MaintenanceRate.MulInt64(seconds).Ceil().TruncateInt(), sold.Deposit)
	require.True(t, sold.Proceeds.IsPositive())
	require.Equal(t, before.Sub(params.StakingFee).Sub(sold.Collateral).Sub(sold.Deposit).Add(sold.Proceeds), apptesting.Balance(c, c.Funded))
	require.Equal(t, seconds, apptesting.PoolOf(t, c, "rtx-4090").SoldSeconds().Int64())
	require.Contains(t, apptesting.EventTypes(res), "loopin.pools.v1.EventTimeSold")
	apptesting.StakeHeld(t, c)
	apptesting.CheckPools(t, c)
	_, err = apptesting.Deliver(c, c.Ctx(), &staketypes.MsgRenewStake{Owner: c.Funded.String(), StakeId: sold.StakeId, Epochs: 1, MaxUloopIn: math.NewInt(1 << 50)})
	require.Error(t, err, "a sale is not renewed")

	// At the end the sale enters its grace: its time has left the pool, but
	// the collateral and deposit stay locked, the device stays committed
	// and x/pocps challenges it once more.
	c.NextBlock(t, sold.End.Sub(c.Now())-time.Second)
	before = apptesting.Balance(c, c.Funded)
	c.NextBlock(t, time.Second)
	s, err := c.StakeKeeper.Stakes.Get(c.Ctx(), sold.StakeId)
	require.NoError(t, err)
	require.Equal(t, staketypes.STAKE_STATUS_GRACE, s.Status)
	require.Equal(t, sold.End.Add(params.SaleGracePeriod), s.ReleaseAt)
	require.Equal(t, before, apptesting.Balance(c, c.Funded), "nothing comes back at the end")
	require.Zero(t, apptesting.PoolOf(t, c, "rtx-4090").SoldSeconds().Int64(), "the sold time left the pool at the end")
	d, err := c.PocpsKeeper.GetDevice(c.Ctx(), seller)
	require.NoError(t, err)
	require.Equal(t, sold.StakeId, d.StakeId, "the device stays committed through the grace")
	_, err = apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgDeregisterDevice{Owner: c.Funded.String(), DeviceId: seller})
	require.ErrorIs(t, err, pocpstypes.ErrDeviceCommitted, "no deregistering to dodge the final challenge")
	_, err = sell(c, c.Funded, seller, 1)
	require.ErrorIs(t, err, staketypes.ErrDeviceCommitted, "no new sale before the grace ends")
	apptesting.StakeHeld(t, c)
	apptesting.CheckPools(t, c)

	// The honest seller answers its final challenge.
	require.NotZero(t, s.FinalChallengeId)
	final, err := c.PocpsKeeper.Challenges.Get(c.Ctx(), s.FinalChallengeId)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.CHALLENGE_STATUS_PENDING, final.Status)
	_, err = apptesting.Deliver(c, c.Ctx(), apptesting.Answer(t, c, saleSealing, hot, final))
	require.NoError(t, err)

	// Collateral and deposit come back at end + grace, not before.
	c.NextBlock(t, s.ReleaseAt.Sub(c.Now())-time.Second)
	s, err = c.StakeKeeper.Stakes.Get(c.Ctx(), sold.StakeId)
	require.NoError(t, err)
	require.Equal(t, staketypes.STAKE_STATUS_GRACE, s.Status)
	require.Equal(t, before, apptesting.Balance(c, c.Funded), "nothing comes back before end + grace")
	apptesting.StakeHeld(t, c)
	c.NextBlock(t, time.Second)
	s, err = c.StakeKeeper.Stakes.Get(c.Ctx(), sold.StakeId)
	require.NoError(t, err)
	require.Equal(t, staketypes.STAKE_STATUS_EXPIRED, s.Status)
	require.Equal(t, sold.Collateral.Add(sold.Deposit), s.Payout)
	require.Equal(t, before.Add(s.Payout), apptesting.Balance(c, c.Funded))
	d, err = c.PocpsKeeper.GetDevice(c.Ctx(), seller)
	require.NoError(t, err)
	require.Zero(t, d.StakeId, "the device is free after the grace")
	apptesting.StakeHeld(t, c)
	apptesting.CheckPools(t, c)
}

// A sold device that fails: deposit burned, the lessee refunded from the
// collateral, the rest of the collateral burned, the time's uloop to the LPs.
func TestSaleFailurePath(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(1))
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	_, lpDevice := apptesting.SealedNamed(t, c, hot, "gpu-lp")
	sealing, seller := apptesting.SealedNamed(t, c, hot, "gpu-sale")
	_, err := apptesting.StakeLP(c, c.Funded, lpDevice, 8*24*time.Hour)
	require.NoError(t, err)
	client := apptesting.Account(t, c, "client", 10_000_000_000)
	// Lease the LP device first so the sold device is the idle one matched next.
	_, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "rtx-4090", Duration: 4 * time.Hour, MaxUloopIn: math.NewInt(1 << 50)})
	require.NoError(t, err)
	res, err := sell(c, c.Funded, seller, 3)
	require.NoError(t, err)
	var sold staketypes.MsgSellComputeResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &sold))
	res, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "rtx-4090", Duration: 2 * time.Hour, MaxUloopIn: math.NewInt(1 << 50)})
	require.NoError(t, err)
	var bought poolstypes.MsgBuyLeaseResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &bought))
	require.Equal(t, seller, bought.DeviceId)

	ch := apptesting.NextResidencyChallenge(t, c, seller)
	supply := c.BankKeeper.GetSupply(c.Ctx(), chaintypes.BondDenom).Amount
	clientBefore := apptesting.Balance(c, client)
	msg := apptesting.Answer(t, c, sealing, hot, ch)
	msg.Passed, msg.FailureReason = false, pocpstypes.FAILURE_REASON_LATE
	res, err = apptesting.Deliver(c, c.Ctx(), msg)
	require.NoError(t, err)
	require.Contains(t, apptesting.EventTypes(res), "loopin.stake.v1.EventStakeFailed")
	l, err := c.PoolsKeeper.Leases.Get(c.Ctx(), bought.LeaseId)
	require.NoError(t, err)
	require.Equal(t, poolstypes.LEASE_STATUS_BROKEN, l.Status)
	require.True(t, l.Refund.IsPositive())
	require.Equal(t, clientBefore.Add(l.Refund), apptesting.Balance(c, client), "refunded from the collateral")
	var failed staketypes.EventStakeFailed
	apptesting.TypedEvent(t, res, &failed)
	pos, err := c.PoolsKeeper.Position(c.Ctx(), seller)
	require.NoError(t, err, "the failed sold device stays until its end, streaming to the LPs")
	require.NotNil(t, pos.FailureStream)
	require.True(t, failed.ToLps.IsPositive(), "the LPs are paid the undelivered time's value from the collateral")
	require.True(t, pos.FailureStream.Left.GT(failed.ToLps), "their stream also holds the time's uloop and the broken lease's escrow")
	burned := sold.Collateral.Sub(l.Refund).Sub(failed.ToLps).Add(sold.Deposit)
	require.Equal(t, burned, failed.Burned)
	require.True(t, burned.GT(failed.ToLps.MulRaw(50)), "most of the slash is still burned: %s of %s", burned, sold.Collateral)
	require.Equal(t, supply.Sub(burned), c.BankKeeper.GetSupply(c.Ctx(), chaintypes.BondDenom).Amount, "deposit and the rest of the collateral burned")
	s, err := c.StakeKeeper.Stakes.Get(c.Ctx(), sold.StakeId)
	require.NoError(t, err)
	require.Equal(t, staketypes.STAKE_STATUS_FAILED, s.Status)
	require.Zero(t, apptesting.PoolOf(t, c, "rtx-4090").SoldSeconds().Int64())
	apptesting.StakeHeld(t, c)
	apptesting.CheckPools(t, c)
}
