package keeper_test

import (
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"

	"github.com/loopin-project/loopin/app"
	"github.com/loopin-project/loopin/app/apptesting"
	chaintypes "github.com/loopin-project/loopin/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
	rewardstypes "github.com/loopin-project/loopin/x/rewards/types"
)

// epochsOf is a genesis edit that makes the `loopin` epoch d long.
func epochsOf(d time.Duration) func(app.GenesisState) {
	return func(gs app.GenesisState) {
		cdc := app.MakeEncodingConfig().Codec
		epochs := epochstypes.GenesisState{Epochs: []epochstypes.EpochInfo{epochstypes.NewGenesisEpochInfo(chaintypes.EpochIdentifier, d)}}
		gs[epochstypes.ModuleName] = cdc.MustMarshalJSON(&epochs)
	}
}

// minLease is a genesis edit that lets leases be as short as d.
func minLease(d time.Duration) func(app.GenesisState) {
	return func(gs app.GenesisState) {
		cdc := app.MakeEncodingConfig().Codec
		var pg poolstypes.GenesisState
		cdc.MustUnmarshalJSON(gs[poolstypes.ModuleName], &pg)
		pg.Params.MinLeaseDuration = d
		gs[poolstypes.ModuleName] = cdc.MustMarshalJSON(&pg)
	}
}

// rewardsParams is a genesis edit of the x/rewards parameters.
func rewardsParams(edit func(*rewardstypes.Params)) func(app.GenesisState) {
	return func(gs app.GenesisState) {
		cdc := app.MakeEncodingConfig().Codec
		var rg rewardstypes.GenesisState
		cdc.MustUnmarshalJSON(gs[rewardstypes.ModuleName], &rg)
		edit(&rg.Params)
		gs[rewardstypes.ModuleName] = cdc.MustMarshalJSON(&rg)
	}
}

func pendingOf(c *apptesting.TestChain, addr sdk.AccAddress) math.Int {
	v, err := c.RewardsKeeper.Pending.Get(c.Ctx(), addr)
	if err != nil {
		return math.ZeroInt()
	}
	return v
}

// buyLease delivers MsgBuyLease of d on an rtx-4090 for client and returns
// the lease id.
func buyLease(t *testing.T, c *apptesting.TestChain, client sdk.AccAddress, d time.Duration) uint64 {
	t.Helper()
	res, err := apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "rtx-4090", Duration: d, MaxUloopIn: math.NewInt(1 << 50)})
	require.NoError(t, err)
	var bought poolstypes.MsgBuyLeaseResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &bought))
	return bought.LeaseId
}

// leasePaid reports whether lease id has ended and its clients' reward is
// wholly booked (its account for the open period is gone).
func leasePaid(t *testing.T, c *apptesting.TestChain, id uint64) bool {
	t.Helper()
	l, err := c.PoolsKeeper.Leases.Get(c.Ctx(), id)
	require.NoError(t, err)
	if l.Status == poolstypes.LEASE_STATUS_ACTIVE {
		return false
	}
	has, err := c.RewardsKeeper.RewardAccounts.Has(c.Ctx(), collections.Join(rewardstypes.StreamClients, id))
	require.NoError(t, err)
	return !has
}

// periodRecords is every clients' period record seen so far, collected by
// snapshotPeriods before pruning deletes them.
type periodRecords map[periodKey]rewardstypes.Period

// periodKey is (stream, period); collections.Pair holds pointers, so it
// cannot key a Go map.
type periodKey struct {
	stream uint32
	period uint64
}

func (pr periodRecords) snapshot(t *testing.T, c *apptesting.TestChain) {
	t.Helper()
	require.NoError(t, c.RewardsKeeper.Periods.Walk(c.Ctx(), nil, func(k collections.Pair[uint32, uint64], p rewardstypes.Period) (bool, error) {
		pr[periodKey{k.K1(), k.K2()}] = p
		return false, nil
	}))
}

// uncapped is what lease l would earn from the clients' share with no cap:
// Σ over the clients' periods it overlaps of rate × seconds / 10³⁰, from
// the period records in pr (which must hold every period since the lease
// started). Both halves PayLease pays (closed periods at the lease's end,
// the open one at its close) round down, so the result is ±1 uloop.
func uncapped(t *testing.T, c *apptesting.TestChain, pr periodRecords, l poolstypes.Lease) math.Int {
	t.Helper()
	st, err := c.RewardsKeeper.Streams.Get(c.Ctx(), rewardstypes.StreamClients)
	require.NoError(t, err)
	start, end := l.Start.Unix(), l.End.Unix()
	sum := new(big.Int)
	for p := uint64(0); p < st.Period; p++ {
		rec, ok := pr[periodKey{rewardstypes.StreamClients, p}]
		if !ok {
			continue
		}
		pEnd := st.PeriodStart
		if next, ok := pr[periodKey{rewardstypes.StreamClients, p + 1}]; ok {
			pEnd = next.Start
		}
		overlap := min(end, pEnd) - max(start, rec.Start)
		if overlap > 0 {
			sum.Add(sum, new(big.Int).Mul(rec.Rate.BigInt(), big.NewInt(overlap)))
		}
	}
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(30), nil)
	return math.NewIntFromBigInt(sum.Quo(sum, scale))
}

// A miner leases its own LP device from a second account (wash leasing):
// the price comes back to the device's position and only the exchange fee
// is burned, while the clients' share of the epochs the lease runs in
// (10⁸ uloop per epoch with the defaults) is split by leased GPU-seconds,
// so a lone lease would take all of it. client_rebate_cap pays the lease at
// most half the fees it burned: the pair loses money, an honest client
// alongside is held to its own cap, the withheld rest goes to the sink and
// every minted uloop is still accounted for.
func TestWashLeaseDoesNotPay(t *testing.T) {
	c := apptesting.Setup(t, epochsOf(10*time.Minute))
	miner := apptesting.Account(t, c, "miner", 100_000_000_000)
	second := apptesting.Account(t, c, "miner's second account", 100_000_000_000)
	lp, honest := apptesting.Account(t, c, "honest lp", 100_000_000_000), apptesting.Account(t, c, "honest client", 100_000_000_000)
	apptesting.PutSealedDevice(t, c, 1, miner)
	apptesting.PutSealedDevice(t, c, 2, lp)
	_, err := apptesting.StakeLP(c, miner, 1, 7*24*time.Hour)
	require.NoError(t, err)
	c.NextBlock(t, time.Minute)
	pr := periodRecords{}

	// The wash lease: the miner's own device (the only idle one) for an hour.
	before := apptesting.Balance(c, second)
	owedBefore := position(t, c, 1).OwedUloop
	wash := buyLease(t, c, second, time.Hour)
	l, err := c.PoolsKeeper.Leases.Get(c.Ctx(), wash)
	require.NoError(t, err)
	require.Equal(t, uint64(1), l.DeviceId, "the miner's own device serves the lease")
	buyFee := l.Fees
	// An honest client rents the other device.
	_, err = apptesting.StakeLP(c, lp, 2, 7*24*time.Hour)
	require.NoError(t, err)
	fair := buyLease(t, c, honest, 2*time.Hour)
	// The wash lease is extended: another fee burned, a higher cap.
	pr.snapshot(t, c)
	c.NextBlock(t, time.Minute)
	_, err = apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgExtendLease{Client: second.String(), LeaseId: wash, Duration: time.Hour, MaxUloopIn: math.NewInt(1 << 50)})
	require.NoError(t, err)

	sawOpen := false
	for i := 0; !leasePaid(t, c, wash) || !leasePaid(t, c, fair); i++ {
		require.Less(t, i, 400, "both leases end and are paid")
		// Between the lease's end and its last period's close, the cap is
		// spent on the closed periods: the open one is left nothing.
		if a, err := c.RewardsKeeper.RewardAccounts.Get(c.Ctx(), collections.Join(rewardstypes.StreamClients, wash)); err == nil {
			sawOpen = true
			require.True(t, a.Capped && a.CapLeft.IsZero() && a.Pending.IsPositive(), "the open period's account: %v", a)
			require.True(t, pendingOf(c, second).IsPositive())
		}
		pr.snapshot(t, c)
		c.NextBlock(t, time.Minute)
	}
	require.True(t, sawOpen, "the lease ended inside a period")
	pr.snapshot(t, c)
	params, err := c.RewardsKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)

	// The wash lease ran to its end: the second account paid price + fee,
	// the whole price went to the miner's position, the fee was burned.
	l, err = c.PoolsKeeper.Leases.Get(c.Ctx(), wash)
	require.NoError(t, err)
	require.Equal(t, poolstypes.LEASE_STATUS_ENDED, l.Status)
	require.True(t, l.Fees.GT(buyFee), "the extension's fee counts: %s after %s", l.Fees, buyFee)
	require.Equal(t, before.Sub(l.Price).Sub(l.Fees), apptesting.Balance(c, second), "the second account paid price + fee")
	require.Equal(t, l.Price, l.Released, "the whole price was released to the miner's device")
	require.True(t, position(t, c, 1).OwedUloop.Sub(owedBefore).GTE(l.Released), "and booked to the miner's position")

	// Without the cap the lone lease would have taken far more than it burned.
	full := uncapped(t, c, pr, l)
	require.True(t, full.GT(l.Fees.MulRaw(1000)), "uncapped, wash leasing pays: %s earned for %s of fees", full, l.Fees)

	// With it, the pair's net — the reward less everything the lease
	// cost that did not come back to the miner — is negative.
	reward := pendingOf(c, second)
	capWash := params.ClientRebateCap.MulInt(l.Fees).TruncateInt()
	require.Equal(t, capWash, reward, "the lease is paid its cap, ⌊0.5 × fees⌋, over both of its payments")
	cost := l.Price.Add(l.Fees).Sub(l.Released).Sub(l.Refund)
	net := reward.Sub(cost)
	require.True(t, net.IsNegative(), "wash leasing loses money: reward %s, cost %s", reward, cost)
	t.Logf("wash lease: fees %s, uncapped reward %s, paid %s, net %s", l.Fees, full, reward, net)

	// The honest client: never more than its own cap either.
	lf, err := c.PoolsKeeper.Leases.Get(c.Ctx(), fair)
	require.NoError(t, err)
	capFair := params.ClientRebateCap.MulInt(lf.Fees).TruncateInt()
	require.True(t, pendingOf(c, honest).LTE(capFair), "honest client %s over its cap %s", pendingOf(c, honest), capFair)
	require.True(t, pendingOf(c, honest).IsPositive())

	// Accounting: no record allots more than its pots; what the cap withheld
	// is recorded and, like the sink, stays with the module; minted = paid
	// (fee collector + credits) + sink + withheld + rounding, which is
	// never negative (the sink never counts what an account can collect)
	// and at most a uloop per period. The miners' accounts are settled first, so that
	// all they are owed is credited.
	hooks := c.RewardsKeeper.PocpsHooks()
	require.NoError(t, hooks.AfterDeviceScored(c.Ctx(), 1))
	require.NoError(t, hooks.AfterDeviceScored(c.Ctx(), 2))
	minted, validators, sink, withheld := math.ZeroInt(), math.ZeroInt(), math.ZeroInt(), math.ZeroInt()
	epochs := int64(0)
	require.NoError(t, c.RewardsKeeper.Epochs.Walk(c.Ctx(), nil, func(_ int64, e rewardstypes.EpochEmission) (bool, error) {
		// The record holds the pots; what they allotted is the mint less
		// the validators' share and the sink, never more than the pots.
		allotted := e.Minted.Sub(e.Validators).Sub(e.Sink)
		require.True(t, !allotted.IsNegative() && allotted.LTE(e.Verifiers.Add(e.Miners).Add(e.Clients)), "epoch %d allots %s of its pots", e.Epoch, allotted)
		minted, validators, sink, withheld = minted.Add(e.Minted), validators.Add(e.Validators), sink.Add(e.Sink), withheld.Add(e.Withheld)
		epochs++
		return false, nil
	}))
	require.True(t, withheld.IsPositive())
	credited := math.ZeroInt()
	require.NoError(t, c.RewardsKeeper.Minted.Walk(c.Ctx(), nil, func(_ sdk.AccAddress, amt math.Int) (bool, error) {
		credited = credited.Add(amt)
		return false, nil
	}))
	require.Equal(t, reward.Add(pendingOf(c, honest)).Add(pendingOf(c, miner)).Add(pendingOf(c, lp)), credited, "only the miners and the clients were credited")
	dust := minted.Sub(validators).Sub(credited).Sub(sink).Sub(withheld)
	t.Logf("%d epochs: minted %s, validators %s, credited %s, sink %s, withheld %s, rounding %s", epochs, minted, validators, credited, sink, withheld, dust)
	require.True(t, !dust.IsNegative() && dust.LTE(math.NewInt(2*epochs)), "minted %s = validators %s + credited %s + sink %s + withheld %s, off by %s", minted, validators, credited, sink, withheld, dust)
	// What the cap withheld is what the leases earned beyond their caps.
	fullFair := uncapped(t, c, pr, lf)
	over := full.Sub(reward).Add(fullFair.Sub(pendingOf(c, honest)))
	require.True(t, over.Sub(withheld).Abs().LTE(math.NewInt(4)), "withheld %s, earned beyond the caps %s", withheld, over)
	module := apptesting.Balance(c, authtypes.NewModuleAddress(rewardstypes.ModuleName))
	require.Equal(t, minted.Sub(validators), module, "the module keeps everything it minted but the validators' share until claimed")
}

func position(t *testing.T, c *apptesting.TestChain, device uint64) poolstypes.Position {
	t.Helper()
	p, err := c.PoolsKeeper.Position(c.Ctx(), device)
	require.NoError(t, err)
	return p
}

// Below the cap the clients' pot is still split by leased GPU-seconds: with
// a small emission two leases of 1 h and 2 h, bought together, earn their
// seconds' share of the pots; nothing is withheld. Raising a lease's fees
// (an extension) raises its cap, and a lease that burned no fee earns
// nothing (client_rebate_cap 0 would pay no client).
func TestClientRebateCapSplitsBelowCap(t *testing.T) {
	c := apptesting.Setup(t, epochsOf(10*time.Minute), rewardsParams(func(p *rewardstypes.Params) {
		p.EpochEmission = math.NewInt(50) // the clients' pot: 5 uloop an epoch
	}))
	a, b := apptesting.Account(t, c, "miner a", 100_000_000_000), apptesting.Account(t, c, "miner b", 100_000_000_000)
	x, y := apptesting.Account(t, c, "client x", 100_000_000_000), apptesting.Account(t, c, "client y", 100_000_000_000)
	apptesting.PutSealedDevice(t, c, 1, a)
	apptesting.PutSealedDevice(t, c, 2, b)
	for dev, owner := range map[uint64]sdk.AccAddress{1: a, 2: b} {
		_, err := apptesting.StakeLP(c, owner, dev, 7*24*time.Hour)
		require.NoError(t, err)
	}
	c.NextBlock(t, time.Minute)
	pr := periodRecords{}
	short := buyLease(t, c, x, time.Hour)
	long := buyLease(t, c, y, 2*time.Hour)
	for i := 0; !leasePaid(t, c, short) || !leasePaid(t, c, long); i++ {
		require.Less(t, i, 400)
		pr.snapshot(t, c)
		c.NextBlock(t, time.Minute)
	}
	pr.snapshot(t, c)
	params, err := c.RewardsKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	for client, id := range map[string]uint64{"x": short, "y": long} {
		l, err := c.PoolsKeeper.Leases.Get(c.Ctx(), id)
		require.NoError(t, err)
		addr := map[string]sdk.AccAddress{"x": x, "y": y}[client]
		got, want := pendingOf(c, addr), uncapped(t, c, pr, l)
		require.True(t, want.IsPositive())
		require.True(t, got.LT(params.ClientRebateCap.MulInt(l.Fees).TruncateInt()), "client %s stays below its cap", client)
		require.True(t, got.Sub(want).Abs().LTE(math.OneInt()), "client %s is paid its seconds' share: %s, want %s", client, got, want)
	}
	require.True(t, pendingOf(c, y).GT(pendingOf(c, x)), "twice the seconds, more of the pot")
	require.NoError(t, c.RewardsKeeper.Epochs.Walk(c.Ctx(), nil, func(_ int64, e rewardstypes.EpochEmission) (bool, error) {
		require.True(t, e.Withheld.IsZero(), "epoch %d withheld nothing", e.Epoch)
		return false, nil
	}))
}
