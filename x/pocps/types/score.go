package types

import (
	"fmt"
	"time"

	"cosmossdk.io/errors"
	"cosmossdk.io/math"

	"github.com/loopin-project/loopin/loopmath"
)

// ScoreInputs are what the PoCPS score of one device depends on.
type ScoreInputs struct {
	// TimeInProtocol is t, how long the device has been committed without
	// a confirmed failure (PoT restarts on failure).
	TimeInProtocol time.Duration
	// CMinted is the uloop ever minted to the owner; CHeld what it still
	// holds, liquid and locked (PoL).
	CMinted, CHeld math.Int
	// Privacy is the device's privacy level P, 0..100 (PoP).
	Privacy uint32
	// W is the measured throughput and WBench the pool's benchmark, both in
	// int8 ops/s (PoW).
	W, WBench math.Int
}

// Score holds the four factors and their product.
type Score struct {
	PoT, PoL, PoP, PoW, PoCPS math.LegacyDec
}

// factor returns exp(−scale · deficit/reference) for deficit ≥ 0 (and 1 when
// deficit ≤ 0): the shape of every factor of the mainnet-upgrade blog,
// exp(scale·min(0, v − ref)/ref). The exponent is rounded away from zero and
// exp truncated, so every rounding lowers the score (in favour of the
// protocol, never the device).
func factor(scale math.LegacyDec, deficit, reference math.Int) (math.LegacyDec, error) {
	if !deficit.IsPositive() {
		return math.LegacyOneDec(), nil
	}
	if !reference.IsPositive() {
		return math.LegacyDec{}, fmt.Errorf("score reference must be positive, got %s", reference)
	}
	if deficit.GT(reference) {
		deficit = reference
	}
	ratio := math.LegacyNewDecFromInt(deficit).QuoRoundUp(math.LegacyNewDecFromInt(reference))
	exponent := scale.MulRoundUp(ratio)
	if exponent.GT(loopmath.MaxExpArg) {
		exponent = loopmath.MaxExpArg
	}
	return loopmath.ExpNeg(exponent.Neg())
}

// Score computes PoCPS = PoT · PoL · PoP · PoW (x/pocps/README.md, the
// mainnet-upgrade blog):
//
//	PoT = exp(alpha_time    · min(0, t − T0)           / T0)
//	PoL = exp(beta_loyalty  · min(0, C_held − C_minted) / C_minted), 1 when C_minted = 0
//	PoP = exp(gamma_privacy · min(0, P − P_limit)       / P_limit)
//	PoW = exp(delta_work    · min(0, W − W_bench)       / W_bench)
//
// in LegacyDec with the deterministic loopmath.ExpNeg; each factor and the
// product are rounded down. It returns ErrInvalidParams wrapped for inputs
// out of range (negative amounts, privacy above 100, zero W_bench).
func (p Params) Score(in ScoreInputs) (Score, error) {
	if in.TimeInProtocol < 0 || in.CMinted.IsNil() || in.CMinted.IsNegative() || in.CHeld.IsNil() || in.CHeld.IsNegative() ||
		in.W.IsNil() || in.W.IsNegative() || in.WBench.IsNil() || !in.WBench.IsPositive() || in.Privacy > 100 {
		return Score{}, errors.Wrapf(ErrInvalidParams, "score inputs out of range: %+v", in)
	}
	var s Score
	var err error
	t0 := math.NewInt(int64(p.T0 / time.Second))
	t := math.NewInt(int64(in.TimeInProtocol / time.Second))
	if s.PoT, err = factor(p.AlphaTime, t0.Sub(t), t0); err != nil {
		return Score{}, err
	}
	if in.CMinted.IsZero() {
		s.PoL = math.LegacyOneDec()
	} else if s.PoL, err = factor(p.BetaLoyalty, in.CMinted.Sub(in.CHeld), in.CMinted); err != nil {
		return Score{}, err
	}
	limit := math.NewInt(int64(p.PLimit))
	if s.PoP, err = factor(p.GammaPrivacy, limit.Sub(math.NewInt(int64(in.Privacy))), limit); err != nil {
		return Score{}, err
	}
	if s.PoW, err = factor(p.DeltaWork, in.WBench.Sub(in.W), in.WBench); err != nil {
		return Score{}, err
	}
	s.PoCPS = s.PoT.MulTruncate(s.PoL).MulTruncate(s.PoP).MulTruncate(s.PoW)
	return s, nil
}

// MaxWMultiple bounds a reported W: at most MaxWMultiple × the class's
// W_bench ops/s (MsgSubmitChallengeResult), so the moving average and the
// score's products stay far from math.Int's 256 bits.
const MaxWMultiple = 4
