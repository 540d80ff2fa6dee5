package gpu

import (
	_ "embed"
	"fmt"
)

// The PTX of gpu/kernels/pocps.cu, built by `make ptx` (scripts/ptx.sh) with
// clang-19 and committed; TestPTXIsFresh fails when it is stale.
var (
	//go:embed ptx/pocps_sm_70.ptx
	ptxSM70 string
	//go:embed ptx/pocps_sm_80.ptx
	ptxSM80 string
	//go:embed ptx/pocps_sm_90a.ptx
	ptxSM90a string
)

// ptxFor picks the PTX for a compute capability: sm_90a for Hopper (9.0),
// sm_80 (tensor-core int8 mma) for Ampere and Ada, sm_70 (dp4a) for Volta
// and Turing. The driver JIT-compiles it for the exact device.
func ptxFor(major, minor int) (ptx, arch string, err error) {
	switch {
	case major == 9 && minor == 0:
		return ptxSM90a, "sm_90a", nil
	case major >= 8:
		return ptxSM80, "sm_80", nil
	case major == 7:
		return ptxSM70, "sm_70", nil
	default:
		return "", "", fmt.Errorf("compute capability %d.%d is older than Volta (7.0): not supported", major, minor)
	}
}
