package types_test

import (
	"testing"
	"time"

	"cosmossdk.io/math"
	"github.com/stretchr/testify/require"

	"github.com/loopin-project/loopin/x/stake/types"
)

func TestSaleFailureSplitsEveryUloop(t *testing.T) {
	for _, c := range []struct{ coll, dep, refund, cap, client, lps int64 }{
		{1000, 50, 300, 200, 300, 200}, // refund, then the LPs' cap, the rest burned
		{1000, 50, 1500, 200, 1000, 0}, // the refund takes the whole collateral
		{1000, 50, 0, 5000, 0, 1000},   // nothing to refund: the LPs up to the collateral
		{0, 50, 10, 10, 0, 0},
	} {
		client, lps, burned := types.SaleFailure(math.NewInt(c.coll), math.NewInt(c.dep), math.NewInt(c.refund), math.NewInt(c.cap))
		require.Equal(t, c.client, client.Int64())
		require.Equal(t, c.lps, lps.Int64())
		require.Equal(t, c.coll+c.dep, client.Add(lps).Add(burned).Int64(), "collateral and deposit all go somewhere")
		require.False(t, burned.IsNegative())
	}
}

func TestRenewalAddedBounds(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	added, err := types.RenewalAdded(now, now.Add(time.Hour), 24, time.Hour)
	require.NoError(t, err)
	require.Equal(t, 24*time.Hour, added)
	_, err = types.RenewalAdded(now, now.Add(time.Hour), 0, time.Hour)
	require.ErrorIs(t, err, types.ErrInvalidDuration)
	_, err = types.RenewalAdded(now, now.Add(time.Hour), 1<<32-1, time.Hour)
	require.ErrorIs(t, err, types.ErrInvalidDuration, "past MaxCommitment, without overflow")
}

func TestSaleLocksRoundUp(t *testing.T) {
	p := types.DefaultParams()
	coll, dep := p.SaleLocks(math.LegacyMustNewDecFromStr("6.24"), 86400)
	require.Equal(t, int64(100*6.24*86400), coll.Int64())
	require.Equal(t, int64(87), dep.Int64(), "⌈0.001 × 86400⌉ = 87")
	_, err := p.SaleDuration(p.SellMaxDays + 1)
	require.ErrorIs(t, err, types.ErrInvalidDuration)
	require.ErrorIs(t, p.CheckLPDuration(time.Hour), types.ErrInvalidDuration)
	require.NoError(t, p.CheckLPDuration(p.MinLpDuration))
}
