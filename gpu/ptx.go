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

// ptxImage is one embedded PTX and the target it was built for.
type ptxImage struct {
	arch string // "sm_90a", "sm_80", "sm_70"
	src  string
}

// ptxFor lists the PTX to try for a compute capability, best first:
// sm_90a then sm_80 for Hopper (9.0) — sm_80's mma.sync PTX runs on every
// sm_80+ device, so a driver whose JIT refuses sm_90a still gets the
// tensor-core GEMM —, sm_80 for Ampere, Ada and later, sm_70 (dp4a) for
// Volta and Turing. The driver JIT-compiles the one it accepts for the
// exact device. Devices older than Volta are refused with an error.
func ptxFor(major, minor int) ([]ptxImage, error) {
	sm90a := ptxImage{"sm_90a", ptxSM90a}
	sm80 := ptxImage{"sm_80", ptxSM80}
	sm70 := ptxImage{"sm_70", ptxSM70}
	switch {
	case major == 9 && minor == 0:
		return []ptxImage{sm90a, sm80}, nil
	case major >= 8:
		return []ptxImage{sm80}, nil
	case major == 7:
		return []ptxImage{sm70}, nil
	default:
		return nil, fmt.Errorf("compute capability %d.%d is older than Volta (7.0): not supported", major, minor)
	}
}
