package types

import (
	"fmt"
	"math/big"
	"regexp"
	"time"

	"cosmossdk.io/errors"
	"cosmossdk.io/math"

	"github.com/loopin-project/loopin/proof"
)

var classRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,30}[a-z0-9]$`)

// RetiringClasses are the genesis classes that take no new stakes or sales
// (mainnet-upgrade blog: older consumer and datacenter parts).
var RetiringClasses = map[string]bool{
	"rtx-4080": true, "rtx-3080": true, "rtx-4070": true, "rtx-3070": true, "t4": true, "v100": true,
}

// ProofParams converts the stored seal sizes to package proof's.
func (p ClassSealParams) ProofParams() proof.Params {
	return proof.Params{
		Labels: p.Labels, Layers: p.Layers, Parents: p.Parents, Samples: p.Samples,
		Walks: p.Walks, Steps: p.Steps, GemmRows: p.GemmRows, GemmDim: p.GemmDim, Rounds: p.Rounds,
	}
}

// ClassSealParamsFromProof converts package proof's sizes for storage.
func ClassSealParamsFromProof(p proof.Params) ClassSealParams {
	return ClassSealParams{
		Labels: p.Labels, Layers: p.Layers, Parents: p.Parents, Samples: p.Samples,
		Walks: p.Walks, Steps: p.Steps, GemmRows: p.GemmRows, GemmDim: p.GemmDim, Rounds: p.Rounds,
	}
}

// NewClassPool returns the pool of a class with the datasheet-derived
// parameters of proof.ClassParams and a reference price of the class's dense
// int8 TOPS / 100 uloop per GPU-second (h100-sxm: 19.79 uloop/s, 0.07 LOOP
// per GPU-hour). Status and reserves are for the caller to set.
func NewClassPool(class string) (Pool, error) {
	seal, timing, err := proof.ClassParams(class)
	if err != nil {
		return Pool{}, err
	}
	spec, _ := proof.Spec(class)
	ref, err := math.LegacyNewDecFromStr(fmt.Sprintf("%.2f", spec.Int8OPS/1e14))
	if err != nil {
		return Pool{}, err
	}
	return Pool{
		GpuClass: class, Status: POOL_STATUS_ACTIVE, H: math.ZeroInt(), L: math.ZeroInt(), Pi: math.ZeroInt(), Escrow: math.ZeroInt(),
		HSold: math.ZeroInt(), J: math.ZeroInt(), K: math.ZeroInt(), Orphaned: math.ZeroInt(),
		ReferencePrice: ref, WBench: math.NewIntFromBigInt(new(big.Int).SetUint64(timing.WBench)),
		Seal: ClassSealParamsFromProof(seal), ResidencyDeadline: timing.ResidencyDeadline, GemmDeadline: timing.GemmDeadline,
	}, nil
}

// DefaultPools returns the genesis pools (PROTOCOL.md §2): one per class of
// proof.Classes, ids from 1, the RetiringClasses retiring.
func DefaultPools() []Pool {
	pools := make([]Pool, 0, len(proof.Classes))
	for i, c := range proof.Classes {
		p, err := NewClassPool(c.Class)
		if err != nil {
			panic(err)
		}
		p.Id = uint64(i + 1)
		if RetiringClasses[c.Class] {
			p.Status = POOL_STATUS_RETIRING
		}
		pools = append(pools, p)
	}
	return pools
}

// Validate checks a pool's parameters; errors wrap ErrInvalidPool.
func (p Pool) Validate() error {
	if !classRe.MatchString(p.GpuClass) {
		return errors.Wrapf(ErrInvalidPool, "gpu_class %q must be 2–32 lower-case letters, digits and dashes", p.GpuClass)
	}
	if _, ok := PoolStatus_name[int32(p.Status)]; !ok || p.Status == POOL_STATUS_UNSPECIFIED {
		return errors.Wrapf(ErrInvalidPool, "pool %q has no valid status", p.GpuClass)
	}
	for name, v := range map[string]math.Int{"h": p.H, "l": p.L, "w_bench": p.WBench, "pi": p.Pi, "escrow": p.Escrow} {
		if v.IsNil() || v.IsNegative() {
			return errors.Wrapf(ErrInvalidPool, "pool %q: %s must be ≥ 0", p.GpuClass, name)
		}
	}
	if !p.WBench.IsPositive() {
		return errors.Wrapf(ErrInvalidPool, "pool %q: w_bench must be positive", p.GpuClass)
	}
	if p.ReferencePrice.IsNil() || !p.ReferencePrice.IsPositive() {
		return errors.Wrapf(ErrInvalidPool, "pool %q: reference_price must be positive", p.GpuClass)
	}
	if err := p.Seal.ProofParams().Validate(); err != nil {
		return errors.Wrapf(ErrInvalidPool, "pool %q: %v", p.GpuClass, err)
	}
	if p.ResidencyDeadline < time.Millisecond || p.GemmDeadline < time.Millisecond {
		return errors.Wrapf(ErrInvalidPool, "pool %q: deadlines must be at least 1ms", p.GpuClass)
	}
	return nil
}

// FailResult is what the keeper's FailPosition moved, uloop.
type FailResult struct {
	// Payout is what the LP owner got back (its unsold time's uloop and what
	// the position earned); 0 for a sold device.
	Payout math.Int
	// Refund is what the pool refunded a broken lease's client from its
	// escrow (LP device).
	Refund math.Int
	// CollateralRefund is what a sold device's broken lease is owed for its
	// unused time, to be paid from the seller's collateral by x/stake.
	CollateralRefund math.Int
	// Client is the broken lease's client, empty when none.
	Client string
}
