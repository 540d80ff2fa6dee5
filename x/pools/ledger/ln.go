package ledger

import "math/big"

// lnBits is the binary fixed-point precision of the logarithm's series
// (2^-lnBits per unit); lnSlack bounds, in those units, what the floors of
// the series and of the range reduction lose (a few ulp per term, ≤ 64
// halvings): far below Scale's 10^-30, so the bound costs nothing.
const (
	lnBits  = 160
	lnSlack = 1 << 20
)

// ln2Fixed is ln 2 × 2^lnBits rounded down, from the same series.
var ln2Fixed = atanhFixed(big.NewInt(1), big.NewInt(3))

// atanhFixed returns 2·atanh(n/d) = ln((d+n)/(d−n)) × 2^lnBits rounded
// down, for 0 ≤ n/d ≤ 1/3: Σ 2·z^(2j+1)/(2j+1), each term floored, summed
// until it vanishes. Every step rounds down, so the result never exceeds
// the true value.
func atanhFixed(n, d *big.Int) *big.Int {
	z := new(big.Int).Lsh(n, lnBits)
	z.Quo(z, d)
	z2 := new(big.Int).Mul(z, z)
	z2.Rsh(z2, lnBits)
	sum, term, q := new(big.Int), z, new(big.Int)
	for j := int64(1); term.Sign() > 0; j += 2 {
		sum.Add(sum, q.Quo(term, big.NewInt(j)))
		term = new(big.Int).Mul(term, z2)
		term.Rsh(term, lnBits)
	}
	return sum.Lsh(sum, 1)
}

// LnRatioUp returns ⌈ln(a/b) × Scale⌉ or at most one more, for integers
// a ≥ b > 0 (0 for a ≤ b or b ≤ 0, which QuoteBuy never asks) — an upper bound of the natural logarithm of a/b, so a price
// computed from it rounds in the pool's favour (docs/pools.md "Price
// rule"). a/b = 2^k·r with 1 ≤ r < 2 gives ln = k·ln 2 + 2·atanh((r−1)/(r+1)),
// a series in z ≤ 1/3 that gains about one decimal digit per term. Pure
// integer arithmetic: the same answer on every machine.
func LnRatioUp(a, b int64) *big.Int {
	if a <= b || b <= 0 {
		return new(big.Int)
	}
	A, B := big.NewInt(a), big.NewInt(b)
	k := A.BitLen() - B.BitLen()
	Bk := new(big.Int).Lsh(B, uint(k))
	if A.Cmp(Bk) < 0 {
		k--
		Bk.Rsh(Bk, 1)
	}
	// r = A/Bk in [1, 2): z = (A − Bk)/(A + Bk) ≤ 1/3.
	v := atanhFixed(new(big.Int).Sub(A, Bk), new(big.Int).Add(A, Bk))
	v.Add(v, new(big.Int).Mul(big.NewInt(int64(k)), ln2Fixed))
	v.Add(v, big.NewInt(lnSlack))
	v.Mul(v, Scale)
	return ceilDiv(v, new(big.Int).Lsh(big.NewInt(1), lnBits))
}
