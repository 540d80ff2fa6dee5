package proof

import (
	"fmt"
	"math/bits"
)

// ScaledClassParams are a class's parameters shrunk by scale (a power of
// two ≥ 1) for a device or an emulator with 1/scale of the class's memory:
// the seal and the walks by scale, the GEMM's m and n by √scale (rounded
// down to a power of two, at least 64), the rounds by scale (at least 2);
// layers, parents, steps and samples are the class's. The memory returned
// is the class's divided by scale, the limit to give an emulated device
// (LOOPIN_EMU_MEMORY). Every size rule of the class (the seal more than
// half the memory; GEMM row alignment) holds at the scaled size, so a
// scaled run exercises the class's code paths: the memory plan, the
// chunked seal, the audits. Errors: unknown class, scale not a power of
// two, or too large for the class.
func ScaledClassParams(class string, scale uint64) (Params, uint64, error) {
	p, _, err := ClassParams(class)
	if err != nil {
		return Params{}, 0, err
	}
	spec, _ := Spec(class)
	if scale == 0 || scale&(scale-1) != 0 {
		return Params{}, 0, fmt.Errorf("scale must be a power of two, got %d", scale)
	}
	k := bits.TrailingZeros64(scale)
	if p.Labels>>k < 1<<12 {
		return Params{}, 0, fmt.Errorf("scale %d leaves %s's seal under 128 KiB", scale, class)
	}
	p.Labels >>= k
	p.Walks = max(64, p.Walks>>k)
	dim := max(64, p.GemmDim>>(k/2))
	p.GemmDim, p.GemmRows = dim, dim
	p.Rounds = max(2, p.Rounds>>k)
	return p, spec.MemoryBytes / scale, p.Validate()
}
