package miner

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/loopin-project/loopin/gpu"
	"github.com/loopin-project/loopin/proof"
	"github.com/loopin-project/loopin/sidecar/chain"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
)

// fingerprint identifies the device: the CPU backend's stands for a host
// and a name; a CUDA device adds its model (a production fingerprint
// would read the GPU's UUID).
func fingerprint(info gpu.Info, name, owner string) [32]byte {
	host, _ := os.Hostname()
	if info.Backend == gpu.BackendCUDA {
		return sha256.Sum256([]byte("loopin/cuda-device/v1|" + host + "|" + info.Device + "|" + name + "|" + owner))
	}
	return sha256.Sum256([]byte("loopin/cpu-device/v1|" + host + "|" + name + "|" + owner))
}

// setUp brings the device to "registered with a seal in memory": it
// loads the seal kept in cfg.Dir, or seals anew, and registers the device
// unless the chain already has it. Each step is saved before the next, so
// a sidecar stopped at any point resumes without losing work: a seal saved
// but not yet known registered is matched with the chain by fingerprint
// and layer roots (adopted when the registration went through, registered
// when it did not and its key is still in the key window, resealed when
// the key is too old). Errors: the seal on disk is unreadable, this
// fingerprint belongs to a device whose seal is not in cfg.Dir
// (errFingerprintTaken), the chain refuses the registration.
func setUp(ctx context.Context, c *chain.Client, prover gpu.Prover, cfg Config, mm *minerMetrics, log *slog.Logger) (_ state, _ gpu.Seal, err error) {
	st, seal, err := load(ctx, cfg.Dir, prover)
	if err != nil {
		return state{}, nil, err
	}
	if seal == nil {
		return sealAndRegister(ctx, c, prover, cfg, mm, log)
	}
	// The restored seal goes back with the state, or is closed.
	defer func() {
		if err != nil && seal != nil {
			seal.Close()
		}
	}()
	mm.sealProgress.Set(1)
	if st.DeviceID != 0 {
		// The chain's record of the device must be this seal: a seal.bin
		// and state.json from elsewhere would answer every challenge wrongly.
		res, err := pocpstypes.NewQueryClient(c.Conn()).Device(ctx, &pocpstypes.QueryDeviceRequest{DeviceId: st.DeviceID})
		if err != nil {
			return state{}, nil, fmt.Errorf("device %d: %w", st.DeviceID, err)
		}
		if !sameRoots(res.Device.Seal.LayerRoots, seal.Commitment().LayerRoots) {
			return state{}, nil, fmt.Errorf("the seal in %s is not the one device %d registered on chain: delete %s to seal and register anew, or give the --dir that sealed it",
				cfg.Dir, st.DeviceID, cfg.Dir)
		}
		log.Info("seal loaded from disk", "device", st.DeviceID, "dir", cfg.Dir)
		return st, seal, nil
	}
	// Sealed, but the registration was not recorded: it may or may not
	// have reached the chain.
	log.Info("seal loaded from disk, registration not recorded: asking the chain", "dir", cfg.Dir)
	d, err := deviceByFingerprint(ctx, c, st.Fingerprint)
	if err != nil {
		return state{}, nil, err
	}
	if d != nil {
		if !sameRoots(d.Seal.LayerRoots, seal.Commitment().LayerRoots) {
			return state{}, nil, fmt.Errorf("%w: device %d has this fingerprint with another seal than the one in %s: "+
				"deregister it (`loopind tx pocps deregister-device %d --from %s`) or use another --name", errFingerprintTaken, d.Id, cfg.Dir, d.Id, cfg.Chain.From)
		}
		st.DeviceID = d.Id
		if err := save(cfg.Dir, st, nil); err != nil {
			return state{}, nil, err
		}
		log.Info("registration found on chain", "device", d.Id)
		return st, seal, nil
	}
	inWindow, err := keyInWindow(ctx, c, st.KeyHeight)
	if err != nil {
		return state{}, nil, err
	}
	if !inWindow {
		seal.Close()
		seal = nil
		log.Warn("the saved seal's key is older than the chain's key window: sealing anew", "key_height", st.KeyHeight)
		return sealAndRegister(ctx, c, prover, cfg, mm, log)
	}
	if st, err = registerSealed(ctx, c, cfg, st, seal, prover.Info().Backend, log); err != nil {
		return state{}, nil, err
	}
	return st, seal, nil
}

// setUpResult carries setUp's two results through backoff.Retry.
type setUpResult struct {
	st   state
	seal gpu.Seal
}

// transient tells a failure that a later try may not meet (the node or a
// block away, a sequence race with another transaction of the account)
// from one it will: the chain's refusal, a configuration or disk error.
func transient(err error) bool {
	var netErr net.Error
	switch {
	case errors.Is(err, chain.ErrSequence), errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr):
		return true
	case chain.Final(err), errors.Is(err, errFingerprintTaken):
		return false
	}
	code := status.Code(err)
	return code == codes.Unavailable || code == codes.DeadlineExceeded
}

// errFingerprintTaken: the chain has a device with this sidecar's
// fingerprint whose seal this sidecar does not hold.
var errFingerprintTaken = errors.New("fingerprint already registered")

// sealAndRegister seals a new device and registers it: the key is anchored
// to the block before the latest, as x/pocps requires. The fingerprint is
// checked first, so a taken one costs no sealing.
func sealAndRegister(ctx context.Context, c *chain.Client, prover gpu.Prover, cfg Config, mm *minerMetrics, log *slog.Logger) (state, gpu.Seal, error) {
	pool, err := poolstypes.NewQueryClient(c.Conn()).Pool(ctx, &poolstypes.QueryPoolRequest{GpuClass: cfg.Class})
	if err != nil {
		return state{}, nil, fmt.Errorf("pool %s: %w", cfg.Class, err)
	}
	p := pool.Class.Seal.ProofParams()
	fp := fingerprint(prover.Info(), cfg.Name, c.Address.String())
	if d, err := deviceByFingerprint(ctx, c, fp[:]); err != nil {
		return state{}, nil, err
	} else if d != nil {
		return state{}, nil, fmt.Errorf("%w: device %d (%s, %s) was registered from this host with --name %q by %s, and %s holds no seal for it: "+
			"run with the --dir that sealed it, deregister it (`loopind tx pocps deregister-device %d --from %s`) to seal it anew, "+
			"or pick another --name for another device", errFingerprintTaken, d.Id, d.GpuClass, d.Status, cfg.Name, d.Owner, cfg.Dir, d.Id, cfg.Chain.From)
	}
	latest, _, err := c.LatestBlock(ctx)
	if err != nil {
		return state{}, nil, err
	}
	// The chain knows a block's hash once the next block has begun: anchor
	// the key to the block before the latest.
	height := latest - 1
	hash, err := c.BlockHash(ctx, height)
	if err != nil {
		return state{}, nil, err
	}
	var bh proof.Hash
	copy(bh[:], hash)
	ek := proof.DeviceKey(cfg.Chain.ChainID, c.Address, fp, bh)
	log.Info("sealing", "class", cfg.Class, "bytes", p.SealBytes(), "layers", p.Layers, "backend", prover.Info().Backend)
	start := time.Now()
	seal, err := prover.Seal(ctx, p, ek, gpu.SealOptions{CacheDir: cfg.SealCache, Progress: func(done, total int) {
		mm.sealProgress.Set(float64(done) / float64(total))
		mem := prover.Memory()
		mm.observeMemory(mem)
		log.Info("seal progress", append([]any{"layer", done, "of", total, "percent", 100 * done / total, "elapsed", time.Since(start).Round(time.Millisecond)},
			memoryAttrs(prover, mem)...)...)
	}})
	if errors.Is(err, gpu.ErrDeviceMemory) {
		return state{}, nil, fmt.Errorf("cannot seal a %s device here: %w", cfg.Class, err)
	}
	if err != nil {
		return state{}, nil, err
	}
	mem := prover.Memory()
	mm.observeMemory(mem)
	log.Info("sealed", append([]any{"elapsed", time.Since(start).Round(time.Millisecond)}, memoryAttrs(prover, mem)...)...)
	pj, _ := json.Marshal(p)
	st := state{Fingerprint: fp[:], KeyHeight: height, Key: ek[:], Params: pj, LayerRoots: rootsOf(seal.Commitment())}
	// The seal is on disk before the chain hears of it: a stop from here
	// on resumes in setUp without resealing.
	if err := save(cfg.Dir, st, seal); err != nil {
		seal.Close()
		return state{}, nil, err
	}
	if st, err = registerSealed(ctx, c, cfg, st, seal, prover.Info().Backend, log); err != nil {
		seal.Close()
		return state{}, nil, err
	}
	return st, seal, nil
}

// memoryAttrs are the log attributes of the prover's memory: the device's
// (peak and in use) on the CUDA backend, and the host's peak.
func memoryAttrs(prover gpu.Prover, mem gpu.Memory) []any {
	attrs := []any{"host_peak", gpu.FormatBytes(mem.HostPeak)}
	if prover.Info().Backend == gpu.BackendCUDA {
		attrs = append(attrs, "device_peak", gpu.FormatBytes(mem.DevicePeak), "device_in_use", gpu.FormatBytes(mem.DeviceInUse))
	}
	return attrs
}

// registerSealed submits MsgRegisterDevice for the seal st describes and
// records the device's id in cfg.Dir.
func registerSealed(ctx context.Context, c *chain.Client, cfg Config, st state, seal gpu.Seal, backend string, log *slog.Logger) (state, error) {
	var p proof.Params
	if err := json.Unmarshal(st.Params, &p); err != nil {
		return st, err
	}
	commit := pocpstypes.SealCommitment{Params: pocpstypes.SealParamsFromProof(p)}
	for _, r := range seal.Commitment().LayerRoots {
		commit.LayerRoots = append(commit.LayerRoots, append([]byte(nil), r[:]...))
	}
	_, err := c.Submit(ctx, 30*time.Second, &pocpstypes.MsgRegisterDevice{
		Owner: c.Address.String(), GpuClass: cfg.Class, Fingerprint: st.Fingerprint, KeyHeight: st.KeyHeight,
		Seal: commit, Endpoint: cfg.Endpoint, DevicePubkey: cfg.keys.public(), TlsCertHash: cfg.keys.certHash, Privacy: pocpstypes.PrivacyReport{Level: cfg.Privacy, Details: "loopind sidecar miner (" + backend + " backend)"},
	})
	if err != nil {
		return st, fmt.Errorf("register: %w", err)
	}
	d, err := deviceByFingerprint(ctx, c, st.Fingerprint)
	if err != nil {
		return st, err
	}
	if d == nil {
		return st, errors.New("registered device not found by fingerprint")
	}
	st.DeviceID = d.Id
	if err := save(cfg.Dir, st, nil); err != nil {
		return st, err
	}
	log.Info("registered", "device", d.Id, "key_height", st.KeyHeight)
	return st, nil
}

// deviceByFingerprint finds this owner's device with fingerprint fp (nil
// when there is none), reading every page of the owner's devices.
func deviceByFingerprint(ctx context.Context, c *chain.Client, fp []byte) (*pocpstypes.Device, error) {
	q := pocpstypes.NewQueryClient(c.Conn())
	var key []byte
	for {
		res, err := q.DevicesByOwner(ctx, &pocpstypes.QueryDevicesByOwnerRequest{Owner: c.Address.String(),
			Pagination: &query.PageRequest{Key: key, Limit: 100}})
		if err != nil {
			return nil, fmt.Errorf("devices of %s: %w", c.Address, err)
		}
		for i := range res.Devices {
			if bytes.Equal(res.Devices[i].Fingerprint, fp) {
				return &res.Devices[i], nil
			}
		}
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			return nil, nil
		}
		key = res.Pagination.NextKey
	}
}

// keyInWindow tells whether a device key anchored at height may still be
// registered (x/pocps' key_window).
func keyInWindow(ctx context.Context, c *chain.Client, height int64) (bool, error) {
	res, err := pocpstypes.NewQueryClient(c.Conn()).Params(ctx, &pocpstypes.QueryParamsRequest{})
	if err != nil {
		return false, err
	}
	latest, _, err := c.LatestBlock(ctx)
	if err != nil {
		return false, err
	}
	// The registration lands in a later block than latest: keep a margin.
	return height >= latest+2-int64(res.Params.KeyWindow), nil
}

func sameRoots(onChain [][]byte, ours []proof.Hash) bool {
	if len(onChain) != len(ours) {
		return false
	}
	for i := range ours {
		if !bytes.Equal(onChain[i], ours[i][:]) {
			return false
		}
	}
	return true
}
