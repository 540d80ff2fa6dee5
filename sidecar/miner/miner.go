// Package miner is the miner sidecar (`loopind sidecar miner`, PROTOCOL.md
// §6): it seals a device (CPU reference prover), keeps the seal on disk,
// registers the device, serves the challenge protocol over gRPC so the
// verifiers can seal and challenge it, and stakes it once sealed.
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
	"path/filepath"
	"time"

	"cosmossdk.io/math"
	"google.golang.org/grpc"

	"github.com/loopin-project/loopin/proof"
	"github.com/loopin-project/loopin/sidecar/chain"
	"github.com/loopin-project/loopin/sidecar/grpcapi"
	"github.com/loopin-project/loopin/sidecar/protocol"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
	staketypes "github.com/loopin-project/loopin/x/stake/types"
)

// Config is the miner sidecar's configuration.
type Config struct {
	Chain chain.Config
	// Class is the device's GPU class (its pool), e.g. "rtx-4090".
	Class string
	// Name tells this device from others on the same host (fingerprint).
	Name string
	// Listen is where the challenge service listens; Endpoint is what the
	// chain records for verifiers (Listen when empty).
	Listen, Endpoint string
	// Dir keeps the seal and the sidecar's state across restarts.
	Dir string
	// Stake is "lp", "sell" or "none"; Duration (LP, e.g. "10m") or Days
	// (sale); MaxUloop bounds the LP injection.
	Stake    string
	Duration string
	Days     uint32
	MaxUloop math.Int
	// Privacy is the privacy level reported (0..100).
	Privacy uint32
	Log     *slog.Logger
}

// state is what the sidecar keeps in Dir/state.json.
type state struct {
	DeviceID    uint64 `json:"device_id"`
	Fingerprint []byte `json:"fingerprint"`
	KeyHeight   int64  `json:"key_height"`
	Key         []byte `json:"key"`
	Params      []byte `json:"params"` // JSON of proof.Params
	StakeID     uint64 `json:"stake_id"`
}

// Run runs the miner sidecar until ctx ends. Errors: configuration, the
// node unreachable at start, sealing or registration failing.
func Run(ctx context.Context, cfg Config) error {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = cfg.Listen
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return err
	}
	c, err := chain.New(cfg.Chain)
	if err != nil {
		return err
	}
	defer c.Close()

	st, sealing, err := load(cfg.Dir)
	if err != nil {
		return err
	}
	if sealing == nil {
		if st, sealing, err = register(ctx, c, cfg, log); err != nil {
			return err
		}
	} else {
		log.Info("seal loaded from disk", "device", st.DeviceID, "dir", cfg.Dir)
	}

	lis, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Listen, err)
	}
	srv := grpc.NewServer(grpc.ForceServerCodec(grpcapi.Codec()))
	api := grpcapi.NewServer()
	api.Add(st.DeviceID, protocol.NewMiner(sealing))
	api.Register(srv)
	go func() { _ = srv.Serve(lis) }()
	defer srv.GracefulStop()
	log.Info("serving challenges", "device", st.DeviceID, "listen", cfg.Listen, "endpoint", cfg.Endpoint)

	q := pocpstypes.NewQueryClient(c.Conn())
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			log.Info("shutting down")
			return nil
		case <-tick.C:
		}
		res, err := q.Device(ctx, &pocpstypes.QueryDeviceRequest{DeviceId: st.DeviceID})
		if err != nil {
			log.Warn("node unreachable, retrying", "err", err)
			continue
		}
		d := res.Device
		switch {
		case d.Status == pocpstypes.DEVICE_STATUS_FAILED:
			log.Error("device failed verification: re-register it with a fresh seal (delete the sidecar dir)", "device", d.Id)
			return errors.New("device failed verification")
		case d.Status != pocpstypes.DEVICE_STATUS_SEALED || d.StakeId != 0 || st.StakeID != 0 || cfg.Stake == "none":
			continue
		}
		id, err := stake(ctx, c, cfg, d.Id)
		if err != nil {
			log.Warn("stake failed, retrying", "err", err)
			continue
		}
		st.StakeID = id
		if err := save(cfg.Dir, st, nil); err != nil {
			return err
		}
		log.Info("staked", "device", d.Id, "stake", id, "kind", cfg.Stake)
	}
}

func stake(ctx context.Context, c *chain.Client, cfg Config, device uint64) (uint64, error) {
	var err error
	switch cfg.Stake {
	case "lp":
		_, err = c.Submit(ctx, 30*time.Second, &staketypes.MsgStakeLP{Owner: c.Address.String(), DeviceId: device, Duration: cfg.Duration, MaxUloopIn: cfg.MaxUloop})
	case "sell":
		_, err = c.Submit(ctx, 30*time.Second, &staketypes.MsgSellCompute{Owner: c.Address.String(), DeviceId: device, Days: cfg.Days, MinUloopOut: math.ZeroInt()})
	default:
		return 0, fmt.Errorf("stake must be lp, sell or none, not %q", cfg.Stake)
	}
	if err != nil {
		return 0, err
	}
	res, err := pocpstypes.NewQueryClient(c.Conn()).Device(ctx, &pocpstypes.QueryDeviceRequest{DeviceId: device})
	if err != nil {
		return 0, err
	}
	return res.Device.StakeId, nil
}

// register seals a new device and registers it: the key is anchored to
// the latest block, as x/pocps requires.
func register(ctx context.Context, c *chain.Client, cfg Config, log *slog.Logger) (state, *proof.Sealing, error) {
	pool, err := poolstypes.NewQueryClient(c.Conn()).Pool(ctx, &poolstypes.QueryPoolRequest{Pool: cfg.Class})
	if err != nil {
		return state{}, nil, fmt.Errorf("pool %s: %w", cfg.Class, err)
	}
	p := pool.Pool.Seal.ProofParams()
	host, _ := os.Hostname()
	fp := sha256.Sum256([]byte("loopin/cpu-device/v1|" + host + "|" + cfg.Name + "|" + c.Address.String()))
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
	log.Info("sealing", "class", cfg.Class, "bytes", p.SealBytes(), "layers", p.Layers)
	s, err := proof.Seal(p, ek, func(done, total int) { log.Info("seal progress", "layer", done, "of", total) })
	if err != nil {
		return state{}, nil, err
	}
	commit := pocpstypes.SealCommitment{Params: pocpstypes.SealParamsFromProof(p)}
	for _, r := range s.Commitment().LayerRoots {
		commit.LayerRoots = append(commit.LayerRoots, append([]byte(nil), r[:]...))
	}
	_, err = c.Submit(ctx, 30*time.Second, &pocpstypes.MsgRegisterDevice{
		Owner: c.Address.String(), GpuClass: cfg.Class, Fingerprint: fp[:], KeyHeight: height,
		Seal: commit, Endpoint: cfg.Endpoint, Privacy: pocpstypes.PrivacyReport{Level: cfg.Privacy, Details: "loopind sidecar miner (CPU backend)"},
	})
	if err != nil {
		return state{}, nil, fmt.Errorf("register: %w", err)
	}
	devs, err := pocpstypes.NewQueryClient(c.Conn()).DevicesByOwner(ctx, &pocpstypes.QueryDevicesByOwnerRequest{Owner: c.Address.String()})
	if err != nil {
		return state{}, nil, err
	}
	var id uint64
	for _, d := range devs.Devices {
		if bytes.Equal(d.Fingerprint, fp[:]) {
			id = d.Id
		}
	}
	if id == 0 {
		return state{}, nil, errors.New("registered device not found by fingerprint")
	}
	pj, _ := json.Marshal(p)
	st := state{DeviceID: id, Fingerprint: fp[:], KeyHeight: height, Key: ek[:], Params: pj}
	if err := save(cfg.Dir, st, s); err != nil {
		return state{}, nil, err
	}
	log.Info("registered", "device", id, "key_height", height)
	return st, s, nil
}

// save writes state.json and, when s is given, the seal's layers.
func save(dir string, st state, s *proof.Sealing) error {
	bz, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if s != nil {
		var buf bytes.Buffer
		for _, layer := range s.Layers {
			for _, h := range layer {
				buf.Write(h[:])
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "seal.bin"), buf.Bytes(), 0o600); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, "state.json"), bz, 0o600)
}

// load reads the state and the seal back (nil sealing when there is none).
func load(dir string) (state, *proof.Sealing, error) {
	var st state
	bz, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if errors.Is(err, os.ErrNotExist) {
		return st, nil, nil
	} else if err != nil {
		return st, nil, err
	}
	if err := json.Unmarshal(bz, &st); err != nil {
		return st, nil, fmt.Errorf("%s: %w", filepath.Join(dir, "state.json"), err)
	}
	var p proof.Params
	if err := json.Unmarshal(st.Params, &p); err != nil {
		return st, nil, err
	}
	raw, err := os.ReadFile(filepath.Join(dir, "seal.bin"))
	if err != nil {
		return st, nil, fmt.Errorf("the seal is missing (%w): delete %s to seal and register anew", err, dir)
	}
	want := int(p.Layers) * int(p.Labels) * 32
	if len(raw) != want {
		return st, nil, fmt.Errorf("seal.bin has %d bytes, want %d", len(raw), want)
	}
	s := &proof.Sealing{Params: p, Layers: make([][]proof.Hash, p.Layers), Trees: make([]*proof.Tree, p.Layers)}
	copy(s.Key[:], st.Key)
	for l := range s.Layers {
		layer := make([]proof.Hash, p.Labels)
		for i := range layer {
			off := (l*int(p.Labels) + i) * 32
			copy(layer[i][:], raw[off:off+32])
		}
		tree, err := proof.NewTree(proof.LabelLeaves(layer))
		if err != nil {
			return st, nil, err
		}
		s.Layers[l], s.Trees[l] = layer, tree
	}
	return st, s, nil
}
