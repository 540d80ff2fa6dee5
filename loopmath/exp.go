// Package loopmath holds LooPIN's deterministic fixed-point transcendental
// functions for the state machine: no floats, integer arithmetic only, with
// a stated domain, precision and rounding direction (STYLE.md, osmomath's
// Exp2 as the model).
package loopmath

import (
	"errors"
	"fmt"
	"math/big"

	"cosmossdk.io/math"
)

// ErrDomain is returned for arguments outside a function's domain.
var ErrDomain = errors.New("argument outside the function's domain")

// MaxExpArg bounds |x| for Exp: the PoCPS score constants are at most 64
// (x/pocps params) and their ratios lie in [−1, 0].
var MaxExpArg = math.LegacyNewDec(64)

const workDigits = 40 // internal fixed-point precision, decimal digits

var (
	workOne = new(big.Int).Exp(big.NewInt(10), big.NewInt(workDigits), nil)
	// ln 2 to 50 significant digits, scaled to workDigits.
	workLn2 = mustParse("0.69314718055994530941723212145817656807550013436026")
	// LegacyDec's 10^18 relative to the working scale.
	decToWork = new(big.Int).Exp(big.NewInt(10), big.NewInt(workDigits-math.LegacyPrecision), nil)
)

func mustParse(s string) *big.Int {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic("loopmath: bad constant " + s)
	}
	r.Mul(r, new(big.Rat).SetInt(workOne))
	return new(big.Int).Quo(r.Num(), r.Denom())
}

// ExpNeg returns e^x for x in [−MaxExpArg, 0], as a LegacyDec rounded down
// (truncated toward zero): the result is never above the true value and at
// most 10^-18 below it. Rounding down favours the protocol wherever the
// result scales a payout (PoCPS score). It returns ErrDomain for positive or
// too negative x, and for a nil x.
//
// Method: x = −(k·ln 2 + r) with 0 ≤ r < ln 2, e^x = 2^−k · e^−r, and e^−r by
// its Taylor series in 40-digit fixed point until the terms vanish. Only
// big.Int arithmetic: deterministic on every machine.
func ExpNeg(x math.LegacyDec) (math.LegacyDec, error) {
	if x.IsNil() || x.IsPositive() || x.LT(MaxExpArg.Neg()) {
		return math.LegacyDec{}, fmt.Errorf("%w: ExpNeg needs x in [-%s, 0], got %v", ErrDomain, MaxExpArg, x)
	}
	y := new(big.Int).Mul(x.Neg().BigInt(), decToWork) // |x| at working scale
	k := new(big.Int).Quo(y, workLn2)
	r := new(big.Int).Sub(y, new(big.Int).Mul(k, workLn2)) // in [0, ln 2)

	// e^−r = Σ (−r)^i / i!
	sum := new(big.Int).Set(workOne)
	term := new(big.Int).Set(workOne)
	for i := int64(1); term.Sign() != 0; i++ {
		term.Mul(term, r)
		term.Quo(term, workOne)
		term.Quo(term, big.NewInt(i))
		if i%2 == 1 {
			sum.Sub(sum, term)
		} else {
			sum.Add(sum, term)
		}
	}
	sum.Rsh(sum, uint(k.Uint64())) // × 2^−k, truncating
	sum.Quo(sum, decToWork)        // to 18 decimals, truncating
	return math.LegacyNewDecFromBigIntWithPrec(sum, math.LegacyPrecision), nil
}
