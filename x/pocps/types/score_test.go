package types_test

import (
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	"github.com/loopin-project/loopin/x/pocps/types"
)

func full(p types.Params) types.ScoreInputs {
	return types.ScoreInputs{
		TimeInProtocol: p.T0, CMinted: math.NewInt(1000), CHeld: math.NewInt(1000),
		Privacy: 100, W: math.NewInt(2_000), WBench: math.NewInt(1_000),
	}
}

// Reference values: Python's decimal module at 50 digits, truncated to 18.
func TestScoreAtTheSeedsReferencePoints(t *testing.T) {
	p := types.DefaultParams()
	cases := []struct {
		name   string
		mutate func(*types.ScoreInputs)
		field  func(types.Score) math.LegacyDec
		want   string
	}{
		{"a device at T0 earns fully", func(*types.ScoreInputs) {}, func(s types.Score) math.LegacyDec { return s.PoCPS }, "1.000000000000000000"},
		{"PoT(0) = exp(-2.303): a new device earns 10 %", func(in *types.ScoreInputs) { in.TimeInProtocol = 0 }, func(s types.Score) math.LegacyDec { return s.PoT }, "0.099958517905605449"},
		{"PoT(T0/2) = exp(-1.1515)", func(in *types.ScoreInputs) { in.TimeInProtocol = p.T0 / 2 }, func(s types.Score) math.LegacyDec { return s.PoT }, "0.316162170263308777"},
		{"PoT beyond T0 is 1", func(in *types.ScoreInputs) { in.TimeInProtocol = 3 * p.T0 }, func(s types.Score) math.LegacyDec { return s.PoT }, "1.000000000000000000"},
		{"PoL with everything sold = exp(-7.324)", func(in *types.ScoreInputs) { in.CHeld = math.ZeroInt() }, func(s types.Score) math.LegacyDec { return s.PoL }, "0.000659518852609110"},
		{"PoL with half held = exp(-3.662)", func(in *types.ScoreInputs) { in.CHeld = math.NewInt(500) }, func(s types.Score) math.LegacyDec { return s.PoL }, "0.025681099131639809"},
		{"PoL is 1 before any mint", func(in *types.ScoreInputs) { in.CMinted, in.CHeld = math.ZeroInt(), math.ZeroInt() }, func(s types.Score) math.LegacyDec { return s.PoL }, "1.000000000000000000"},
		{"PoP at privacy 0 = exp(-2.303)", func(in *types.ScoreInputs) { in.Privacy = 0 }, func(s types.Score) math.LegacyDec { return s.PoP }, "0.099958517905605449"},
		{"PoP at P_limit is 1", func(in *types.ScoreInputs) { in.Privacy = 80 }, func(s types.Score) math.LegacyDec { return s.PoP }, "1.000000000000000000"},
		{"PoW with no work = exp(-7.324)", func(in *types.ScoreInputs) { in.W = math.ZeroInt() }, func(s types.Score) math.LegacyDec { return s.PoW }, "0.000659518852609110"},
		{"PoW at 90 % of W_bench = exp(-0.7324)", func(in *types.ScoreInputs) { in.W = math.NewInt(900) }, func(s types.Score) math.LegacyDec { return s.PoW }, "0.480753795302224959"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := full(p)
			tc.mutate(&in)
			s, err := p.Score(in)
			require.NoError(t, err)
			require.Equal(t, tc.want, tc.field(s).String())
		})
	}
}

func TestScoreIsTheProductRoundedDown(t *testing.T) {
	p := types.DefaultParams()
	in := types.ScoreInputs{TimeInProtocol: 10 * 24 * time.Hour, CMinted: math.NewInt(1000), CHeld: math.NewInt(700), Privacy: 60, W: math.NewInt(950), WBench: math.NewInt(1000)}
	s, err := p.Score(in)
	require.NoError(t, err)
	for _, f := range []math.LegacyDec{s.PoT, s.PoL, s.PoP, s.PoW} {
		require.True(t, f.IsPositive() && f.LT(math.LegacyOneDec()))
	}
	require.Equal(t, s.PoT.MulTruncate(s.PoL).MulTruncate(s.PoP).MulTruncate(s.PoW), s.PoCPS)
	require.True(t, s.PoCPS.LTE(s.PoT.Mul(s.PoL).Mul(s.PoP).Mul(s.PoW)))
}

func TestScoreRejectsBadInputs(t *testing.T) {
	p := types.DefaultParams()
	for name, mutate := range map[string]func(*types.ScoreInputs){
		"privacy above 100": func(in *types.ScoreInputs) { in.Privacy = 101 },
		"negative held":     func(in *types.ScoreInputs) { in.CHeld = math.NewInt(-1) },
		"zero W_bench":      func(in *types.ScoreInputs) { in.WBench = math.ZeroInt() },
		"negative time":     func(in *types.ScoreInputs) { in.TimeInProtocol = -time.Second },
		"nil W":             func(in *types.ScoreInputs) { in.W = math.Int{} },
	} {
		in := full(p)
		mutate(&in)
		_, err := p.Score(in)
		require.ErrorIs(t, err, types.ErrInvalidParams, name)
	}
}

// Each factor never increases as its input gets worse.
func TestScoreIsMonotone(t *testing.T) {
	p := types.DefaultParams()
	prev := math.LegacyOneDec()
	for day := 30; day >= 0; day-- {
		in := full(p)
		in.TimeInProtocol = time.Duration(day) * 24 * time.Hour
		s, err := p.Score(in)
		require.NoError(t, err)
		require.True(t, s.PoT.LTE(prev), "day %d", day)
		prev = s.PoT
	}
}

// FuzzScoreExtremeInputs feeds the score math.Int inputs up to 2²⁵⁶ − 1
// (what a reported W or a minted total could reach without the bounds):
// it never panics, returns every factor in [0, 1], or refuses the inputs
// with an error. `make fuzz` runs it longer.
func FuzzScoreExtremeInputs(f *testing.F) {
	f.Add(uint64(0), uint8(0), uint8(0), uint8(0), uint8(0), uint8(50))
	f.Add(^uint64(0), uint8(255), uint8(255), uint8(255), uint8(255), uint8(100))
	f.Add(uint64(1), uint8(200), uint8(1), uint8(255), uint8(0), uint8(0))
	p := types.DefaultParams()
	max256 := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	toInt := func(seed uint64, bits uint8) math.Int {
		v := new(big.Int).Lsh(new(big.Int).SetUint64(seed|1), uint(bits))
		if v.Cmp(max256) > 0 {
			v = max256
		}
		return math.NewIntFromBigInt(v)
	}
	f.Fuzz(func(t *testing.T, seed uint64, wBits, benchBits, mintedBits, heldBits, privacy uint8) {
		in := types.ScoreInputs{
			TimeInProtocol: time.Duration(seed % uint64(1<<62)),
			CMinted:        toInt(seed, mintedBits), CHeld: toInt(seed>>3, heldBits),
			Privacy: uint32(privacy) % 101,
			W:       toInt(seed>>7, wBits), WBench: toInt(seed>>11, benchBits),
		}
		s, err := p.Score(in)
		if err != nil {
			return
		}
		for _, v := range []math.LegacyDec{s.PoT, s.PoL, s.PoP, s.PoW, s.PoCPS} {
			require.False(t, v.IsNegative(), "%+v", in)
			require.True(t, v.LTE(math.LegacyOneDec()), "%+v", in)
		}
	})
}
