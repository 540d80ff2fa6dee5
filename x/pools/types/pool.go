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

// NewGpuClass returns the record of a class with the datasheet-derived
// parameters of proof.ClassParams and a reference price of the class's dense
// int8 TOPS / 100 uloop per GPU-second (h100-sxm: 19.79 uloop/s, 0.07 LOOP
// per GPU-hour). PoolId is for the caller to set. Errors: an unknown class
// (proof.ClassParams).
func NewGpuClass(class string) (GpuClass, error) {
	seal, timing, err := proof.ClassParams(class)
	if err != nil {
		return GpuClass{}, err
	}
	spec, _ := proof.Spec(class)
	ref, err := math.LegacyNewDecFromStr(fmt.Sprintf("%.2f", spec.Int8OPS/1e14))
	if err != nil {
		return GpuClass{}, err
	}
	return GpuClass{
		Name: class, ReferencePrice: ref, WBench: math.NewIntFromBigInt(new(big.Int).SetUint64(timing.WBench)),
		Seal: ClassSealParamsFromProof(seal), ResidencyDeadline: timing.ResidencyDeadline, GemmDeadline: timing.GemmDeadline,
	}, nil
}

// NewPool returns the empty, active pool id of a class: reserves and
// indices zero, accounted at now.
func NewPool(id uint64, class string, now time.Time) Pool {
	return Pool{
		Id: id, GpuClass: class, Status: POOL_STATUS_ACTIVE, AccountedAt: now,
		UnsoldSeconds: math.ZeroInt(), ReserveUloop: math.ZeroInt(), PriceTimeIndex: math.ZeroInt(), EscrowUloop: math.ZeroInt(),
		PendingBurnUloop: math.ZeroInt(), LeasedSeconds: math.ZeroInt(),
	}
}

// DefaultPools returns the genesis pools and their class records
// (x/pools/README.md "Genesis"): one per class of proof.Classes, ids from 1,
// the RetiringClasses retiring.
func DefaultPools() ([]Pool, []GpuClass) {
	pools := make([]Pool, 0, len(proof.Classes))
	classes := make([]GpuClass, 0, len(proof.Classes))
	for i, c := range proof.Classes {
		gc, err := NewGpuClass(c.Class)
		if err != nil {
			panic(err)
		}
		gc.PoolId = uint64(i + 1)
		p := NewPool(gc.PoolId, c.Class, time.Time{})
		if RetiringClasses[c.Class] {
			p.Status = POOL_STATUS_RETIRING
		}
		pools = append(pools, p)
		classes = append(classes, gc)
	}
	return pools, classes
}

// Validate checks a GPU-class record; errors wrap ErrInvalidPool.
func (c GpuClass) Validate() error {
	if !classRe.MatchString(c.Name) {
		return errors.Wrapf(ErrInvalidPool, "gpu class %q must be 2–32 lower-case letters, digits and dashes", c.Name)
	}
	if c.WBench.IsNil() || !c.WBench.IsPositive() {
		return errors.Wrapf(ErrInvalidPool, "class %q: w_bench must be positive", c.Name)
	}
	if c.ReferencePrice.IsNil() || !c.ReferencePrice.IsPositive() {
		return errors.Wrapf(ErrInvalidPool, "class %q: reference_price must be positive", c.Name)
	}
	if err := c.Seal.ProofParams().Validate(); err != nil {
		return errors.Wrapf(ErrInvalidPool, "class %q: %v", c.Name, err)
	}
	if c.ResidencyDeadline < time.Millisecond || c.GemmDeadline < time.Millisecond {
		return errors.Wrapf(ErrInvalidPool, "class %q: deadlines must be at least 1ms", c.Name)
	}
	return nil
}

// Validate checks a pool's state; errors wrap ErrInvalidPool.
func (p Pool) Validate() error {
	if !classRe.MatchString(p.GpuClass) {
		return errors.Wrapf(ErrInvalidPool, "gpu_class %q must be 2–32 lower-case letters, digits and dashes", p.GpuClass)
	}
	if _, ok := PoolStatus_name[int32(p.Status)]; !ok || p.Status == POOL_STATUS_UNSPECIFIED {
		return errors.Wrapf(ErrInvalidPool, "pool %q has no valid status", p.GpuClass)
	}
	for _, f := range []struct {
		name string
		v    math.Int
	}{
		{"unsold_seconds", p.UnsoldSeconds}, {"reserve_uloop", p.ReserveUloop},
		{"price_time_index", p.PriceTimeIndex}, {"escrow_uloop", p.EscrowUloop},
	} {
		if f.v.IsNil() || f.v.IsNegative() {
			return errors.Wrapf(ErrInvalidPool, "pool %q: %s must be ≥ 0", p.GpuClass, f.name)
		}
	}
	return nil
}

// FailResult is what the keeper's FailPosition moved, uloop.
type FailResult struct {
	// Payout is what the LP owner got back (its unsold time's uloop and what
	// the position earned); 0 for a sold device.
	Payout math.Int
	// Refund is what the pool refunded a broken lease's client (LP device):
	// the unreleased escrow and Clawback.
	Refund math.Int
	// Clawback is the part of Refund taken back from the lease revenue
	// released to the device since its last passed challenge (so out of
	// what the owner would have been paid).
	Clawback math.Int
	// CollateralRefund is what a sold device's broken lease is owed for its
	// unused time, to be paid from the seller's collateral by x/stake.
	CollateralRefund math.Int
	// Client is the broken lease's client, empty when none.
	Client string
	// PenaltyCap is, for a sold device that failed before its end, the most
	// of the seller's penalty the LP positions take (x/stake): the uloop of
	// the undelivered unsold time (⌊L·u/H⌋) — they are paid its value a
	// second time, from the seller; the rest of the penalty is burned
	// (docs/stake.md "Failure"). 0 otherwise.
	PenaltyCap math.Int
}

// OrZero reads an optional Int field of a pool or position record: zero
// when the field is unset (omitted while zero to save gas).
func OrZero(v *math.Int) math.Int {
	if v == nil || v.IsNil() {
		return math.ZeroInt()
	}
	return *v
}

// SoldSeconds returns pool_owned_seconds, GPU-seconds (zero when unset).
func (p Pool) SoldSeconds() math.Int { return OrZero(p.PoolOwnedSeconds) }

// SoldStream returns sold_stream_rate (uloop × 10^30 per second), zero when
// the pool streams nothing.
func (p Pool) SoldStream() math.Int { return OrZero(p.SoldStreamRate) }

// Carry returns stream_carry (uloop × 10^30), zero when unset.
func (p Pool) Carry() math.Int { return OrZero(p.StreamCarry) }
