package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	"github.com/loopin-project/loopin/x/rewards/keeper"
	"github.com/loopin-project/loopin/x/rewards/types"
)

func TestEmissionDecays(t *testing.T) {
	p := types.DefaultParams()
	p.EpochEmission = math.NewInt(1_000_000)
	p.DecayRate = math.LegacyNewDecWithPrec(5, 1)
	p.DecayInterval = 2
	for epoch, want := range map[int64]int64{1: 1_000_000, 2: 1_000_000, 3: 500_000, 4: 500_000, 5: 250_000, 21: 976} {
		require.Equal(t, math.NewInt(want), keeper.Emission(p, epoch), "epoch %d", epoch)
	}
	p.DecayRate = math.LegacyZeroDec()
	require.Equal(t, math.NewInt(1_000_000), keeper.Emission(p, 1_000_000))
	// Mainnet defaults: 10 % less after a year of hourly epochs.
	d := types.DefaultParams()
	require.Equal(t, d.EpochEmission, keeper.Emission(d, 8760))
	require.Equal(t, math.NewInt(900_000_000), keeper.Emission(d, 8761))
}
