package app

import (
	"encoding/json"
	"time"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"
	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	chaintypes "github.com/loopin-project/loopin/types"
)

// GenesisState is the app_state of genesis.json: one raw JSON value per
// module name.
type GenesisState map[string]json.RawMessage

// DefaultEpochDuration is the length of the chain-wide `loopin` epoch at
// genesis: one hour (PROTOCOL.md §1). A localnet shortens it in genesis.json.
const DefaultEpochDuration = time.Hour

// NewDefaultGenesisState returns every module's default genesis with the
// LooPIN choices applied: uloop as bond, fee and deposit denom, and a single
// x/epochs clock named `loopin`.
func NewDefaultGenesisState(cdc codec.JSONCodec, basics module.BasicManager) GenesisState {
	gs := GenesisState(basics.DefaultGenesis(cdc))

	var staking stakingtypes.GenesisState
	cdc.MustUnmarshalJSON(gs[stakingtypes.ModuleName], &staking)
	staking.Params.BondDenom = chaintypes.BondDenom
	gs[stakingtypes.ModuleName] = cdc.MustMarshalJSON(&staking)

	var gov govv1.GenesisState
	cdc.MustUnmarshalJSON(gs["gov"], &gov)
	gov.Params.MinDeposit = sdk.NewCoins(sdk.NewInt64Coin(chaintypes.BondDenom, 10_000_000))
	gov.Params.ExpeditedMinDeposit = sdk.NewCoins(sdk.NewInt64Coin(chaintypes.BondDenom, 50_000_000))
	gs["gov"] = cdc.MustMarshalJSON(&gov)

	epochs := epochstypes.GenesisState{Epochs: []epochstypes.EpochInfo{
		epochstypes.NewGenesisEpochInfo(chaintypes.EpochIdentifier, DefaultEpochDuration),
	}}
	gs[epochstypes.ModuleName] = cdc.MustMarshalJSON(&epochs)
	return gs
}
