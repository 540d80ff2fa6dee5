// Package chain is the sidecars' connection to a LooPIN node: it signs
// transactions with a key from a keyring, estimates their gas by
// simulation, broadcasts them and waits until a block includes them; and it
// gives gRPC access for queries. The miner and verifier sidecars
// (docs/protocol.md §6) are built on it. It uses the SDK's own client machinery
// (client.Context, client/tx.Factory), the same path `loopind tx` takes.
package chain

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	cmttypes "github.com/cometbft/cometbft/types"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/cosmos/cosmos-sdk/client"
	clienttx "github.com/cosmos/cosmos-sdk/client/tx"
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/loopin-project/loopin/app"
)

// Config names the node and the signing key.
type Config struct {
	// ChainID is the chain's id, e.g. "loopin-local-1".
	ChainID string
	// RPC is the node's CometBFT RPC address, e.g. "tcp://127.0.0.1:26657".
	RPC string
	// GRPC is the node's gRPC address, e.g. "127.0.0.1:9090".
	GRPC string
	// KeyringDir and KeyringBackend locate the key ("test", "file", "os").
	KeyringDir, KeyringBackend string
	// From is the key's name in the keyring.
	From string
	// GasAdjustment multiplies the simulated gas (default 1.3).
	GasAdjustment float64
	// GasPrices are the prices offered, e.g. "0uloop" (default).
	GasPrices string
}

// Client signs and broadcasts for one key and serves gRPC queries.
type Client struct {
	cfg  Config
	rpc  *rpchttp.HTTP
	ctx  client.Context
	txf  clienttx.Factory
	conn *grpc.ClientConn
	// Address is the signing key's account address.
	Address sdk.AccAddress
}

// ErrTxFailed wraps a transaction that was included with a non-zero code;
// the message carries the chain's log.
var ErrTxFailed = errors.New("transaction failed")

// ErrRefused wraps a transaction the chain refused in simulation: it would
// fail as it stands, so sending it again cannot help.
var ErrRefused = errors.New("refused in simulation")

// New connects to the node of cfg with the key cfg.From. Errors: a missing
// key, an unreachable address (the gRPC connection is lazy: the first query
// reports a node that is down).
func New(cfg Config) (*Client, error) {
	if cfg.GasAdjustment == 0 {
		cfg.GasAdjustment = 1.3
	}
	if cfg.GasPrices == "" {
		cfg.GasPrices = "0uloop"
	}
	// The codecs know every module's interfaces (accounts, messages),
	// registered from the app's module list.
	enc := app.MakeModuleEncodingConfig()
	kr, err := keyring.New("loopin", cfg.KeyringBackend, cfg.KeyringDir, nil, enc.Codec)
	if err != nil {
		return nil, fmt.Errorf("keyring %s in %s: %w", cfg.KeyringBackend, cfg.KeyringDir, err)
	}
	rec, err := kr.Key(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("key %q in the %s keyring at %s: %w", cfg.From, cfg.KeyringBackend, cfg.KeyringDir, err)
	}
	addr, err := rec.GetAddress()
	if err != nil {
		return nil, err
	}
	rpc, err := rpchttp.New(cfg.RPC, "/websocket")
	if err != nil {
		return nil, fmt.Errorf("node RPC %s: %w", cfg.RPC, err)
	}
	conn, err := grpc.NewClient(cfg.GRPC, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(codec.NewProtoCodec(enc.InterfaceRegistry).GRPCCodec())))
	if err != nil {
		return nil, fmt.Errorf("node gRPC %s: %w", cfg.GRPC, err)
	}
	cctx := client.Context{}.
		WithCodec(enc.Codec).WithInterfaceRegistry(enc.InterfaceRegistry).WithTxConfig(enc.TxConfig).
		WithLegacyAmino(enc.Amino).WithAccountRetriever(authtypes.AccountRetriever{}).
		WithChainID(cfg.ChainID).WithKeyring(kr).WithFromName(cfg.From).WithFromAddress(addr).
		WithClient(rpc).WithNodeURI(cfg.RPC).WithGRPCClient(conn).WithBroadcastMode("sync").WithSkipConfirmation(true)
	txf := clienttx.Factory{}.
		WithChainID(cfg.ChainID).WithKeybase(kr).WithTxConfig(enc.TxConfig).
		WithAccountRetriever(authtypes.AccountRetriever{}).WithGasAdjustment(cfg.GasAdjustment).
		WithSimulateAndExecute(true).WithGasPrices(cfg.GasPrices).WithFromName(cfg.From)
	return &Client{cfg: cfg, rpc: rpc, ctx: cctx, txf: txf, conn: conn, Address: addr}, nil
}

// Conn is the gRPC connection for the modules' query clients, e.g.
// poolstypes.NewQueryClient(c.Conn()).
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

// SignBytes signs msg with the client's key (off chain: the verifier's
// requests to miner sidecars) and returns its compressed public key and
// the signature. Errors: the keyring's.
func (c *Client) SignBytes(msg []byte) (pubKey, sig []byte, err error) {
	sig, pub, err := c.ctx.Keyring.Sign(c.cfg.From, msg, signing.SignMode_SIGN_MODE_DIRECT)
	if err != nil {
		return nil, nil, err
	}
	return pub.Bytes(), sig, nil
}

// Close releases the gRPC connection and the event subscription.
func (c *Client) Close() error {
	if c.rpc.IsRunning() {
		_ = c.rpc.Stop()
	}
	return c.conn.Close()
}

// Head returns the height and time of the node's latest block (the chain's
// clock, as the state machine sees it).
func (c *Client) Head(ctx context.Context) (int64, time.Time, error) {
	st, err := c.ctx.Client.Status(ctx)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("node status: %w", err)
	}
	return st.SyncInfo.LatestBlockHeight, st.SyncInfo.LatestBlockTime, nil
}

// NewBlocks subscribes to the node's new block headers over the CometBFT
// websocket and sends each block's height until ctx ends. The channel is
// closed when ctx ends or the subscription is lost; the caller falls back
// to polling and subscribes again later. Errors: the websocket cannot be
// reached or the node refuses the subscription.
func (c *Client) NewBlocks(ctx context.Context) (<-chan int64, error) {
	if !c.rpc.IsRunning() {
		if err := c.rpc.Start(); err != nil {
			return nil, fmt.Errorf("node websocket %s: %w", c.cfg.RPC, err)
		}
	}
	subscriber := fmt.Sprintf("loopin-sidecar-%s-%d", c.Address, time.Now().UnixNano())
	const query = "tm.event='NewBlockHeader'"
	events, err := c.rpc.Subscribe(ctx, subscriber, query, 16)
	if err != nil {
		return nil, fmt.Errorf("subscribe to %s: %w", query, err)
	}
	out := make(chan int64, 1)
	go func() {
		defer close(out)
		defer func() {
			unsubCtx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_ = c.rpc.UnsubscribeAll(unsubCtx, subscriber)
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-events:
				if !ok {
					return
				}
				h, ok := ev.Data.(cmttypes.EventDataNewBlockHeader)
				if !ok {
					continue
				}
				select {
				case out <- h.Header.Height:
				default: // the reader is behind: it reads the latest state anyway
				}
			}
		}
	}()
	return out, nil
}

// Final tells the chain's final answers to a Submit — included and failed
// (ErrTxFailed) or refused in simulation (ErrRefused) — from everything a
// later try may change: the node away, no block in time, ErrSequence.
func Final(err error) bool {
	return errors.Is(err, ErrTxFailed) || errors.Is(err, ErrRefused)
}

// ErrSequence wraps a transaction the node's mempool refused for its
// account sequence: another transaction from the same account (the
// operator's, by hand) was still waiting for a block. It is not final:
// sending again once that block is in goes through.
var ErrSequence = errors.New("account sequence mismatch")

// sequenceRetries is how many times Submit signs again after ErrSequence,
// a second apart (a block, on the localnet).
const sequenceRetries = 5

// Submit signs msgs as the client's key, simulates them for gas,
// broadcasts the transaction and waits up to timeout for a block to
// include it. It returns the included transaction's response. A broadcast
// refused for its account sequence is signed and sent again, up to
// sequenceRetries times a second apart. Errors: ErrRefused with the
// simulation's error (the chain's message: the transaction would fail),
// ErrSequence when the sequence still did not match, ErrTxFailed for any
// other refusal at the broadcast's check or when the block ran it and it
// failed, context.DeadlineExceeded when no block included it in time.
func (c *Client) Submit(ctx context.Context, timeout time.Duration, msgs ...sdk.Msg) (*sdk.TxResponse, error) {
	for attempt := 0; ; attempt++ {
		res, err := c.submitOnce(ctx, timeout, msgs...)
		if !errors.Is(err, ErrSequence) || attempt == sequenceRetries {
			return res, err
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// submitOnce is one try of Submit.
func (c *Client) submitOnce(ctx context.Context, timeout time.Duration, msgs ...sdk.Msg) (*sdk.TxResponse, error) {
	cctx := c.ctx.WithCmdContext(ctx)
	txf, err := c.txf.Prepare(cctx)
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", c.Address, err)
	}
	_, gas, err := clienttx.CalculateGas(cctx, txf, msgs...)
	if err != nil {
		// The simulation runs on the node's check state, which counts the
		// account's transactions still in the mempool; across gRPC only the
		// registered error's text tells a stale sequence from a refusal.
		if strings.Contains(err.Error(), sdkerrors.ErrWrongSequence.Error()) {
			return nil, fmt.Errorf("%w: %w", ErrSequence, err)
		}
		return nil, fmt.Errorf("%w: %w", ErrRefused, err)
	}
	txf = txf.WithGas(gas)
	builder, err := txf.BuildUnsignedTx(msgs...)
	if err != nil {
		return nil, err
	}
	if err := clienttx.Sign(ctx, txf, c.cfg.From, builder, true); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	bz, err := cctx.TxConfig.TxEncoder()(builder.GetTx())
	if err != nil {
		return nil, err
	}
	res, err := cctx.BroadcastTx(bz)
	if err != nil {
		return nil, fmt.Errorf("broadcast: %w", err)
	}
	if res.Codespace == sdkerrors.ErrWrongSequence.Codespace() && res.Code == sdkerrors.ErrWrongSequence.ABCICode() {
		return res, fmt.Errorf("%w: %s", ErrSequence, res.RawLog)
	}
	if res.Code != 0 {
		return res, fmt.Errorf("%w: check: code %d: %s", ErrTxFailed, res.Code, res.RawLog)
	}
	deadline := time.Now().Add(timeout)
	for {
		included, err := authtx.QueryTx(cctx, res.TxHash)
		if err == nil {
			if included.Code != 0 {
				return included, fmt.Errorf("%w: code %d: %s", ErrTxFailed, included.Code, included.RawLog)
			}
			return included, nil
		}
		if time.Now().After(deadline) {
			return res, fmt.Errorf("transaction %s not included after %s: %w", res.TxHash, timeout, context.DeadlineExceeded)
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// LatestBlock returns the height and hash of the node's latest block.
func (c *Client) LatestBlock(ctx context.Context) (int64, []byte, error) {
	st, err := c.ctx.Client.Status(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("node status: %w", err)
	}
	h := st.SyncInfo.LatestBlockHeight
	hash, err := c.BlockHash(ctx, h)
	return h, hash, err
}

// BlockHash returns the hash of block height (what x/pocps records as the
// block's hash: the header hash).
func (c *Client) BlockHash(ctx context.Context, height int64) ([]byte, error) {
	b, err := c.ctx.Client.Block(ctx, &height)
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", height, err)
	}
	return b.BlockID.Hash, nil
}
