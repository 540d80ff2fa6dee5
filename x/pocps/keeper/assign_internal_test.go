package keeper

import (
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/loopin-project/loopin/proof"
)

// The verifier of a scheduled challenge is uniform over the eligible ones,
// block after block, for every device: a miner cannot count on meeting the
// same (perhaps colluding) verifier again. 4 verifiers, 3 devices, 4 000
// consecutive heights from one beacon: Pearson's χ² of each device's counts
// stays under 16.27 (3 degrees of freedom, p = 0.001), so an honest draw
// fails this test once in a thousand beacons, and this beacon is fixed; and
// no device meets one verifier more than 8 times in a row (an honest draw
// has a run of 9 somewhere in 4 000 with probability about 3 000·(1/4)⁸ ≈
// 0.05; the expected longest run is about 5).
func TestAssignmentIsUniformOverHeights(t *testing.T) {
	a := &assignment{}
	for i := range 4 {
		val := sdk.ValAddress([]byte{byte(i + 1), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19})
		a.verifiers = append(a.verifiers, val)
		a.names = append(a.names, val.String())
	}
	owner := sdk.AccAddress([]byte("owner of the devices."))
	beacon := []byte("a beacon after some reports......")
	const heights = 4000
	for device := uint64(1); device <= 3; device++ {
		counts := map[string]int{}
		last, run, longest := "", 0, 0
		for h := int64(1); h <= heights; h++ {
			seed := proof.BlockDrawSeed(beacon, h)
			name, err := a.pick(seed[:], owner, nil, device<<10)
			require.NoError(t, err)
			counts[name]++
			if name == last {
				run++
			} else {
				last, run = name, 1
			}
			longest = max(longest, run)
		}
		require.Len(t, counts, 4, "every verifier is drawn")
		chi2 := 0.0
		for _, n := range counts {
			d := float64(n) - heights/4.0
			chi2 += d * d / (heights / 4.0)
		}
		require.Less(t, chi2, 16.27, "device %d: counts %v", device, counts)
		require.LessOrEqual(t, longest, 8, "device %d: the same verifier %d times in a row", device, longest)
	}
}
