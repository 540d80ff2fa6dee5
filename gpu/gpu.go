// Package gpu runs the PoCPS provers of package proof on a device: a CPU
// backend (the reference, parallel over the cores) and a CUDA backend that
// loads the driver at run time (dlopen("libcuda.so.1")) and runs the kernels
// of gpu/kernels, compiled to PTX and embedded. Every backend must produce
// exactly the bytes package proof defines; the tests compare them against
// the vectors in testdata/.
//
// The chain never imports this package: it imports package proof only.
package gpu

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
	"unsafe"

	"github.com/loopin-project/loopin/proof"
)

// Backend names accepted by Open.
const (
	BackendAuto = "auto"
	BackendCUDA = "cuda"
	BackendCPU  = "cpu"
)

// ErrNoDriver is returned by the CUDA backend when no CUDA driver can be
// loaded (no NVIDIA driver installed, no device, or a binary built with
// CGO_ENABLED=0).
var ErrNoDriver = errors.New("no CUDA driver")

// ErrDeviceMemory is returned (wrapped, with the sizes) when the device
// has too little free memory for an allocation or for a whole seal.
var ErrDeviceMemory = errors.New("not enough device memory")

// hashBytes is the memory of hs as bytes (32 a hash), without a copy.
func hashBytes(hs []proof.Hash) []byte {
	if len(hs) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(hs))), len(hs)*proof.LabelSize)
}

// FormatBytes formats a byte count for people: "64 GiB", "1.5 MiB".
func FormatBytes(b uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	v, i := float64(b), 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.3g %s", v, units[i])
}

// Info describes a backend and its device.
type Info struct {
	Backend string // "cpu" or "cuda"
	Device  string // device name, e.g. "NVIDIA H200" or the CPU model
	// MemoryBytes is the device memory (CUDA) or the machine's RAM (CPU).
	MemoryBytes uint64
	// Driver is the CUDA driver version ("12.4"), empty for the CPU.
	Driver string
	// Compute is the compute capability ("9.0"), empty for the CPU.
	Compute string
	// PTX is the embedded PTX the CUDA driver loaded: "sm_90a", or a
	// fallback with the reason the better one was refused, e.g.
	// "sm_80 (sm_90a failed: <the JIT's error log, trimmed>)". Empty for
	// the CPU.
	PTX string
	// Workers is the number of CPU goroutines, or the device's SM count.
	Workers int
}

// SealOptions tune a seal.
type SealOptions struct {
	// Progress, if not nil, is called after each layer with (layers done,
	// layers total); a setup proof that re-seals reports the same way.
	Progress func(done, total int)
	// CacheDir, if set, is a directory the CUDA backend streams finished
	// layers to (layer-ℓ.bin, Labels·32 bytes each) instead of host memory:
	// the host then needs only chunk buffers and the trees' upper levels,
	// and the setup proof is answered from the files instead of by
	// re-sealing. Discard deletes them. The CPU backend keeps every layer
	// in memory and ignores it.
	CacheDir string
}

// Memory is what a prover holds, in bytes.
type Memory struct {
	// DeviceInUse and DevicePeak are the device memory this prover has
	// allocated, now and at most (0 on the CPU backend).
	DeviceInUse, DevicePeak uint64
	// HostPeak is the process's peak resident memory (VmHWM).
	HostPeak uint64
}

// Prover seals devices and answers challenges on one backend.
type Prover interface {
	// Info describes the backend and its device.
	Info() Info
	// Seal labels every layer for key ek. Errors: invalid params, a seal
	// that cannot fit (ErrDeviceMemory, or host memory without a
	// CacheDir, with the sizes), ctx's, the device's.
	Seal(ctx context.Context, p proof.Params, ek proof.Hash, opts SealOptions) (Seal, error)
	// Restore takes back a seal made earlier from its sealed layer P,
	// Labels·32 bytes read from sealed (what Seal.WriteSealed wrote): P
	// goes where the backend answers from and its tree is rebuilt, which
	// must have c's seal root. The other layers are not held (ProveSetup
	// re-seals). Errors: a short or wrong P (its root differs from c's),
	// the device out of memory, the reader's.
	Restore(ctx context.Context, p proof.Params, ek proof.Hash, c proof.Commitment, sealed io.Reader) (Seal, error)
	// Memory reports what the prover holds and has held.
	Memory() Memory
	// Close releases the backend.
	Close() error
}

// Seal is a sealed device: its layers where the backend keeps them (every
// layer until Discard, then the sealed layer P), and the upper levels of
// their Merkle trees.
type Seal interface {
	// Params are the seal's parameters.
	Params() proof.Params
	// Commitment is the root of every layer.
	Commitment() proof.Commitment
	// WriteSealed writes the sealed layer P (Labels·32 bytes), what the
	// miner sidecar keeps on disk for Restore.
	WriteSealed(w io.Writer) error
	// ProveSetup answers the setup challenge from the held layers, or,
	// when they are not held (a class-size seal without a cache, or a
	// restored one), by sealing again with P's memory (as long as the
	// first seal). Errors: ctx's, the device's, a re-seal that differs.
	ProveSetup(ctx context.Context, seed proof.Hash) (*proof.SetupProof, error)
	// LayersHeld tells whether every layer is held, so that ProveSetup
	// answers without sealing again.
	LayersHeld() bool
	// Discard drops every layer but P.
	Discard()
	// Residency runs the walks for nonce and returns the commitment root.
	Residency(ctx context.Context, nonce proof.Hash) (proof.Hash, error)
	// OpenResidency opens the given walks of the last Residency run.
	OpenResidency(walks []uint32) (*proof.ResidencyProof, error)
	// Gemm runs the chained GEMM rounds for seed and returns their roots.
	Gemm(ctx context.Context, seed proof.Hash) ([]proof.Hash, error)
	// OpenGemm opens the given rows of the last Gemm run.
	OpenGemm(refs []proof.RowRef) (*proof.GemmProof, error)
	// Close releases the seal's memory.
	Close() error
}

// KernelTime is one kernel's share of a profile: the times it ran (a tree
// of several launches counts once) and their
// time on the host clock, waiting after each (so ±10 µs a launch).
type KernelTime struct {
	Kernel   string
	Launches int
	Time     time.Duration
}

// Profiler is a seal that can time its kernels and measure where P must
// live (the CUDA backend's seals).
type Profiler interface {
	// Profile runs one chunk of labeling, one GEMM round and one residency
	// run for seed on the seal's P, waiting after every launch, and
	// returns each kernel's time. Errors: the device's.
	Profile(ctx context.Context, seed proof.Hash) ([]KernelTime, error)
	// ResidencyFromHost runs the residency walks for nonce twice: with P in
	// device memory, and with P copied to pinned host memory the device
	// reads over PCIe (mapped), as a device that kept its seal in host
	// memory would answer. It returns both walk times (kernels only, no
	// tree) after checking that both runs give the same results. Errors:
	// the host cannot pin P's size, the device's.
	ResidencyFromHost(ctx context.Context, nonce proof.Hash) (device, host time.Duration, err error)
}

// Options tune a backend.
type Options struct {
	// Kernel is the CUDA backend's kernel set for the GEMM rounds and the
	// Merkle trees: KernelTiled (the default: shared-memory GEMM tiles, B
	// written column-major by the PRG, trees 9 levels a launch) or
	// KernelSimple (the first kernels: a warp per 16×32 tile from global
	// memory, the PRG then a transpose, a level a launch). Both give the
	// same bits; the CPU backend ignores it.
	Kernel string
}

// Open returns the prover for backend: "cpu", "cuda", or "auto" (CUDA when a
// driver and a device are found, else the CPU), with default Options.
func Open(backend string) (Prover, error) { return OpenWith(backend, Options{}) }

// OpenWith is Open with options. Errors: an unknown backend or kernel set,
// ErrNoDriver for "cuda" without a driver or device.
func OpenWith(backend string, o Options) (Prover, error) {
	switch backend {
	case BackendCPU:
		return NewCPU(0), nil
	case BackendCUDA:
		return openCUDA(o)
	case BackendAuto, "":
		if p, err := openCUDA(o); err == nil {
			return p, nil
		}
		return NewCPU(0), nil
	default:
		return nil, fmt.Errorf("unknown backend %q: use auto, cuda or cpu", backend)
	}
}
