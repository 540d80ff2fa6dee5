package keeper_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	"github.com/loopin-project/loopin/app/apptesting"
	poolskeeper "github.com/loopin-project/loopin/x/pools/keeper"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
	staketypes "github.com/loopin-project/loopin/x/stake/types"
)

// The just-in-time LP on chain (issue 17): an honest LP owns a sold device's
// time while it serves a two-day lease; a minute before the lease ends an
// attacker stakes a ten-year LP commitment, which outweighs the honest
// position a hundred times. The lease's revenue reached the LP positions as
// it ran, so two minutes later the attacker has earned its share of those
// two minutes only, and the honest LP holds the rest.
func TestAttackJustInTimeLPOnChain(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(1), patientVerifiers)
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	_, honest := apptesting.SealedNamed(t, c, hot, "gpu-lp")
	_, seller := apptesting.SealedNamed(t, c, hot, "gpu-sale")
	_, jit := apptesting.SealedNamed(t, c, hot, "gpu-jit")
	_, err := apptesting.StakeLP(c, c.Funded, honest, 30*24*time.Hour)
	require.NoError(t, err)
	client := apptesting.Account(t, c, "client", 10_000_000_000)
	// The honest device takes a first lease, so the sold one is matched next.
	_, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "rtx-4090", Duration: 4 * time.Hour, MaxUloopIn: math.NewInt(1 << 50)})
	require.NoError(t, err)
	_, err = sell(c, c.Funded, seller, 3)
	require.NoError(t, err)
	res, err := apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "rtx-4090", Duration: 48 * time.Hour, MaxUloopIn: math.NewInt(1 << 50)})
	require.NoError(t, err)
	var bought poolstypes.MsgBuyLeaseResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &bought))
	require.Equal(t, seller, bought.DeviceId)

	c.NextBlock(t, bought.End.Sub(c.Now())-time.Minute)
	// Positions are per device, so one owner's two devices earn apart.
	_, err = apptesting.Deliver(c, c.Ctx(), &staketypes.MsgStakeLP{Owner: c.Funded.String(), DeviceId: jit, Duration: 3650 * 24 * time.Hour, MaxUloopIn: math.NewInt(1 << 55)})
	require.NoError(t, err)
	c.NextBlock(t, 2*time.Minute) // the lease ends a minute in
	lease, err := c.PoolsKeeper.Leases.Get(c.Ctx(), bought.LeaseId)
	require.NoError(t, err)
	require.Equal(t, poolstypes.LEASE_STATUS_ENDED, lease.Status)

	q := poolskeeper.NewQuerier(c.PoolsKeeper)
	got, err := q.Position(c.Ctx(), &poolstypes.QueryPositionRequest{DeviceId: jit})
	require.NoError(t, err)
	// The sold device earns at most the lease's rate, then the spot price,
	// per second: two minutes of it, against the two days of the lease.
	window := bought.Price.MulRaw(2 * 60).QuoRaw(48 * 3600).MulRaw(3)
	require.True(t, got.Earned.LTE(window), "the attacker earned %s, at most its two minutes' worth %s of a lease of %s", got.Earned, window, bought.Price)
	kept, err := q.Position(c.Ctx(), &poolstypes.QueryPositionRequest{DeviceId: honest})
	require.NoError(t, err)
	require.True(t, kept.Earned.GT(bought.Price.MulRaw(9).QuoRaw(10)), "the honest LP holds the lease's revenue: %s of %s", kept.Earned, bought.Price)
	apptesting.CheckPools(t, c)
}

// The just-in-time LP on chain around a purchase, not a sold lease (found
// in review). Two honest LPs hold the pool; a client extends its lease on one of
// them by 48 h (an extension stays on its device, so matching cannot hand
// it to the attacker's idle ten-year device). Just before the extension the
// attacker stakes a ten-year LP commitment; the extension takes 48 h out of
// H and leaves L, so every unsold second appreciates and the attacker, with
// ~99 % of the unsold time, would take ~99 % of it if its failure paid its
// unsold time back at the new spot price (it did: 1 125 830 uloop net of a
// 1 143 966 extension, for one minute). An LP failure now returns the
// unsold time at no more than the position's entry price; the rise stays in
// L for the honest LPs.
func TestAttackJustInTimeLPAroundAPurchaseOnChain(t *testing.T) {
	c := apptesting.Setup(t, apptesting.ShortEpochs(1), patientVerifiers)
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	_, honest1 := apptesting.SealedNamed(t, c, hot, "gpu-lp-1")
	_, honest2 := apptesting.SealedNamed(t, c, hot, "gpu-lp-2")
	_, jit := apptesting.SealedNamed(t, c, hot, "gpu-jit")
	_, err := apptesting.StakeLP(c, c.Funded, honest1, 30*24*time.Hour)
	require.NoError(t, err)
	_, err = apptesting.StakeLP(c, c.Funded, honest2, 30*24*time.Hour)
	require.NoError(t, err)
	client := apptesting.Account(t, c, "client", 100_000_000_000)
	res, err := apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "rtx-4090", Duration: 4 * time.Hour, MaxUloopIn: math.NewInt(1 << 50)})
	require.NoError(t, err)
	var bought poolstypes.MsgBuyLeaseResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &bought))
	c.NextBlock(t, time.Hour)

	// The attacker's stake lands just before the client's extension.
	res, err = apptesting.Deliver(c, c.Ctx(), &staketypes.MsgStakeLP{Owner: c.Funded.String(), DeviceId: jit, Duration: 3650 * 24 * time.Hour, MaxUloopIn: math.NewInt(1 << 55)})
	require.NoError(t, err)
	var staked staketypes.MsgStakeLPResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &staked))
	res, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgExtendLease{Client: client.String(), LeaseId: bought.LeaseId, Duration: 48 * time.Hour, MaxUloopIn: math.NewInt(1 << 50)})
	require.NoError(t, err)
	var extended poolstypes.MsgExtendLeaseResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &extended))

	c.NextBlock(t, time.Minute)
	// Its device fails (on a live chain: it stops answering challenges).
	require.NoError(t, c.StakeKeeper.FailDevice(c.Ctx(), jit))
	s, err := c.StakeKeeper.Stakes.Get(c.Ctx(), staked.StakeId)
	require.NoError(t, err)
	require.Equal(t, staketypes.STAKE_STATUS_FAILED, s.Status)
	gain := s.Payout.Sub(staked.Injected)
	t.Logf("injected %s, paid back %s: net %s for one minute; the extension paid %s", staked.Injected, s.Payout, gain, extended.Price)
	apptesting.CheckPools(t, c)
	require.True(t, gain.LTE(math.NewInt(100)),
		"a ten-year LP present for one minute and no sold time gained %s, %s%% of the extension's price %s",
		gain, gain.MulRaw(100).Quo(extended.Price), extended.Price)
}
