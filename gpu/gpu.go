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

// Prover seals devices and answers challenges on one backend.
type Prover interface {
	// Info describes the backend and its device.
	Info() Info
	// Seal labels every layer for key ek and keeps them until Discard.
	// progress, if not nil, is called after each layer.
	Seal(ctx context.Context, p proof.Params, ek proof.Hash, progress func(done, total int)) (Seal, error)
	// Restore takes back a seal made earlier (its layers and trees, kept
	// on disk by the miner sidecar) without labeling again: the sealed
	// layer P goes where the backend answers from. Errors: a sealing
	// without layers, the device out of memory.
	Restore(s *proof.Sealing) (Seal, error)
	// Close releases the backend.
	Close() error
}

// Seal is a sealed device: the layers (until Discard) or only the sealed
// layer P, where the backend keeps them (host or GPU memory).
type Seal interface {
	// Commitment is the root of every layer.
	Commitment() proof.Commitment
	// Sealing is the host copy of the layers and their trees (every layer
	// until Discard), what the miner sidecar keeps on disk.
	Sealing() *proof.Sealing
	// ProveSetup answers the setup challenge; it needs every layer.
	ProveSetup(seed proof.Hash) (*proof.SetupProof, error)
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

// Open returns the prover for backend: "cpu", "cuda", or "auto" (CUDA when a
// driver and a device are found, else the CPU).
func Open(backend string) (Prover, error) {
	switch backend {
	case BackendCPU:
		return NewCPU(0), nil
	case BackendCUDA:
		return openCUDA()
	case BackendAuto, "":
		if p, err := openCUDA(); err == nil {
			return p, nil
		}
		return NewCPU(0), nil
	default:
		return nil, fmt.Errorf("unknown backend %q: use auto, cuda or cpu", backend)
	}
}
