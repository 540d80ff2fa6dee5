package app

import (
	"encoding/json"
	"time"

	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/x/epochs"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"

	chaintypes "github.com/loopin-project/loopin/types"
)

// GenesisState is the app_state of genesis.json: one raw JSON value per
// module name.
type GenesisState map[string]json.RawMessage

// DefaultEpochDuration is the length of the chain-wide `loopin` epoch at
// genesis: one hour (docs/protocol.md §1). A localnet shortens it in genesis.json.
const DefaultEpochDuration = time.Hour

// DefaultEpochsGenesis is the x/epochs genesis of LooPIN: a single clock
// named `loopin` (chaintypes.EpochIdentifier) instead of the SDK's day, hour,
// minute and week clocks.
func DefaultEpochsGenesis() *epochstypes.GenesisState {
	return &epochstypes.GenesisState{Epochs: []epochstypes.EpochInfo{
		epochstypes.NewGenesisEpochInfo(chaintypes.EpochIdentifier, DefaultEpochDuration),
	}}
}

// epochsModuleBasic is x/epochs with LooPIN's default genesis, so that
// `loopind init` writes the `loopin` clock.
type epochsModuleBasic struct {
	epochs.AppModule
}

// DefaultGenesis returns DefaultEpochsGenesis as JSON.
func (epochsModuleBasic) DefaultGenesis(cdc codec.JSONCodec) json.RawMessage {
	return cdc.MustMarshalJSON(DefaultEpochsGenesis())
}
