package types

import (
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/legacy"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// RegisterLegacyAminoCodec registers the x/pools messages and params under
// their amino names, for SIGN_MODE_LEGACY_AMINO_JSON (Ledger).
func RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	legacy.RegisterAminoMsg(cdc, &MsgUpdateParams{}, "loopin/x/pools/MsgUpdateParams")
	legacy.RegisterAminoMsg(cdc, &MsgCreatePool{}, "loopin/x/pools/MsgCreatePool")
	legacy.RegisterAminoMsg(cdc, &MsgSetPoolStatus{}, "loopin/x/pools/MsgSetPoolStatus")
	cdc.RegisterConcrete(&Params{}, "loopin/x/pools/Params", nil)
}

// RegisterInterfaces registers the x/pools messages with the interface registry.
func RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	registry.RegisterImplementations((*sdk.Msg)(nil), &MsgUpdateParams{}, &MsgCreatePool{}, &MsgSetPoolStatus{})
	msgservice.RegisterMsgServiceDesc(registry, &_Msg_serviceDesc)
}
