package app_test

import (
	"fmt"
	"testing"
	"time"

	"cosmossdk.io/math"

	"github.com/loopin-project/loopin/app/apptesting"
	"github.com/loopin-project/loopin/proof"
	chaintypes "github.com/loopin-project/loopin/types"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	rewardstypes "github.com/loopin-project/loopin/x/rewards/types"
	staketypes "github.com/loopin-project/loopin/x/stake/types"
)

// stakeSizes are the active stakes (and devices) the stake and rewards
// benchmarks hold. The x/pools market benchmarks are in x/pools/keeper.
var stakeSizes = []int{1_000, 10_000, 100_000}

// stakeFixtures are built once per size and due count and shared by the
// benchmarks (each iteration runs in a discarded cache context, so the
// state never changes).
var stakeFixtures = map[[2]int]*apptesting.TestChain{}

// benchStakes seals n devices (written directly to x/pocps) and stakes
// each for 8 days, except the first `due` for 7 days, then commits.
func benchStakes(b *testing.B, n, due int) *apptesting.TestChain {
	b.Helper()
	if c, ok := stakeFixtures[[2]int{n, due}]; ok {
		return c
	}
	c := apptesting.Setup(b)
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
		apptesting.CommitEvery(b, c, i)
	}
	for i := 1; i <= n; i++ {
		dur := 8 * 24 * time.Hour
		if i <= due {
			dur = 7 * 24 * time.Hour
		}
		if _, err := apptesting.StakeLP(c, c.Funded, uint64(i), dur); err != nil {
			b.Fatal(err)
		}
		apptesting.CommitEvery(b, c, i)
	}
	c.NextBlock(b, time.Second)
	stakeFixtures[[2]int{n, due}] = c
	return c
}

// BenchmarkStakeLP measures MsgStakeLP (device checks, fee burn, position,
// expiry queue) with 1k, 10k and 100k active stakes.
func BenchmarkStakeLP(b *testing.B) {
	for _, n := range stakeSizes {
		b.Run(fmt.Sprintf("stakes=%d", n), func(b *testing.B) {
			c := benchStakes(b, n, 100)
			ctx := c.Ctx()
			msg := &staketypes.MsgStakeLP{Owner: c.Funded.String(), DeviceId: uint64(n + 1), Duration: 7 * 24 * time.Hour, MaxUloopIn: math.NewInt(1 << 50)}
			b.ResetTimer()
			for range b.N {
				cache, _ := ctx.CacheContext()
				if _, err := apptesting.Deliver(c, cache, msg); err != nil {
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
	for _, n := range stakeSizes {
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
	for _, n := range stakeSizes {
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
	for _, n := range stakeSizes {
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
				if _, err := apptesting.Deliver(c, cache, msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
