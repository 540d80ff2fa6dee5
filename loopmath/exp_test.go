package loopmath_test

import (
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	"github.com/loopin-project/loopin/loopmath"
)

// refExpNeg computes e^x for x ≤ 0 with 300-bit floats: the Taylor series of
// e^{x/2^s} squared s times. A different method from the one under test.
func refExpNeg(x math.LegacyDec) *big.Float {
	const prec = 300
	xf, _, err := big.ParseFloat(x.String(), 10, prec, big.ToNearestEven)
	if err != nil {
		panic(err)
	}
	const s = 12
	xf.Quo(xf, new(big.Float).SetPrec(prec).SetInt64(1<<s))
	sum := new(big.Float).SetPrec(prec).SetInt64(1)
	term := new(big.Float).SetPrec(prec).SetInt64(1)
	for i := int64(1); i < 80; i++ {
		term.Mul(term, xf)
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(i))
		sum.Add(sum, term)
	}
	for range s {
		sum.Mul(sum, sum)
	}
	return sum
}

// checkAgainstReference asserts 0 ≤ ref − got ≤ 10^-18 (truncation, one ulp).
func checkAgainstReference(t *testing.T, x math.LegacyDec) {
	t.Helper()
	got, err := loopmath.ExpNeg(x)
	require.NoError(t, err)
	g, _, err := big.ParseFloat(got.String(), 10, 300, big.ToNearestEven)
	require.NoError(t, err)
	diff := new(big.Float).SetPrec(300).Sub(refExpNeg(x), g)
	ulp := big.NewFloat(1e-18)
	require.True(t, diff.Sign() >= 0, "ExpNeg(%s) = %s is above the true value", x, got)
	require.True(t, diff.Cmp(ulp) <= 0, "ExpNeg(%s) = %s is off by %s", x, got, diff.Text('e', 5))
}

func TestExpNegAgainstReferenceOverTheDomain(t *testing.T) {
	// Dense grid over [-64, 0] plus the points the protocol cares about.
	step := math.LegacyNewDecWithPrec(1, 2) // 0.01
	for x := math.LegacyZeroDec(); x.GTE(loopmath.MaxExpArg.Neg()); x = x.Sub(step.MulInt64(7)) {
		checkAgainstReference(t, x)
	}
	for _, s := range []string{"0", "-0.000000000000000001", "-0.5", "-0.693147180559945309", "-1", "-2.303", "-7.324", "-63.999999999999999999", "-64"} {
		checkAgainstReference(t, math.LegacyMustNewDecFromStr(s))
	}
}

func TestExpNegKnownValues(t *testing.T) {
	one, err := loopmath.ExpNeg(math.LegacyZeroDec())
	require.NoError(t, err)
	require.Equal(t, math.LegacyOneDec(), one)

	// PoT(0) = exp(−2.303) ≈ 0.1000: a new device earns 10 %.
	pot0, err := loopmath.ExpNeg(math.LegacyMustNewDecFromStr("-2.303"))
	require.NoError(t, err)
	require.Equal(t, "0.099958517905605449", pot0.String()) // Python Decimal(-2.303).exp() at 50 digits: 0.0999585179056054490678…

	e1, err := loopmath.ExpNeg(math.LegacyNewDec(-1))
	require.NoError(t, err)
	require.Equal(t, "0.367879441171442321", e1.String()) // 1/e = 0.36787944117144232159…
}

func TestExpNegDomain(t *testing.T) {
	for _, x := range []math.LegacyDec{math.LegacyNewDecWithPrec(1, 18), math.LegacyNewDec(1), math.LegacyNewDec(-65), {}} {
		_, err := loopmath.ExpNeg(x)
		require.ErrorIs(t, err, loopmath.ErrDomain)
	}
}

func TestExpNegIsMonotone(t *testing.T) {
	prev := math.LegacyOneDec()
	for i := int64(1); i <= 2000; i++ {
		v, err := loopmath.ExpNeg(math.LegacyNewDecWithPrec(-i, 2))
		require.NoError(t, err)
		require.True(t, v.LTE(prev), "exp must not increase as x decreases (at %d)", i)
		prev = v
	}
}

func FuzzExpNeg(f *testing.F) {
	f.Add(int64(0))
	f.Add(int64(-2303000000000000000))
	f.Add(int64(-64000000000000000))
	f.Fuzz(func(t *testing.T, raw int64) {
		if raw > 0 {
			raw = -raw
		}
		x := math.LegacyNewDecWithPrec(raw, 18).MulInt64(64) // spans [−553, 0]
		if x.LT(loopmath.MaxExpArg.Neg()) {
			_, err := loopmath.ExpNeg(x)
			require.ErrorIs(t, err, loopmath.ErrDomain)
			return
		}
		checkAgainstReference(t, x)
	})
}

func BenchmarkExpNeg(b *testing.B) {
	x := math.LegacyMustNewDecFromStr("-7.324")
	for range b.N {
		if _, err := loopmath.ExpNeg(x); err != nil {
			b.Fatal(err)
		}
	}
}
