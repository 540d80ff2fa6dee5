package keeper_test

import (
	"testing"
	"time"

	"cosmossdk.io/math"
	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/loopin-project/loopin/app"
	"github.com/loopin-project/loopin/app/apptesting"
	chaintypes "github.com/loopin-project/loopin/types"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
	rewardstypes "github.com/loopin-project/loopin/x/rewards/types"
	staketypes "github.com/loopin-project/loopin/x/stake/types"
)

// burnsIn sums what a transaction's events say was burned or charged to be
// burned: staking fees, exchange fees charged (burned at the epoch end) and
// failure burns.
func burnsIn(t *testing.T, res *sdk.Result) math.Int {
	t.Helper()
	total := math.ZeroInt()
	for _, ev := range res.Events {
		switch ev.Type {
		case "loopin.stake.v1.EventStakingFeeBurned", "loopin.pools.v1.EventFeeCharged", "loopin.stake.v1.EventStakeFailed":
		default:
			continue
		}
		msg, err := sdk.ParseTypedEvent(ev)
		require.NoError(t, err)
		switch e := msg.(type) {
		case *staketypes.EventStakingFeeBurned:
			total = total.Add(e.Amount)
		case *poolstypes.EventFeeCharged:
			total = total.Add(e.Amount)
		case *staketypes.EventStakeFailed:
			total = total.Add(e.Burned)
		}
	}
	return total
}

// FuzzStakeLifecycle runs random stakes, sales, leases, renewals, expiries
// (blocks) and confirmed failures and checks after every step: supply
// conservation (supply = genesis supply + minted − burned, where burned is
// what the events announced less the exchange fees still waiting for the
// epoch-end burn), x/pools' I1 and I5 over the store, and that the x/stake
// module holds exactly the collateral and deposits of the sales active or
// in their grace (a failure in the grace burns them: EventStakeFailed).
func FuzzStakeLifecycle(f *testing.F) {
	f.Add([]byte{0, 1, 1, 2, 2, 0, 5, 3, 3, 1, 5, 9, 4, 2, 5, 30})
	f.Add([]byte{0, 1, 0, 2, 1, 3, 2, 1, 4, 3, 5, 200, 3, 1, 4, 1, 5, 255, 5, 255})
	f.Add([]byte{0, 4, 2, 0, 1, 5, 2, 2, 4, 5, 5, 60, 0, 5, 4, 4, 5, 120})
	f.Add([]byte{0, 19, 0, 18, 1, 2, 2, 0, 2, 1, 5, 30, 4, 1, 2, 3, 5, 90, 4, 2, 5, 200, 5, 250})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 40 {
			ops = ops[:40]
		}
		c := apptesting.Setup(t, apptesting.ShortEpochs(1), func(gs app.GenesisState) {
			cdc := app.MakeEncodingConfig().Codec
			var sg staketypes.GenesisState
			cdc.MustUnmarshalJSON(gs[staketypes.ModuleName], &sg)
			sg.Params.MinLpDuration = time.Minute
			sg.Params.DayLength = time.Minute
			gs[staketypes.ModuleName] = cdc.MustMarshalJSON(&sg)
			var pg poolstypes.GenesisState
			cdc.MustUnmarshalJSON(gs[poolstypes.ModuleName], &pg)
			pg.Params.MinLeaseDuration = time.Minute
			gs[poolstypes.ModuleName] = cdc.MustMarshalJSON(&pg)
		})
		const devices = 6
		miner := apptesting.Account(t, c, "miner", 500_000_000_000)
		client := apptesting.Account(t, c, "client", 500_000_000_000)
		for id := uint64(1); id <= devices; id++ {
			apptesting.PutSealedDevice(t, c, id, miner)
		}
		supply0 := c.BankKeeper.GetSupply(c.Ctx(), chaintypes.BondDenom).Amount
		burned := math.ZeroInt()
		var leases []uint64
		check := func() {
			minted := math.ZeroInt()
			require.NoError(t, c.RewardsKeeper.Epochs.Walk(c.Ctx(), nil, func(_ int64, e rewardstypes.EpochEmission) (bool, error) {
				minted = minted.Add(e.Minted)
				return false, nil
			}))
			pendingBurn := math.ZeroInt()
			require.NoError(t, c.PoolsKeeper.Pools.Walk(c.Ctx(), nil, func(_ uint64, p poolstypes.Pool) (bool, error) {
				pendingBurn = pendingBurn.Add(p.PendingBurnUloop)
				return false, nil
			}))
			supply := c.BankKeeper.GetSupply(c.Ctx(), chaintypes.BondDenom).Amount
			require.Equal(t, supply0.Add(minted).Sub(burned.Sub(pendingBurn)), supply, "minted − burned = supply change")
			apptesting.CheckPools(t, c)
			apptesting.StakeHeld(t, c)
		}
		done := map[string]int{}
		run := func(msg sdk.Msg) *sdk.Result {
			res, err := apptesting.Deliver(c, c.Ctx(), msg)
			if err != nil {
				return nil
			}
			done[sdk.MsgTypeURL(msg)]++
			burned = burned.Add(burnsIn(t, res))
			return res
		}
		for i := 0; i+1 < len(ops); i += 2 {
			arg := uint64(ops[i+1])
			id := 1 + arg%devices
			switch ops[i] % 6 {
			case 0:
				run(&staketypes.MsgStakeLP{Owner: miner.String(), DeviceId: id, Duration: time.Duration(1+arg%20) * time.Minute, MaxUloopIn: math.NewInt(1 << 50)})
			case 1:
				run(&staketypes.MsgSellCompute{Owner: miner.String(), DeviceId: id, Days: uint32(1 + arg%7), MinUloopOut: math.ZeroInt()})
			case 2:
				if res := run(&poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "rtx-4090", Duration: time.Duration(1+arg%5) * time.Minute, MaxUloopIn: math.NewInt(1 << 50)}); res != nil {
					var r poolstypes.MsgBuyLeaseResponse
					require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &r))
					leases = append(leases, r.LeaseId)
				}
			case 3:
				if d, err := c.PocpsKeeper.GetDevice(c.Ctx(), id); err == nil && d.StakeId != 0 {
					run(&staketypes.MsgRenewStake{Owner: miner.String(), StakeId: d.StakeId, Epochs: uint32(1 + arg%3), MaxUloopIn: math.NewInt(1 << 50)})
				}
			case 4: // a confirmed failure, as x/pocps reports it
				d, err := c.PocpsKeeper.GetDevice(c.Ctx(), id)
				require.NoError(t, err)
				if d.StakeId == 0 {
					break
				}
				ctx, write := c.Ctx().CacheContext()
				require.NoError(t, c.StakeKeeper.FailDevice(ctx, id))
				write()
				burned = burned.Add(burnsIn(t, &sdk.Result{Events: ctx.EventManager().ABCIEvents()}))
				done["failure"]++
				// The device re-seals to be usable again in this test.
				d, err = c.PocpsKeeper.GetDevice(c.Ctx(), id)
				require.NoError(t, err)
				d.Status = pocpstypes.DEVICE_STATUS_SEALED
				require.NoError(t, c.PocpsKeeper.Devices.Set(c.Ctx(), id, d))
			case 5:
				c.NextBlock(t, time.Duration(1+arg)*time.Second)
			}
			check()
		}
		t.Logf("succeeded: %v, leases %d", done, len(leases))
	})
}
