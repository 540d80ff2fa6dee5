package ledger_test

import (
	"math"
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/loopin-project/loopin/x/pools/ledger"
)

// Known constants to 40 digits: the bound is ⌈ln·10^30⌉ or one above it.
func TestLnRatioUpKnownValues(t *testing.T) {
	for _, c := range []struct {
		a, b int64
		want string // ⌈ln(a/b)·10^30⌉
	}{
		{2, 1, "693147180559945309417232121459"},         // ln 2 = 0.693147180559945309417232121458176568…
		{10, 1, "2302585092994045684017991454685"},       // ln 10 = 2.302585092994045684017991454684364207…
		{3, 2, "405465108108164381978013115465"},         // ln 1.5 = 0.405465108108164381978013115464349136…
		{1 << 40, 1, "27725887222397812376689284858328"}, // 40·ln 2 = 27.725887222397812376689284858327062…
	} {
		got := ledger.LnRatioUp(c.a, c.b)
		want, _ := new(big.Int).SetString(c.want, 10)
		d := new(big.Int).Sub(got, want)
		require.True(t, d.Sign() >= 0 && d.Cmp(big.NewInt(1)) <= 0, "ln(%d/%d): got %s want %s (+1)", c.a, c.b, got, want)
	}
	require.Zero(t, ledger.LnRatioUp(5, 5).Sign())
}

// The bound is additive along a path, which is what makes a split purchase
// cost what a whole one does: ln(a/b) + ln(b/c) ≥ ln(a/c), within 2 units
// of 10^-30; and it agrees with math.Log.
func FuzzLnRatioUp(f *testing.F) {
	f.Add(int64(1000), int64(600), int64(7))
	f.Add(int64(1)<<50, int64(3), int64(1))
	f.Fuzz(func(t *testing.T, a, b, c int64) {
		if a <= 0 || b <= 0 || c <= 0 {
			return
		}
		// Order them a ≥ b ≥ c.
		if a < b {
			a, b = b, a
		}
		if b < c {
			b, c = c, b
		}
		if a < b {
			a, b = b, a
		}
		ab, bc, ac := ledger.LnRatioUp(a, b), ledger.LnRatioUp(b, c), ledger.LnRatioUp(a, c)
		sum := new(big.Int).Add(ab, bc)
		require.True(t, sum.Cmp(ac) >= 0, "split never below whole")
		require.True(t, new(big.Int).Sub(sum, ac).Cmp(big.NewInt(2)) <= 0, "split within rounding of whole")
		f64, _ := new(big.Rat).SetFrac(ac, ledger.Scale).Float64()
		ref := math.Log(float64(a)) - math.Log(float64(c))
		require.InDelta(t, ref, f64, 1e-9*max(1, ref))
	})
}

// The price rule's logarithm, per quote (docs/benchmarks.md).
func BenchmarkQuoteBuy(b *testing.B) {
	p := ledger.New(0, 3, 1000, 10)
	for id := uint64(1); id <= 100; id++ {
		if _, err := p.StakeLP(id, 7*86400); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if _, _, err := p.QuoteBuy(36 * 3600); err != nil {
			b.Fatal(err)
		}
	}
}
