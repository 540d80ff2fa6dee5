package gpu_test

import (
	"context"
	"errors"
	"testing"

	"github.com/loopin-project/loopin/gpu"
	"github.com/loopin-project/loopin/proof"
)

// benchProver returns the backend, or skips when it is not available here.
func benchProver(b *testing.B, backend string) gpu.Prover {
	b.Helper()
	p, err := gpu.Open(backend)
	if errors.Is(err, gpu.ErrNoDriver) {
		b.Skipf("no CUDA device: %v", err)
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	return p
}

// benchParams are sized for each backend: a quick CPU run, a device-sized
// GPU run (512 MiB seal, GEMM 4096², 8 rounds).
func benchParams(backend string) proof.Params {
	if backend == gpu.BackendCUDA {
		return proof.Params{Labels: 1 << 24, Layers: 2, Parents: 6, Samples: 32, Walks: 1 << 22, Steps: 32, GemmRows: 4096, GemmDim: 4096, Rounds: 8}
	}
	return proof.Params{Labels: 1 << 18, Layers: 2, Parents: 6, Samples: 32, Walks: 1 << 14, Steps: 32, GemmRows: 256, GemmDim: 256, Rounds: 2}
}

func benchSeal(b *testing.B, backend string) {
	prover := benchProver(b, backend)
	p := benchParams(backend)
	b.SetBytes(int64(p.SealBytes()) * int64(p.Layers))
	for range b.N {
		s, err := prover.Seal(context.Background(), p, key("bench"), gpu.SealOptions{})
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

func benchResidency(b *testing.B, backend string) {
	prover := benchProver(b, backend)
	p := benchParams(backend)
	s, err := prover.Seal(context.Background(), p, key("bench"), gpu.SealOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	s.Discard()
	b.SetBytes(int64(p.Walks) * int64(p.Steps) * proof.LabelSize)
	b.ResetTimer()
	for range b.N {
		if _, err := s.Residency(context.Background(), key("nonce")); err != nil {
			b.Fatal(err)
		}
	}
}

func benchGemm(b *testing.B, backend string) {
	prover := benchProver(b, backend)
	p := benchParams(backend)
	s, err := prover.Seal(context.Background(), p, key("bench"), gpu.SealOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	s.Discard()
	b.ResetTimer()
	for range b.N {
		if _, err := s.Gemm(context.Background(), key("seed")); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(p.GemmOps())*float64(b.N)/b.Elapsed().Seconds(), "int8-ops/s")
}

func BenchmarkCPUSeal(b *testing.B)       { benchSeal(b, gpu.BackendCPU) }
func BenchmarkCPUResidency(b *testing.B)  { benchResidency(b, gpu.BackendCPU) }
func BenchmarkCPUGemm(b *testing.B)       { benchGemm(b, gpu.BackendCPU) }
func BenchmarkCUDASeal(b *testing.B)      { benchSeal(b, gpu.BackendCUDA) }
func BenchmarkCUDAResidency(b *testing.B) { benchResidency(b, gpu.BackendCUDA) }
func BenchmarkCUDAGemm(b *testing.B)      { benchGemm(b, gpu.BackendCUDA) }
