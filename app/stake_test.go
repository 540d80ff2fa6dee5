package app_test

import (
	"testing"
	"time"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

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

func stakeLP(c *app.TestChain, owner sdk.AccAddress, deviceID uint64, duration string) (*sdk.Result, error) {
	return deliver(c, c.Ctx(), &staketypes.MsgStakeLP{Owner: owner.String(), DeviceId: deviceID, Duration: duration, MaxUloopIn: math.NewInt(1 << 50)})
}

func TestStakeLPLifecycle(t *testing.T) {
	c := app.Setup(t, shortEpochs(1))
	c.NextBlock(t, time.Second)
	hot := withVerifier(t, c)
	stranger := account(t, c, "stranger", 10_000_000_000)

	// An unsealed device cannot be staked.
	_, ch := registerSealed(t, c, "gpu-unsealed")
	_, err := stakeLP(c, c.Funded, ch.DeviceId, "7d")
	require.ErrorIs(t, err, staketypes.ErrDeviceNotSealed)

	_, id := sealedDevice(t, c, hot)
	params, err := c.StakeKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	for _, tc := range []struct {
		owner sdk.AccAddress
		dur   string
		want  error
	}{
		{stranger, "7d", staketypes.ErrDeviceNotOwned},
		{c.Funded, "1d", staketypes.ErrInvalidDuration},
		{c.Funded, "a week", staketypes.ErrInvalidDuration},
	} {
		_, err := stakeLP(c, tc.owner, id, tc.dur)
		require.ErrorIs(t, err, tc.want)
	}
	_, err = stakeLP(c, c.Funded, 999, "7d")
	require.ErrorIs(t, err, pocpstypes.ErrDeviceNotFound)
	_, err = deliver(c, c.Ctx(), &staketypes.MsgStakeLP{Owner: c.Funded.String(), DeviceId: id, Duration: "7d", MaxUloopIn: math.NewInt(1)})
	require.ErrorIs(t, err, poolstypes.ErrSlippage)

	before := balance(c, c.Funded)
	hBefore := poolOf(t, c, "rtx-4090").H
	res, err := stakeLP(c, c.Funded, id, "7d")
	require.NoError(t, err)
	require.Contains(t, eventTypes(res), "loopin.stake.v1.EventStakingFeeBurned")
	var staked staketypes.MsgStakeLPResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &staked))
	require.Equal(t, before.Sub(params.StakingFee).Sub(staked.Injected), balance(c, c.Funded), "fee burned and injection paid")
	require.Equal(t, hBefore.AddRaw(7*24*3600), poolOf(t, c, "rtx-4090").H, "the device's time joins H")
	d, err := c.PocpsKeeper.GetDevice(c.Ctx(), id)
	require.NoError(t, err)
	require.Equal(t, staked.StakeId, d.StakeId)

	_, err = stakeLP(c, c.Funded, id, "7d")
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
	_, err = stakeLP(c, c.Funded, id, "7d")
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
	res, err := stakeLP(c, c.Funded, id, "7d")
	require.NoError(t, err)
	var staked staketypes.MsgStakeLPResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &staked))
	client := account(t, c, "client", 10_000_000_000)
	res, err = deliver(c, c.Ctx(), &poolstypes.MsgBuyLease{Client: client.String(), Pool: "rtx-4090", Duration: "2h", MaxUloopIn: math.NewInt(1 << 50)})
	require.NoError(t, err)
	var bought poolstypes.MsgBuyLeaseResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &bought))
	require.Equal(t, id, bought.DeviceId)
	supply := c.BankKeeper.GetSupply(c.Ctx(), chaintypes.BondDenom).Amount

	ch := nextResidencyChallenge(t, c, id)
	clientBefore, minerBefore := balance(c, client), balance(c, c.Funded)
	msg := answer(t, sealing, hot, ch)
	msg.Passed, msg.Reason = false, "late"
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
	require.True(t, poolOf(t, c, "rtx-4090").H.IsZero(), "the failed device's time left the pool")
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
