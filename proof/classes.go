package proof

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"
)

// Class sizing (docs/pocps.md §8, §9). Everything in this file is off-chain:
// it computes the parameters and deadlines that a genesis file or a
// governance proposal then stores as integers, so it may use floats. The
// chain runs none of it.

// ClassSpec is the datasheet of a GPU class: what PoCPS parameters are
// sized from (vendor datasheet figures; dense, no sparsity). Deadlines and
// W_bench derived from it are starting points, marked uncalibrated, until a
// device of the class has run (Calibrate; docs/pocps.md §8).
type ClassSpec struct {
	Class string
	// MemoryBytes is the device memory (HBM or GDDR) in bytes.
	MemoryBytes uint64
	// MemoryBandwidth is the peak memory bandwidth in bytes/s.
	MemoryBandwidth float64
	// Int8OPS is the dense int8 tensor throughput in ops/s.
	Int8OPS float64
	// PCIeGen is the generation of the card's x16 host link (3, 4 or 5):
	// a seal held in host memory is read at HostLinkBandwidth(PCIeGen).
	PCIeGen int
}

// HostLinkBandwidth is the practical bandwidth in bytes/s, one direction,
// of an x16 PCIe link of generation gen (docs/pocps.md §9): about 80 % of
// the theoretical 16, 32 and 64 GB/s of Gen3, Gen4 and Gen5 — 13, 26 and
// 50 GB/s. An unknown generation counts as Gen5, the fastest host link a
// current card has.
func HostLinkBandwidth(gen int) float64 {
	switch gen {
	case 3:
		return 13e9
	case 4:
		return 26e9
	default:
		return 50e9
	}
}

// Timing holds a class's deadlines and benchmark throughput.
type Timing struct {
	// ResidencyDeadline bounds a residency answer (walk + commit), verifier clock.
	ResidencyDeadline time.Duration
	// GemmDeadline bounds a throughput answer (all rounds + commits).
	GemmDeadline time.Duration
	// WBench is the benchmark throughput W_bench of the class in ops/s:
	// 70 % of the datasheet dense int8 peak until calibrated, then
	// WBenchFraction of the measured throughput.
	WBench uint64
	// Calibrated is true when the figures come from a device's measured
	// times (Calibrate), false when they are datasheet estimates
	// (ClassParams). No class is calibrated yet: no device has run.
	Calibrated bool
}

// Deadline rule (docs/pocps.md §8): deadline = multiple · honest time +
// round-trip allowance.
const (
	// NetworkAllowance is the round-trip allowance of an uncalibrated
	// deadline (no RTT measured yet).
	NetworkAllowance = 500 * time.Millisecond
	// ResidencyMultiple multiplies the honest residency time.
	ResidencyMultiple = 2
	// GemmMultiple multiplies the honest GEMM time.
	GemmMultiple = 2
	// RTTMultiple multiplies a measured round trip into the allowance.
	RTTMultiple = 2
	// LateFactor is the least factor by which a seal held in host memory and
	// read over the class's PCIe link misses the residency deadline: the
	// walk is sized so that its time over the link is at least LateFactor
	// times the deadline (docs/pocps.md §9).
	LateFactor = 2
	// RandomReadEfficiency is the fraction of peak memory bandwidth assumed
	// for the walk's random, aligned B·32-byte reads (256 bytes: two 128-byte
	// lines) until measured.
	RandomReadEfficiency = 0.5
	// BenchFraction is the fraction of the dense int8 peak an honest GEMM is
	// assumed to reach until measured: the uncalibrated W_bench.
	BenchFraction = 0.7
	// WBenchFraction is the fraction of a measured GEMM throughput that
	// becomes W_bench, so that an honest device of the class, measured a
	// little slower than the reference one, keeps its full PoW.
	WBenchFraction = 0.9
)

// ErrCalibration is returned by Calibrate when measurements are missing or
// would give a residency deadline that a host-resident seal could meet.
var ErrCalibration = errors.New("cannot calibrate the class")

// Classes lists the genesis GPU classes (x/pools/README.md), in pool-id
// order: new classes are appended. Figures are from the vendors' datasheets
// (dense int8 without sparsity, memory in decimal GB, peak bandwidth, the
// PCIe generation of the host link). Appended in format v2: h200 (141 GB
// HBM3e, 4.8 TB/s, 1979 TOPS), h100-nvl (94 GB, 3.9 TB/s, 1671 TOPS), l4
// (24 GB, 300 GB/s, 242 TOPS) and a10 (24 GB, 600 GB/s, 250 TOPS). B200 is
// left out: its published per-GPU figures differ between datasheet
// revisions (180 or 192 GB, 7.7 or 8 TB/s), and a class needs figures that
// are certain.
var Classes = []ClassSpec{
	{"h100-sxm", 80e9, 3.35e12, 1979e12, 5},
	{"h100-pcie", 80e9, 2.0e12, 1513e12, 5},
	{"a100", 80e9, 2.0e12, 624e12, 4},
	{"l40", 48e9, 0.864e12, 362e12, 4},
	{"l40s", 48e9, 0.864e12, 733e12, 4},
	{"rtx-4090", 24e9, 1.008e12, 660e12, 4},
	{"rtx-5090", 32e9, 1.792e12, 838e12, 5},
	{"rtx-4080", 16e9, 0.717e12, 390e12, 4},
	{"rtx-3080", 10e9, 0.760e12, 238e12, 4},
	{"rtx-4070", 12e9, 0.504e12, 233e12, 4},
	{"rtx-3070", 8e9, 0.448e12, 163e12, 4},
	{"t4", 16e9, 0.320e12, 130e12, 3},
	{"v100", 16e9, 0.900e12, 62e12, 3},
	{"h200", 141e9, 4.8e12, 1979e12, 5},
	{"h100-nvl", 94e9, 3.9e12, 1671e12, 5},
	{"l4", 24e9, 0.300e12, 242e12, 4},
	{"a10", 24e9, 0.600e12, 250e12, 4},
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

// Walk sizing bounds: W is a power of two in [minWalks, maxWalks].
const (
	minWalks = 1 << 20
	maxWalks = 1 << 26
)

// ResidencyBytes is the memory a residency challenge reads, W·S·B·32 bytes
// (docs/pocps.md §9).
func (p Params) ResidencyBytes() uint64 {
	return uint64(p.Walks) * uint64(p.Steps) * p.Block() * LabelSize
}

// HonestResidency is the datasheet estimate of an honest residency answer
// for p on spec, in seconds: ResidencyBytes at RandomReadEfficiency of the
// peak memory bandwidth.
func (spec ClassSpec) HonestResidency(p Params) float64 {
	return float64(p.ResidencyBytes()) / (RandomReadEfficiency * spec.MemoryBandwidth)
}

// HostResidency is the time in seconds of the same walks with the seal in
// host memory, read over the class's PCIe link (HostLinkBandwidth): the
// attack the residency deadline must refuse.
func (spec ClassSpec) HostResidency(p Params) float64 {
	return float64(p.ResidencyBytes()) / HostLinkBandwidth(spec.PCIeGen)
}

// ClassParams sizes PoCPS for a class (docs/pocps.md §8) and returns its
// uncalibrated Timing:
//
//   - the seal is the largest power of two of bytes below the device memory
//     (so more than half of it): one device cannot hold two seals and a MIG
//     or virtual slice of half the memory cannot hold one;
//   - 8 layers of 6 parents, so regenerating the reads of a walk on demand
//     costs about a whole re-seal (8·N·2.5 hashes) instead of HBM reads;
//   - walks of S = 32 steps of B = DefaultWalkBlock labels, and W the
//     smallest power of two in [2^20, 2^26] for which the walks read over the
//     class's PCIe link (HostResidency) take at least LateFactor times the
//     residency deadline; 32 audited samples;
//   - GEMM 4096×4096 (8192 on parts of 64 GB or more) with rounds for about
//     0.25 s at BenchFraction of the dense int8 peak;
//   - deadlines ResidencyMultiple·HonestResidency + NetworkAllowance and
//     GemmMultiple·(GemmOps / W_bench) + NetworkAllowance, W_bench =
//     BenchFraction of the peak, Calibrated false.
//
// Errors: an unknown class; a class whose memory is too slow against its
// host link for any W to make a host-resident seal late (wraps
// ErrInvalidParams).
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
		Walks: minWalks, Steps: 32, GemmRows: dim, GemmDim: dim,
	}
	bench := BenchFraction * spec.Int8OPS
	perRound := 2 * float64(dim) * float64(dim) * float64(dim)
	p.Rounds = uint32(max(1, int(0.25*bench/perRound)))

	allowance := NetworkAllowance.Seconds()
	deadline := func() float64 { return ResidencyMultiple*spec.HonestResidency(p) + allowance }
	for spec.HostResidency(p) < LateFactor*deadline() {
		if p.Walks >= maxWalks {
			return Params{}, Timing{}, fmt.Errorf("%w: class %s: %d walks over its PCIe Gen%d link take %.2fs, under %d× the %.2fs deadline",
				ErrInvalidParams, class, p.Walks, spec.PCIeGen, spec.HostResidency(p), LateFactor, deadline())
		}
		p.Walks *= 2
	}
	honestGemm := float64(p.GemmOps()) / bench
	t := Timing{
		ResidencyDeadline: seconds(deadline()),
		GemmDeadline:      seconds(GemmMultiple*honestGemm + allowance),
		WBench:            uint64(bench),
	}
	return p, t, p.Validate()
}

// Calibrate recomputes a class's Timing from measurement on a device of the
// class running ClassParams(class) (docs/pocps.md §8):
//
//	ResidencyDeadline = ResidencyMultiple · honestResidency + RTTMultiple · rtt
//	GemmDeadline      = GemmMultiple · honestGemm + RTTMultiple · rtt
//	WBench            = WBenchFraction · measuredOPS
//
// honestResidency and honestGemm are the device's measured answer times
// (all walks and their commitment; all rounds and their commitments),
// without the network; rtt is the measured verifier–device round trip;
// measuredOPS is the measured GEMM throughput in int8 ops/s (GemmOps /
// honestGemm, or a longer run's). The result is Calibrated. Errors wrap
// ErrCalibration: an unknown class, a non-positive measurement, or a
// residency deadline that the class's walks read over its PCIe link
// (HostResidency) would not miss by LateFactor — the measured device is
// then too slow for its class's walk sizing, which must be re-derived.
func Calibrate(class string, honestResidency, honestGemm, rtt time.Duration, measuredOPS float64) (Timing, error) {
	p, _, err := ClassParams(class)
	if err != nil {
		return Timing{}, fmt.Errorf("%w: %v", ErrCalibration, err)
	}
	spec, _ := Spec(class)
	if honestResidency <= 0 || honestGemm <= 0 || rtt < 0 || !(measuredOPS > 0) || math.IsInf(measuredOPS, 0) {
		return Timing{}, fmt.Errorf("%w: %s: residency %s, GEMM %s, RTT %s, %g ops/s: times and throughput must be positive",
			ErrCalibration, class, honestResidency, honestGemm, rtt, measuredOPS)
	}
	t := Timing{
		ResidencyDeadline: ResidencyMultiple*honestResidency + RTTMultiple*rtt,
		GemmDeadline:      GemmMultiple*honestGemm + RTTMultiple*rtt,
		WBench:            uint64(WBenchFraction * measuredOPS),
		Calibrated:        true,
	}
	if host := spec.HostResidency(p); host < LateFactor*t.ResidencyDeadline.Seconds() {
		return Timing{}, fmt.Errorf("%w: %s: a host-resident seal takes %.3fs over PCIe Gen%d, under %d× the calibrated deadline %s",
			ErrCalibration, class, host, spec.PCIeGen, LateFactor, t.ResidencyDeadline)
	}
	return t, nil
}

// seconds converts float seconds to a Duration, rounded up to the
// millisecond (the stored deadlines' grain).
func seconds(s float64) time.Duration {
	return time.Duration(math.Ceil(s*1e3)) * time.Millisecond
}
