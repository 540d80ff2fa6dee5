package app_test

import (
	"fmt"
	"testing"
	"time"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/loopin-project/loopin/app"
	"github.com/loopin-project/loopin/proof"
	chaintypes "github.com/loopin-project/loopin/types"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
	rewardstypes "github.com/loopin-project/loopin/x/rewards/types"
	staketypes "github.com/loopin-project/loopin/x/stake/types"
)

// commitEvery commits the block every 1000 setup writes: a single block's
// write cache grows slow to iterate with 10⁵ dirty keys, which would
// measure the test harness, not the chain.
func commitEvery(b *testing.B, c *app.TestChain, i int) {
	if i%1000 == 0 {
		c.NextBlock(b, 0)
	}
}

// marketSizes are the devices (and leases) the market benchmarks hold.
var marketSizes = []int{1_000, 10_000, 100_000}

// benchMarket commits n devices to the rtx-4090 pool (7 days each) and
// leases half of them for an hour, then commits the block, so each
// benchmark runs against stored state of that size.
func benchMarket(b *testing.B, n int) (*app.TestChain, sdk.AccAddress, []uint64) {
	b.Helper()
	if f, ok := marketFixtures[n]; ok {
		return f.c, f.client, f.leases
	}
	c := app.Setup(b)
	pool := poolOf(b, c, "rtx-4090")
	end := c.Ctx().BlockTime().Add(7 * 24 * time.Hour)
	for i := 1; i <= n; i++ {
		// Spread the ends over a day so the queue and index are not one key.
		if _, err := c.PoolsKeeper.OpenPosition(c.Ctx(), pool.Id, uint64(i), c.Funded, end.Add(time.Duration(i%86400)*time.Second), math.NewInt(1<<62)); err != nil {
			b.Fatal(err)
		}
		commitEvery(b, c, i)
	}
	client := c.Funded
	var leases []uint64
	for i := 0; i < n/2; i++ {
		res, err := deliver(c, c.Ctx(), &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "rtx-4090", Duration: time.Hour, MaxUloopIn: math.NewInt(1 << 50)})
		if err != nil {
			b.Fatal(err)
		}
		var r poolstypes.MsgBuyLeaseResponse
		if err := c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &r); err != nil {
			b.Fatal(err)
		}
		leases = append(leases, r.LeaseId)
		commitEvery(b, c, i+1)
	}
	c.NextBlock(b, time.Second)
	marketFixtures[n] = marketFixture{c, client, leases}
	return c, client, leases
}

// Fixtures are built once per size and shared by the benchmarks (each
// iteration runs in a discarded cache context, so the state never changes).
type marketFixture struct {
	c      *app.TestChain
	client sdk.AccAddress
	leases []uint64
}

var (
	marketFixtures = map[int]marketFixture{}
	stakeFixtures  = map[[2]int]*app.TestChain{}
)

// BenchmarkBuyLease measures MsgBuyLease (match, quote, escrow, queue)
// against pools of 1k, 10k and 100k devices with half of them leased.
func BenchmarkBuyLease(b *testing.B) {
	for _, n := range marketSizes {
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) {
			c, client, _ := benchMarket(b, n)
			ctx := c.Ctx()
			msg := &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "rtx-4090", Duration: 2 * time.Hour, MaxUloopIn: math.NewInt(1 << 50)}
			b.ResetTimer()
			for range b.N {
				cache, _ := ctx.CacheContext()
				if _, err := deliver(c, cache, msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTerminateLease measures MsgTerminateLease at the same sizes.
func BenchmarkTerminateLease(b *testing.B) {
	for _, n := range marketSizes {
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) {
			c, client, leases := benchMarket(b, n)
			ctx := c.Ctx()
			msg := &poolstypes.MsgTerminateLease{Client: client.String(), LeaseId: leases[len(leases)/2], MinRefund: math.ZeroInt()}
			b.ResetTimer()
			for range b.N {
				cache, _ := ctx.CacheContext()
				if _, err := deliver(c, cache, msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEpochDissipation measures the x/pools epoch-end hook (every
// pool dissipated, snapshotted and pruned) at the same sizes: O(pools).
func BenchmarkEpochDissipation(b *testing.B) {
	for _, n := range marketSizes {
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) {
			c, _, _ := benchMarket(b, n)
			ctx := c.Ctx()
			ctx = ctx.WithBlockTime(ctx.BlockTime().Add(30 * time.Minute)) // inside every lease, no queue entry due
			hooks := c.PoolsKeeper.EpochHooks()
			b.ResetTimer()
			for range b.N {
				cache, _ := ctx.CacheContext()
				if err := hooks.AfterEpochEnd(cache, chaintypes.EpochIdentifier, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchStakes seals n devices (written directly to x/pocps) and stakes
// each for 8 days, except the first `due` for 7 days, then commits.
func benchStakes(b *testing.B, n, due int) *app.TestChain {
	b.Helper()
	if c, ok := stakeFixtures[[2]int{n, due}]; ok {
		return c
	}
	c := app.Setup(b)
	commit := pocpstypes.SealCommitment{Params: pocpstypes.SealParamsFromProof(proof.TinyParams())}
	for range proof.TinyParams().Layers {
		commit.LayerRoots = append(commit.LayerRoots, make([]byte, 32))
	}
	for i := 1; i <= n+1; i++ {
		fp := make([]byte, 32)
		fp[0], fp[1], fp[2] = byte(i), byte(i>>8), byte(i>>16)
		d := pocpstypes.Device{
			Id: uint64(i), Owner: c.Funded.String(), GpuClass: "rtx-4090", Fingerprint: fp, Key: make([]byte, 32),
			Seal: commit, Endpoint: "d:1", Status: pocpstypes.DEVICE_STATUS_SEALED, W: math.ZeroInt(),
		}
		if err := c.PocpsKeeper.Devices.Set(c.Ctx(), d.Id, d); err != nil {
			b.Fatal(err)
		}
		commitEvery(b, c, i)
	}
	for i := 1; i <= n; i++ {
		dur := 8 * 24 * time.Hour
		if i <= due {
			dur = 7 * 24 * time.Hour
		}
		if _, err := stakeLP(c, c.Funded, uint64(i), dur); err != nil {
			b.Fatal(err)
		}
		commitEvery(b, c, i)
	}
	c.NextBlock(b, time.Second)
	stakeFixtures[[2]int{n, due}] = c
	return c
}

// BenchmarkStakeLP measures MsgStakeLP (device checks, fee burn, position,
// expiry queue) with 1k, 10k and 100k active stakes.
func BenchmarkStakeLP(b *testing.B) {
	for _, n := range marketSizes {
		b.Run(fmt.Sprintf("stakes=%d", n), func(b *testing.B) {
			c := benchStakes(b, n, 100)
			ctx := c.Ctx()
			msg := &staketypes.MsgStakeLP{Owner: c.Funded.String(), DeviceId: uint64(n + 1), Duration: 7 * 24 * time.Hour, MaxUloopIn: math.NewInt(1 << 50)}
			b.ResetTimer()
			for range b.N {
				cache, _ := ctx.CacheContext()
				if _, err := deliver(c, cache, msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStakeExpiry measures the block in which 100 stakes end, among
// 1k, 10k and 100k active stakes: x/pools' queue (settle and pay each
// position) then x/stake's expiry queue. Reported per expiring stake.
func BenchmarkStakeExpiry(b *testing.B) {
	const due = 100
	for _, n := range marketSizes {
		b.Run(fmt.Sprintf("stakes=%d", n), func(b *testing.B) {
			c := benchStakes(b, n, due)
			ctx := c.Ctx()
			ctx = ctx.WithBlockTime(ctx.BlockTime().Add(7 * 24 * time.Hour))
			b.ResetTimer()
			for range b.N {
				cache, _ := ctx.CacheContext()
				if err := c.PoolsKeeper.BeginBlocker(cache); err != nil {
					b.Fatal(err)
				}
				if err := c.StakeKeeper.BeginBlocker(cache); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/due, "ns/expiring-stake")
		})
	}
}

// BenchmarkRewardsEpochEnd measures x/rewards' epoch end (mint, split, the
// two streams' periods closed) in the block where 100 of 1k, 10k and 100k
// committed devices end their stakes: the closes settle the 100 ended
// accounts and nothing else. Reported per epoch end.
func BenchmarkRewardsEpochEnd(b *testing.B) {
	const due = 100
	for _, n := range marketSizes {
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) {
			c := benchStakes(b, n, due)
			ctx := c.Ctx()
			ctx = ctx.WithBlockTime(ctx.BlockTime().Add(7 * 24 * time.Hour))
			hooks := c.RewardsKeeper.EpochHooks()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				cache, _ := ctx.CacheContext()
				if err := c.PoolsKeeper.BeginBlocker(cache); err != nil {
					b.Fatal(err)
				}
				if err := c.StakeKeeper.BeginBlocker(cache); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if err := hooks.AfterEpochEnd(cache, chaintypes.EpochIdentifier, 2); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkClaimRewards measures MsgClaimRewards with 1k, 10k and 100k
// reward accounts in the miners' stream.
func BenchmarkClaimRewards(b *testing.B) {
	for _, n := range marketSizes {
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) {
			c := benchStakes(b, n, 100)
			ctx := c.Ctx()
			ctx = ctx.WithBlockTime(ctx.BlockTime().Add(time.Hour))
			if err := c.RewardsKeeper.EpochHooks().AfterEpochEnd(ctx, chaintypes.EpochIdentifier, 2); err != nil {
				b.Fatal(err)
			}
			if err := c.RewardsKeeper.PocpsHooks().AfterDeviceScored(ctx, 1); err != nil {
				b.Fatal(err)
			}
			msg := &rewardstypes.MsgClaimRewards{Claimant: c.Funded.String()}
			b.ResetTimer()
			for range b.N {
				cache, _ := ctx.CacheContext()
				if _, err := deliver(c, cache, msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
