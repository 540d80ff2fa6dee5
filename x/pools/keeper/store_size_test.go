package keeper_test

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/loopin-project/loopin/app/apptesting"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
)

// storeSize is the x/pools KV store's keys and bytes (keys + values), in
// all and by collection prefix.
type storeSize struct {
	keys, bytes int
	byPrefix    map[byte][2]int
}

func measureStore(t *testing.T, c *apptesting.TestChain) storeSize {
	t.Helper()
	store := c.Ctx().KVStore(c.GetKey(poolstypes.StoreKey))
	it := store.Iterator(nil, nil)
	defer it.Close()
	s := storeSize{byPrefix: map[byte][2]int{}}
	for ; it.Valid(); it.Next() {
		k, v := it.Key(), it.Value()
		s.keys++
		s.bytes += len(k) + len(v)
		p := s.byPrefix[k[0]]
		p[0]++
		p[1] += len(k) + len(v)
		s.byPrefix[k[0]] = p
	}
	return s
}

// leaseKeys counts the keys of the collections that grow with leases:
// Leases, LeasesByClient, LeasesByDevice, Queue and PruneQueue.
func (s storeSize) leaseKeys() int {
	n := 0
	for _, p := range []byte{7, 8, 9, 13, 14} {
		n += s.byPrefix[p][0]
	}
	return n
}

// TestStoreSizeStaysFlat buys and ends 100 000 leases and measures the
// x/pools store (every key, iterated) at 1k, 10k and 100k leases: with
// lease_retention pruning, the keys that leases leave behind stay the same.
// It takes minutes, so it runs only with LOOPIN_STORE_SIZE=1; the figures
// are in docs/benchmarks.md ("x/pools store size").
//
// 50 LP devices in the rtx-4090 pool; each round buys a 1 h lease on every
// one of them in one block, then a block 1 h later ends them all (one
// `loopin` epoch each round). lease_retention is 2 h, so a plateau of two
// rounds' closed leases is reached at once; the default 168 h makes the
// plateau 168 rounds' worth (8 400 leases here).
func TestStoreSizeStaysFlat(t *testing.T) {
	if os.Getenv("LOOPIN_STORE_SIZE") == "" {
		t.Skip("set LOOPIN_STORE_SIZE=1 to run (minutes; docs/benchmarks.md)")
	}
	c := apptesting.Setup(t)
	setPoolsParams(t, c, func(p *poolstypes.Params) { p.LeaseRetention = 2 * time.Hour })
	miner, client := apptesting.Account(t, c, "miner", 100_000_000_000), apptesting.Account(t, c, "client", 500_000_000_000)
	const devices = 50
	for id := uint64(1); id <= devices; id++ {
		apptesting.OpenLP(t, c, "rtx-4090", id, miner, 100*24*time.Hour)
	}
	c.NextBlock(t, time.Second)
	at := map[int]storeSize{}
	for bought := 0; bought < 100_000; {
		for range devices {
			buyLease(t, c, client, "rtx-4090", time.Hour)
			bought++
		}
		c.NextBlock(t, time.Hour) // every lease of the round ends
		if bought == 1_000 || bought == 10_000 || bought == 100_000 {
			at[bought] = measureStore(t, c)
		}
	}
	names := map[byte]string{0: "Params", 1: "PoolSeq", 2: "Pools", 3: "ClassIndex", 4: "Positions", 5: "Idle", 6: "LeaseSeq",
		7: "Leases", 8: "LeasesByClient", 9: "LeasesByDevice", 11: "Snapshots", 12: "GpuClasses", 13: "PruneQueue", 14: "Queue"}
	var prefixes []int
	for p := range at[100_000].byPrefix {
		prefixes = append(prefixes, int(p))
	}
	sort.Ints(prefixes)
	var b strings.Builder
	fmt.Fprintf(&b, "| collection | 1k leases | 10k leases | 100k leases |\n|---|---|---|---|\n")
	for _, p := range prefixes {
		fmt.Fprintf(&b, "| %s (%d) |", names[byte(p)], p)
		for _, n := range []int{1_000, 10_000, 100_000} {
			v := at[n].byPrefix[byte(p)]
			fmt.Fprintf(&b, " %d keys, %d B |", v[0], v[1])
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "| all |")
	for _, n := range []int{1_000, 10_000, 100_000} {
		fmt.Fprintf(&b, " %d keys, %d B |", at[n].keys, at[n].bytes)
	}
	t.Log("\n" + b.String())
	require.Equal(t, at[1_000].leaseKeys(), at[100_000].leaseKeys(), "the keys leases leave behind are flat")
	require.Equal(t, at[10_000].leaseKeys(), at[100_000].leaseKeys())
	// Snapshots grow with time, not leases, up to types.MaxTwapWindow.
	require.LessOrEqual(t, at[100_000].byPrefix[11][0], 17*(int(poolstypes.MaxTwapWindow/time.Hour)+2))
}
