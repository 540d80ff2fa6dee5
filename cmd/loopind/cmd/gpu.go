package cmd

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/loopin-project/loopin/gpu"
	"github.com/loopin-project/loopin/proof"
)

// GPUCmd returns `loopind gpu`: the device a miner would seal and how fast
// it answers PoCPS challenges.
func GPUCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "gpu",
		Short: "Inspect the GPU backend and benchmark PoCPS proofs (seal, residency, GEMM)",
		Long: `Commands for the device a miner sidecar seals: which backend loopind finds
(a CUDA driver at run time, or the CPU reference) and how fast it seals and
answers PoCPS challenges.`,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(gpuInfoCmd(), gpuBenchCmd())
	return cmd
}

func gpuInfoCmd() *cobra.Command {
	var backend string
	cmd := &cobra.Command{
		Use:   "info",
		Short: "Show the backend, device name, memory and CUDA driver loopind would use",
		Example: `  loopind gpu info
  loopind gpu info --backend cuda`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			if backend == gpu.BackendAuto || backend == "" {
				if _, err := gpu.Open(gpu.BackendCUDA); err != nil {
					fmt.Fprintf(out, "CUDA:     unavailable (%v)\n", err)
				}
			}
			prover, err := gpu.Open(backend)
			if err != nil {
				return err
			}
			defer prover.Close()
			printInfo(out, prover.Info())
			return nil
		},
	}
	cmd.Flags().StringVar(&backend, "backend", gpu.BackendAuto, "auto, cuda or cpu")
	return cmd
}

func printInfo(out io.Writer, info gpu.Info) {
	fmt.Fprintf(out, "backend:  %s\n", info.Backend)
	fmt.Fprintf(out, "device:   %s\n", info.Device)
	fmt.Fprintf(out, "memory:   %s\n", gpu.FormatBytes(info.MemoryBytes))
	if info.Backend == gpu.BackendCUDA {
		fmt.Fprintf(out, "driver:   CUDA %s\n", info.Driver)
		fmt.Fprintf(out, "compute:  %s (%d SMs)\n", info.Compute, info.Workers)
		fmt.Fprintf(out, "ptx:      %s\n", info.PTX)
	} else {
		fmt.Fprintf(out, "workers:  %d goroutines\n", info.Workers)
	}
}

type benchFlags struct {
	backend, class, sealSize, sealCache, kernel              string
	scale                                                    uint64
	kernels, residencyHost                                   bool
	layers, gemmDim, rounds, walks, steps, walkBlock, sample uint32
}

func gpuBenchCmd() *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Benchmark sealing, the residency walk and the int8 GEMM on the chosen backend",
		Long: `Seals a throw-away device key, then runs one residency challenge and one
throughput (GEMM) challenge, and audits both as a verifier would, printing
GB/s, ops/s and the audit time — the way "hashcat -b" reports.

Without --class the sizes suit a quick run on the backend (a small seal on
the CPU); --class uses that GPU class's real parameters (a seal of more than
half the device memory), --scale N shrinks them to a device with 1/N of the
class's memory (the emulated driver's LOOPIN_EMU_MEMORY), and the flags
below override single sizes. The setup proof is answered from the layers
when the host holds them, else by sealing again (printed with its time).
Peak device memory (what the prover allocated) and the process's peak
resident memory are printed at the end.`,
		Example: `  loopind gpu bench                              # quick run on the best backend
  loopind gpu bench --backend cpu --seal-size 64MiB
  loopind gpu bench --class h100-sxm             # real class parameters (needs the GPU)
  loopind gpu bench --class h100-sxm --seal-cache /scratch/seal   # layers on disk, not in RAM
  LOOPIN_EMU_MEMORY=19073K LD_LIBRARY_PATH=.gpu/emucuda/sm_90 \
    loopind gpu bench --backend cuda --class h100-sxm --scale 4096   # the class's code paths, emulated`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBench(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.backend, "backend", gpu.BackendAuto, "auto, cuda or cpu")
	fl.StringVar(&f.class, "class", "", "GPU class whose parameters to use ("+strings.Join(proof.ClassNames(), ", ")+")")
	fl.Uint64Var(&f.scale, "scale", 1, "with --class: shrink the class to 1/N of its memory (N a power of two)")
	fl.StringVar(&f.kernel, "kernel", gpu.KernelTiled, "CUDA kernel set for the GEMM rounds and trees: tiled (shared-memory tiles) or simple (the first kernels); same bits")
	fl.StringVar(&f.sealCache, "seal-cache", "", "stream the seal's layers to files in this directory instead of host memory (CUDA)")
	fl.StringVar(&f.sealSize, "seal-size", "", "seal size, a power of two with a unit: 16MiB, 8GiB")
	fl.BoolVar(&f.kernels, "kernels", false, "print each kernel's time for one labeling chunk, one GEMM round and one residency run (CUDA)")
	fl.BoolVar(&f.residencyHost, "residency-host", false, "time the residency walks with the seal in pinned host memory read over PCIe, against device memory (CUDA; the soundness measurement)")
	fl.Uint32Var(&f.layers, "layers", 0, "labeling layers")
	fl.Uint32Var(&f.gemmDim, "gemm-dim", 0, "GEMM dimension n (rows m = n), a multiple of 32")
	fl.Uint32Var(&f.rounds, "rounds", 0, "chained GEMM rounds")
	fl.Uint32Var(&f.walks, "walks", 0, "residency walks (a power of two)")
	fl.Uint32Var(&f.steps, "steps", 0, "reads per residency walk")
	fl.Uint32Var(&f.walkBlock, "walk-block", 0, "labels per walk step (a power of two; 0: the default 8)")
	fl.Uint32Var(&f.sample, "samples", 0, "audited samples per challenge")
	return cmd
}

// quickParams are the default bench sizes when no class is given.
func quickParams(backend string) proof.Params {
	p := proof.Params{Labels: 1 << 19, Layers: 2, Parents: 6, Samples: 32, Walks: 1 << 14, Steps: 32, GemmRows: 256, GemmDim: 256, Rounds: 4}
	if backend == gpu.BackendCUDA {
		p = proof.Params{Labels: 1 << 25, Layers: 4, Parents: 6, Samples: 32, Walks: 1 << 22, Steps: 64, GemmRows: 4096, GemmDim: 4096, Rounds: 16}
	}
	return p
}

func parseSize(s string) (uint64, error) {
	units := []struct {
		suffix string
		mult   uint64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"B", 1}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			var v uint64
			if _, err := fmt.Sscanf(num, "%d", &v); err != nil || v == 0 {
				break
			}
			return v * u.mult, nil
		}
	}
	return 0, fmt.Errorf("invalid size %q: use a number with KiB, MiB, GiB or TiB, e.g. 64MiB", s)
}

func runBench(ctx context.Context, out, errOut io.Writer, f benchFlags) error {
	if ctx == nil {
		ctx = context.Background()
	}
	prover, err := gpu.OpenWith(f.backend, gpu.Options{Kernel: f.kernel})
	if err != nil {
		return err
	}
	defer prover.Close()
	info := prover.Info()

	p := quickParams(info.Backend)
	var spec *proof.ClassSpec
	if f.class != "" {
		cp, mem, err := proof.ScaledClassParams(f.class, max(f.scale, 1))
		if err != nil {
			return err
		}
		s, _ := proof.Spec(f.class)
		if f.scale > 1 {
			s.MemoryBytes = mem
			s.Class = fmt.Sprintf("%s/%d", s.Class, f.scale)
		}
		p, spec = cp, &s
	} else if f.scale > 1 {
		return errors.New("--scale needs --class")
	}
	if f.sealSize != "" {
		size, err := parseSize(f.sealSize)
		if err != nil {
			return err
		}
		p.Labels = size / proof.LabelSize
	}
	for _, o := range []struct {
		v   uint32
		dst *uint32
	}{{f.layers, &p.Layers}, {f.gemmDim, &p.GemmDim}, {f.gemmDim, &p.GemmRows}, {f.rounds, &p.Rounds}, {f.walks, &p.Walks}, {f.steps, &p.Steps}, {f.walkBlock, &p.WalkBlock}, {f.sample, &p.Samples}} {
		if o.v != 0 {
			*o.dst = o.v
		}
	}
	if err := p.Validate(); err != nil {
		return err
	}
	need := p.SealBytes() * uint64(p.Layers) * 3 // layers and trees on the host
	if info.Backend == gpu.BackendCPU && info.MemoryBytes > 0 && need > info.MemoryBytes*3/4 {
		return fmt.Errorf("a %s seal of %d layers needs about %s of RAM on the CPU backend; this machine has %s (use --seal-size)",
			gpu.FormatBytes(p.SealBytes()), p.Layers, gpu.FormatBytes(need), gpu.FormatBytes(info.MemoryBytes))
	}

	fmt.Fprintf(out, "LooPIN PoCPS benchmark — %s backend: %s\n", info.Backend, info.Device)
	if info.Backend == gpu.BackendCUDA {
		fmt.Fprintf(out, "kernels: %s (PTX %s)\n", f.kernel, info.PTX)
	}
	fmt.Fprintf(out, "params: seal %s (2^%d labels) × %d layers, %d parents; %d walks × %d steps; GEMM %d×%d × %d rounds; %d audit samples\n\n",
		gpu.FormatBytes(p.SealBytes()), p.Depth(), p.Layers, p.Parents, p.Walks, p.Steps, p.GemmRows, p.GemmDim, p.Rounds, p.Samples)

	var ek, nonce, secret proof.Hash
	for _, h := range []*proof.Hash{&ek, &nonce, &secret} {
		if _, err := rand.Read(h[:]); err != nil {
			return err
		}
	}

	if spec != nil {
		fmt.Fprintf(out, "class: %s, %s of memory; the seal is %.1f %% of it\n", spec.Class, gpu.FormatBytes(spec.MemoryBytes), 100*float64(p.SealBytes())/float64(spec.MemoryBytes))
	}
	start := time.Now()
	progress := func(done, total int) {
		fmt.Fprintf(errOut, "\rsealing: layer %d/%d (%s)   ", done, total, time.Since(start).Round(time.Millisecond))
	}
	seal, err := prover.Seal(ctx, p, ek, gpu.SealOptions{Progress: progress, CacheDir: f.sealCache})
	fmt.Fprint(errOut, "\r\033[K")
	if err != nil {
		return err
	}
	defer seal.Close()
	sealTime := time.Since(start)
	labeled := float64(p.SealBytes()) * float64(p.Layers)
	fmt.Fprintf(out, "Seal.........: %s × %d layers in %s → %s/s labeled\n",
		gpu.FormatBytes(p.SealBytes()), p.Layers, sealTime.Round(time.Millisecond), gpu.FormatBytes(uint64(labeled/sealTime.Seconds())))
	sealRoot := seal.Commitment().SealRoot()

	var setupSeed proof.Hash
	setupSeed[0] = 0x5e
	how := "from the held layers"
	if !seal.LayersHeld() {
		how = "by sealing again: the host did not keep the layers (--seal-cache keeps them on disk)"
	}
	start = time.Now()
	sp, err := seal.ProveSetup(ctx, setupSeed)
	if err != nil {
		return err
	}
	setupTime := time.Since(start)
	if err := proof.VerifySetup(p, ek, seal.Commitment(), setupSeed, sp); err != nil {
		return fmt.Errorf("setup audit failed: %w", err)
	}
	fmt.Fprintf(out, "Setup proof..: %d samples in %s (%s), verified\n", p.Samples, setupTime.Round(time.Millisecond), how)
	seal.Discard()

	start = time.Now()
	root, err := seal.Residency(ctx, nonce)
	if err != nil {
		return err
	}
	resTime := time.Since(start)
	reads := float64(p.ResidencyBytes())
	line := fmt.Sprintf("Residency....: %d walks × %d steps in %s → %s/s of dependent %d-byte block reads",
		p.Walks, p.Steps, resTime.Round(time.Microsecond), gpu.FormatBytes(uint64(reads/resTime.Seconds())), p.Block()*proof.LabelSize)
	if spec != nil {
		line += fmt.Sprintf(" (%.1f %% of %s/s)", 100*reads/resTime.Seconds()/spec.MemoryBandwidth, gpu.FormatBytes(uint64(spec.MemoryBandwidth)))
	}
	fmt.Fprintln(out, line)

	gemmSeed := nonce
	gemmSeed[0] ^= 0xff
	start = time.Now()
	f2 := proof.NewFreivalds(p, gemmSeed, secret, proof.GemmAuditRounds(p, gemmSeed, secret))
	precompute := time.Since(start)
	start = time.Now()
	roots, err := seal.Gemm(ctx, gemmSeed)
	if err != nil {
		return err
	}
	gemmTime := time.Since(start)
	ops := float64(p.GemmOps()) / gemmTime.Seconds()
	line = fmt.Sprintf("GEMM.........: %.3g int8 ops in %s → %s (W)", float64(p.GemmOps()), gemmTime.Round(time.Microsecond), opsString(ops))
	if spec != nil {
		line += fmt.Sprintf(" (%.1f %% of %s dense int8)", 100*ops/spec.Int8OPS, opsString(spec.Int8OPS))
	}
	fmt.Fprintln(out, line)

	// What these measurements would make of the class's deadlines and
	// W_bench (docs/pocps.md §8), without a network round trip: the
	// verifier's RTT is added when it measures one.
	if spec != nil {
		if cp, _, err := proof.ClassParams(f.class); err == nil && cp == p {
			if t, err := proof.Calibrate(f.class, resTime, gemmTime, 0, ops); err != nil {
				fmt.Fprintf(out, "Calibration..: %v\n", err)
			} else {
				fmt.Fprintf(out, "Calibration..: residency deadline %s + 2·RTT, GEMM deadline %s + 2·RTT, W_bench %s (the class table's are uncalibrated)\n",
					t.ResidencyDeadline.Round(time.Microsecond), t.GemmDeadline.Round(time.Microsecond), opsString(float64(t.WBench)))
			}
		}
	}

	// The verifier's side: audit both answers.
	walks := proof.ResidencyAudit(p, nonce, root, secret)
	rp, err := seal.OpenResidency(walks)
	if err != nil {
		return err
	}
	start = time.Now()
	if err := proof.VerifyResidency(p, sealRoot, nonce, root, secret, rp); err != nil {
		return fmt.Errorf("residency audit failed: %w", err)
	}
	resAudit := time.Since(start)
	gp, err := seal.OpenGemm(proof.GemmAudit(p, gemmSeed, roots, secret))
	if err != nil {
		return fmt.Errorf("open the GEMM audit: %w", err)
	}
	start = time.Now()
	if err := proof.VerifyGemm(p, sealRoot, gemmSeed, roots, secret, gp, f2); err != nil {
		return fmt.Errorf("GEMM audit failed: %w", err)
	}
	gemmAudit := time.Since(start)
	fmt.Fprintf(out, "Audit (CPU)..: residency %s, GEMM %s for k = %d each (Freivalds vectors of the audited rounds precomputed in %s before the challenge)\n",
		resAudit.Round(time.Microsecond), gemmAudit.Round(time.Microsecond), p.Samples, precompute.Round(time.Millisecond))
	mem := prover.Memory() // before the measurements below, which are not a challenge's
	if f.kernels || f.residencyHost {
		pr, ok := seal.(gpu.Profiler)
		if !ok {
			return fmt.Errorf("--kernels and --residency-host need the CUDA backend (this is %s)", info.Backend)
		}
		if f.kernels {
			times, err := pr.Profile(ctx, gemmSeed)
			if err != nil {
				return fmt.Errorf("profile: %w", err)
			}
			fmt.Fprintf(out, "\nKernels (one %d-label chunk, one %d×%d×%d GEMM round, %d walks; host clock, waiting after each launch):\n",
				min(p.Labels, 1<<20), p.GemmRows, p.GemmDim, p.GemmDim, p.Walks)
			for _, kt := range times {
				fmt.Fprintf(out, "  %-28s %4d launch(es) %12s\n", kt.Kernel, kt.Launches, kt.Time.Round(time.Microsecond))
			}
		}
		if f.residencyHost {
			dev, host, err := pr.ResidencyFromHost(ctx, nonce)
			if err != nil {
				return fmt.Errorf("residency from host memory: %w", err)
			}
			fmt.Fprintf(out, "Residency P..: in device memory %s (%s/s), in pinned host memory %s (%s/s): %.1f× slower\n",
				dev.Round(time.Microsecond), gpu.FormatBytes(uint64(reads/dev.Seconds())), host.Round(time.Microsecond), gpu.FormatBytes(uint64(reads/host.Seconds())), host.Seconds()/dev.Seconds())
		}
	}
	printMemory(out, info, mem)
	return nil
}

// printMemory prints the prover's peak memory against the device's.
func printMemory(out io.Writer, info gpu.Info, mem gpu.Memory) {
	if info.Backend == gpu.BackendCUDA {
		fmt.Fprintf(out, "Memory.......: device peak %s of %s (%.1f %%), %s held now; host peak %s (resident)\n",
			gpu.FormatBytes(mem.DevicePeak), gpu.FormatBytes(info.MemoryBytes), 100*float64(mem.DevicePeak)/float64(max(info.MemoryBytes, 1)),
			gpu.FormatBytes(mem.DeviceInUse), gpu.FormatBytes(mem.HostPeak))
		return
	}
	fmt.Fprintf(out, "Memory.......: host peak %s (resident)\n", gpu.FormatBytes(mem.HostPeak))
}

func opsString(ops float64) string {
	units := []string{"ops/s", "Kops/s", "Mops/s", "Gops/s", "Tops/s", "Pops/s"}
	i := 0
	for ops >= 1000 && i < len(units)-1 {
		ops /= 1000
		i++
	}
	return fmt.Sprintf("%.3g %s", ops, units[i])
}
