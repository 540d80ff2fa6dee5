package keeper_test

import (
	"fmt"
	"testing"
	"time"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/loopin-project/loopin/app/apptesting"
	chaintypes "github.com/loopin-project/loopin/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
)

// marketSizes are the devices (and leases) the market benchmarks hold.
var marketSizes = []int{1_000, 10_000, 100_000}

// benchMarket commits n devices to the rtx-4090 pool (7 days each) and
// leases half of them for an hour, then commits the block, so each
// benchmark runs against stored state of that size.
func benchMarket(b *testing.B, n int) (*apptesting.TestChain, sdk.AccAddress, []uint64) {
	b.Helper()
	if f, ok := marketFixtures[n]; ok {
		return f.c, f.client, f.leases
	}
	c := apptesting.Setup(b)
	pool := apptesting.PoolOf(b, c, "rtx-4090")
	end := c.Ctx().BlockTime().Add(7 * 24 * time.Hour)
	for i := 1; i <= n; i++ {
		// Spread the ends over a day so the queue and index are not one key.
		if _, err := c.PoolsKeeper.OpenPosition(c.Ctx(), pool.Id, uint64(i), c.Funded, end.Add(time.Duration(i%86400)*time.Second), math.NewInt(1<<62)); err != nil {
			b.Fatal(err)
		}
		apptesting.CommitEvery(b, c, i)
	}
	client := c.Funded
	var leases []uint64
	for i := 0; i < n/2; i++ {
		res, err := apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgBuyLease{Client: client.String(), GpuClass: "rtx-4090", Duration: time.Hour, MaxUloopIn: math.NewInt(1 << 50)})
		if err != nil {
			b.Fatal(err)
		}
		var r poolstypes.MsgBuyLeaseResponse
		if err := c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &r); err != nil {
			b.Fatal(err)
		}
		leases = append(leases, r.LeaseId)
		apptesting.CommitEvery(b, c, i+1)
	}
	c.NextBlock(b, time.Second)
	marketFixtures[n] = marketFixture{c, client, leases}
	return c, client, leases
}

// Fixtures are built once per size and shared by the benchmarks (each
// iteration runs in a discarded cache context, so the state never changes).
type marketFixture struct {
	c      *apptesting.TestChain
	client sdk.AccAddress
	leases []uint64
}

var marketFixtures = map[int]marketFixture{}

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
				if _, err := apptesting.Deliver(c, cache, msg); err != nil {
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
				if _, err := apptesting.Deliver(c, cache, msg); err != nil {
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
