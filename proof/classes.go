package proof

import (
	"fmt"
	"sort"
	"time"
)

// ClassSpec is the datasheet of a GPU class: what PoCPS parameters are
// sized from (TOOLCHAIN.md reference figures; dense, no sparsity). Deadlines
// and W_bench derived from it are starting points to be calibrated on real
// devices (docs/pocps.md §8), never final values.
type ClassSpec struct {
	Class string
	// MemoryBytes is the device memory (HBM or GDDR).
	MemoryBytes uint64
	// MemoryBandwidth is the peak memory bandwidth in bytes/s.
	MemoryBandwidth float64
	// Int8OPS is the dense int8 tensor throughput in ops/s.
	Int8OPS float64
}

// Timing holds a class's deadlines and benchmark throughput.
type Timing struct {
	// ResidencyDeadline bounds a residency answer (walk + commit), verifier clock.
	ResidencyDeadline time.Duration
	// GemmDeadline bounds a throughput answer (all rounds + commits).
	GemmDeadline time.Duration
	// WBench is the benchmark throughput W_bench of the class in ops/s: 70 %
	// of the datasheet dense int8 peak until calibrated.
	WBench uint64
}

// NetworkAllowance is added to every deadline for the round trip between
// verifier and device.
const NetworkAllowance = 500 * time.Millisecond

// Classes lists the genesis GPU classes (x/pools/README.md).
var Classes = []ClassSpec{
	{"h100-sxm", 80e9, 3.35e12, 1979e12},
	{"h100-pcie", 80e9, 2.0e12, 1513e12},
	{"a100", 80e9, 2.0e12, 624e12},
	{"l40", 48e9, 0.864e12, 362e12},
	{"l40s", 48e9, 0.864e12, 733e12},
	{"rtx-4090", 24e9, 1.008e12, 660e12},
	{"rtx-5090", 32e9, 1.792e12, 838e12},
	{"rtx-4080", 16e9, 0.717e12, 390e12},
	{"rtx-3080", 10e9, 0.760e12, 238e12},
	{"rtx-4070", 12e9, 0.504e12, 233e12},
	{"rtx-3070", 8e9, 0.448e12, 163e12},
	{"t4", 16e9, 0.320e12, 130e12},
	{"v100", 16e9, 0.900e12, 62e12},
}

// Spec returns the datasheet of class, or false when the class is unknown.
func Spec(class string) (ClassSpec, bool) {
	for _, c := range Classes {
		if c.Class == class {
			return c, true
		}
	}
	return ClassSpec{}, false
}

// ClassNames returns the known classes, sorted.
func ClassNames() []string {
	names := make([]string, len(Classes))
	for i, c := range Classes {
		names[i] = c.Class
	}
	sort.Strings(names)
	return names
}

// ClassParams sizes PoCPS for a class (docs/pocps.md §8):
//
//   - the seal is the largest power of two of bytes that is more than half
//     of the device memory, so one device cannot hold two seals and a MIG or
//     virtual slice of half the memory cannot hold one;
//   - 8 layers of 6 parents, so regenerating the reads of a walk on demand
//     costs about a whole re-seal (8·N·2.5 hashes) instead of HBM reads;
//   - 2^23 walks of 32 steps (about 20 ms of random HBM reads on an H100,
//     seconds over PCIe), 32 audited samples;
//   - GEMM 4096×4096 (8192 on 80 GB parts) with rounds for about 0.25 s at 70 %
//     of the dense int8 peak.
func ClassParams(class string) (Params, Timing, error) {
	spec, ok := Spec(class)
	if !ok {
		return Params{}, Timing{}, fmt.Errorf("unknown GPU class %q (known: %v)", class, ClassNames())
	}
	seal := uint64(1) // the largest power of two below the memory size
	for seal*2 < spec.MemoryBytes {
		seal *= 2
	}
	dim := uint32(4096)
	if spec.MemoryBytes >= 64e9 {
		dim = 8192
	}
	p := Params{
		Labels: seal / LabelSize, Layers: 8, Parents: 6, Samples: 32,
		Walks: 1 << 23, Steps: 32, GemmRows: dim, GemmDim: dim,
	}
	bench := 0.7 * spec.Int8OPS
	perRound := 2 * float64(dim) * float64(dim) * float64(dim)
	p.Rounds = uint32(max(1, int(0.25*bench/perRound)))

	// A walk step reads one 32-byte label at a random address: count a full
	// 64-byte sector and a quarter of peak bandwidth for random access.
	walkBytes := float64(p.Walks) * float64(p.Steps) * 64
	honestWalk := walkBytes / (0.25 * spec.MemoryBandwidth)
	honestGemm := float64(p.GemmOps()) / bench
	t := Timing{
		ResidencyDeadline: NetworkAllowance + time.Duration(4*honestWalk*float64(time.Second)),
		GemmDeadline:      NetworkAllowance + time.Duration(2*honestGemm*float64(time.Second)),
		WBench:            uint64(bench),
	}
	return p, t, p.Validate()
}
