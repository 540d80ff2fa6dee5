package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/loopin-project/loopin/x/rewards/types"
)

// Emission returns the uloop minted at the end of epoch (≥ 1):
//
//	epoch_emission · (1 − decay_rate)^⌊(epoch − 1)/decay_interval⌋
//
// rounded down. The power is LegacyDec's (repeated squaring, deterministic).
func Emission(p types.Params, epoch int64) math.Int {
	steps := uint64(epoch-1) / p.DecayInterval
	factor := math.LegacyOneDec().Sub(p.DecayRate).Power(steps)
	return factor.MulInt(p.EpochEmission).TruncateInt()
}

// share is ⌊amount · fraction⌋.
func share(amount math.Int, fraction math.LegacyDec) math.Int {
	return fraction.MulInt(amount).TruncateInt()
}

// payVerifiers credits pot to the verifiers by accepted reports in epoch:
// ⌊pot·count/total⌋ each, added to Pending and Minted (C_minted). It returns
// what was credited; the rest goes to the sink.
func (k Keeper) payVerifiers(ctx context.Context, epoch int64, pot math.Int) (math.Int, error) {
	accounts, counts, err := k.pocpsKeeper.VerifierReports(ctx, epoch)
	if err != nil {
		return math.Int{}, err
	}
	var total uint64
	for _, c := range counts {
		total += c
	}
	paid := math.ZeroInt()
	if total == 0 || !pot.IsPositive() {
		return paid, nil
	}
	for i, acc := range accounts {
		amt := pot.Mul(math.NewIntFromUint64(counts[i])).Quo(math.NewIntFromUint64(total))
		if err := k.credit(ctx, acc, amt); err != nil {
			return math.Int{}, err
		}
		paid = paid.Add(amt)
	}
	return paid, nil
}

// credit adds amt to addr's pending rewards and to its C_minted.
func (k Keeper) credit(ctx context.Context, addr sdk.AccAddress, amt math.Int) error {
	if !amt.IsPositive() {
		return nil
	}
	for _, m := range []collections.Map[sdk.AccAddress, math.Int]{k.Pending, k.Minted} {
		cur, err := m.Get(ctx, addr)
		if errors.Is(err, collections.ErrNotFound) {
			cur = math.ZeroInt()
		} else if err != nil {
			return err
		}
		if err := m.Set(ctx, addr, cur.Add(amt)); err != nil {
			return err
		}
	}
	return nil
}
