package proof

import (
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"
)

func FuzzMulmod61(f *testing.F) {
	f.Add(uint64(0), uint64(0))
	f.Add(P61-1, P61-1)
	f.Add(uint64(1)<<60, uint64(12345678901234567))
	p := new(big.Int).SetUint64(P61)
	f.Fuzz(func(t *testing.T, a, b uint64) {
		a, b = a%P61, b%P61
		want := new(big.Int).Mul(new(big.Int).SetUint64(a), new(big.Int).SetUint64(b))
		want.Mod(want, p)
		require.Equal(t, want.Uint64(), mulmod61(a, b))
	})
}
