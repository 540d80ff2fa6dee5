package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	authsign "github.com/cosmos/cosmos-sdk/x/auth/signing"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	gogoproto "github.com/cosmos/gogoproto/proto"

	chaintypes "github.com/loopin-project/loopin/types"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
	staketypes "github.com/loopin-project/loopin/x/stake/types"
)

// The mixes the load generator submits (docs/benchmarks.md "Throughput
// under load").
const (
	// MixBank is bank MsgSend of 1 uloop from each client to the next.
	MixBank = "bank"
	// MixMarket is MsgBuyLease then MsgTerminateLease of the lease it
	// bought, by each client in turn, the clients spread over the classes.
	MixMarket = "market"
	// MixRenew is MsgRenewStake by one epoch of each miner's stakes in turn.
	MixRenew = "renew"
	// MixMarketOnePool is MixMarket with every client in one pool (the
	// first class): the parallel executor's worst case (exec only).
	MixMarketOnePool = "market-one-pool"
)

// Mixes are the mixes `run` accepts, in the order of the report.
var Mixes = []string{MixBank, MixMarket, MixRenew}

// GasLimit is every load transaction's gas limit: above what each mix
// uses (docs/benchmarks.md "Gas beside a bank send": at most 106 000).
const GasLimit = 300_000

// ChallengeGasLimit is a challenge report's gas limit: its openings cost
// gas by the byte.
const ChallengeGasLimit = 3_000_000

// LeaseDuration is the duration of every lease the market mix buys: the
// local networks' min_lease_duration.
const LeaseDuration = 60 * time.Second

// actor is one account submitting a mix's transactions in turn: its key,
// account number and next sequence, and what the mix keeps of its last
// result (the lease it holds, the stake it renewed last).
type actor struct {
	index int
	key   *secp256k1.PrivKey
	pub   cryptotypes.PubKey
	addr  sdk.AccAddress
	// next is the bank mix's recipient: the next account of the role.
	next   sdk.AccAddress
	accNum uint64
	seq    uint64
	// lease is the market mix's open lease (0: none: buy next).
	lease uint64
	// turn counts the actor's transactions (the renew mix's stake cursor).
	turn int
}

// mixActors returns the actors of mix from the manifest: clients for the
// bank and market mixes, miners for renew.
func mixActors(m *Manifest, mix string) ([]*actor, error) {
	role, nums := RoleClient, m.ClientAccounts
	switch mix {
	case MixBank, MixMarket, MixMarketOnePool:
	case MixRenew:
		role, nums = RoleMiner, m.MinerAccounts
	default:
		return nil, fmt.Errorf("unknown mix %q: give one of %s", mix, strings.Join(append(Mixes, MixMarketOnePool), ", "))
	}
	actors := make([]*actor, len(nums))
	for i, n := range nums {
		actors[i] = newActor(i, Key(role, i), n)
	}
	for i, a := range actors {
		a.next = actors[(i+1)%len(actors)].addr
	}
	return actors, nil
}

// newActor is the actor of key at index, with account number accNum and
// its public key and address derived once.
func newActor(index int, key *secp256k1.PrivKey, accNum uint64) *actor {
	pub := key.PubKey()
	return &actor{index: index, key: key, pub: pub, addr: sdk.AccAddress(pub.Address()), accNum: accNum}
}

// nextMsg is the actor's next message in mix: it does not depend on the
// previous result except in the market mixes (buy, then terminate the
// lease the buy returned).
func nextMsg(m *Manifest, mix string, a *actor) sdk.Msg {
	switch mix {
	case MixBank:
		return &banktypes.MsgSend{FromAddress: a.addr.String(), ToAddress: a.next.String(),
			Amount: sdk.NewCoins(sdk.NewInt64Coin(chaintypes.BondDenom, 1))}
	case MixMarket, MixMarketOnePool:
		if a.lease != 0 {
			return &poolstypes.MsgTerminateLease{Client: a.addr.String(), LeaseId: a.lease, MinRefund: math.ZeroInt()}
		}
		class := m.Classes[a.index%len(m.Classes)]
		if mix == MixMarketOnePool {
			class = m.Classes[0]
		}
		return &poolstypes.MsgBuyLease{Client: a.addr.String(), GpuClass: class, Duration: LeaseDuration,
			MaxUloopIn: math.NewInt(1_000_000_000)}
	case MixRenew:
		stakes := m.MinerStakes[a.index]
		return &staketypes.MsgRenewStake{Owner: a.addr.String(), StakeId: stakes[a.turn%len(stakes)], Epochs: 1,
			MaxUloopIn: math.NewInt(1_000_000_000)}
	}
	panic("unknown mix " + mix)
}

// settle records what the actor keeps of a transaction's result in the
// block: the lease a buy opened, or that a terminate closed it.
func settle(a *actor, msg sdk.Msg, code uint32, data []byte) {
	a.turn++
	if code != 0 {
		return
	}
	switch msg.(type) {
	case *poolstypes.MsgBuyLease:
		var txData sdk.TxMsgData
		if err := gogoproto.Unmarshal(data, &txData); err != nil || len(txData.MsgResponses) == 0 {
			return
		}
		var resp poolstypes.MsgBuyLeaseResponse
		if err := gogoproto.Unmarshal(txData.MsgResponses[0].Value, &resp); err == nil {
			a.lease = resp.LeaseId
		}
	case *poolstypes.MsgTerminateLease:
		a.lease = 0
	}
}

// signTx signs msg as a at its current sequence with direct sign mode, no
// fee, no memo and GasLimit, and returns the encoded transaction.
func signTx(txCfg client.TxConfig, chainID string, a *actor, msg sdk.Msg) ([]byte, error) {
	gas := uint64(GasLimit)
	if _, ok := msg.(*pocpstypes.MsgSubmitChallengeResult); ok {
		gas = ChallengeGasLimit
	}
	mode := signing.SignMode_SIGN_MODE_DIRECT
	b := txCfg.NewTxBuilder()
	if err := b.SetMsgs(msg); err != nil {
		return nil, err
	}
	b.SetGasLimit(gas)
	pub := a.pub
	sig := signing.SignatureV2{PubKey: pub, Data: &signing.SingleSignatureData{SignMode: mode}, Sequence: a.seq}
	if err := b.SetSignatures(sig); err != nil {
		return nil, err
	}
	data := authsign.SignerData{Address: a.addr.String(), ChainID: chainID, AccountNumber: a.accNum, Sequence: a.seq, PubKey: pub}
	bytesToSign, err := authsign.GetSignBytesAdapter(context.Background(), txCfg.SignModeHandler(), mode, data, b.GetTx())
	if err != nil {
		return nil, err
	}
	sigBytes, err := a.key.Sign(bytesToSign)
	if err != nil {
		return nil, err
	}
	sig.Data = &signing.SingleSignatureData{SignMode: mode, Signature: sigBytes}
	if err := b.SetSignatures(sig); err != nil {
		return nil, err
	}
	return txCfg.TxEncoder()(b.GetTx())
}
