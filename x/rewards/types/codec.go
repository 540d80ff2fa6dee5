package types

import (
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/legacy"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// RegisterLegacyAminoCodec registers the x/rewards messages and params under
// their amino names, for SIGN_MODE_LEGACY_AMINO_JSON (Ledger).
func RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	legacy.RegisterAminoMsg(cdc, &MsgUpdateParams{}, "loopin/x/rewards/MsgUpdateParams")
	legacy.RegisterAminoMsg(cdc, &MsgClaimRewards{}, "loopin/x/rewards/MsgClaimRewards")
	cdc.RegisterConcrete(&Params{}, "loopin/x/rewards/Params", nil)
}

// RegisterInterfaces registers the x/rewards messages with the interface registry.
func RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	registry.RegisterImplementations((*sdk.Msg)(nil), &MsgUpdateParams{}, &MsgClaimRewards{})
	msgservice.RegisterMsgServiceDesc(registry, &_Msg_serviceDesc)
}
