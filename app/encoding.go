package app

import (
	"github.com/cosmos/cosmos-sdk/types/module"
	"github.com/cosmos/cosmos-sdk/x/auth"
	authzmodule "github.com/cosmos/cosmos-sdk/x/authz/module"
	"github.com/cosmos/cosmos-sdk/x/bank"
	"github.com/cosmos/cosmos-sdk/x/consensus"
	distr "github.com/cosmos/cosmos-sdk/x/distribution"
	"github.com/cosmos/cosmos-sdk/x/epochs"
	"github.com/cosmos/cosmos-sdk/x/evidence"
	feegrantmodule "github.com/cosmos/cosmos-sdk/x/feegrant/module"
	"github.com/cosmos/cosmos-sdk/x/genutil"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
	"github.com/cosmos/cosmos-sdk/x/gov"
	govclient "github.com/cosmos/cosmos-sdk/x/gov/client"
	"github.com/cosmos/cosmos-sdk/x/slashing"
	"github.com/cosmos/cosmos-sdk/x/staking"
	"github.com/cosmos/cosmos-sdk/x/upgrade"

	"github.com/loopin-project/loopin/x/pocps"
	"github.com/loopin-project/loopin/x/pools"
	"github.com/loopin-project/loopin/x/rewards"
	"github.com/loopin-project/loopin/x/stake"

	"github.com/cosmos/gogoproto/proto"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/std"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"
	"github.com/cosmos/cosmos-sdk/x/tx/signing"
)

// ModuleBasics returns the basics of every module the app wires (the SDK's
// auth, bank, staking, slashing, distribution, gov, upgrade, consensus,
// evidence, genutil, authz, feegrant and epochs, and LooPIN's pools, stake,
// pocps and rewards), without keepers: enough to register codecs and
// interfaces and to write a default genesis, not to run a chain. The list
// must follow the modules of New's module manager (TestModuleEncoding
// compares the two registries).
func ModuleBasics() module.BasicManager {
	return module.NewBasicManager(
		genutil.NewAppModuleBasic(genutiltypes.DefaultMessageValidator),
		auth.AppModuleBasic{},
		bank.AppModuleBasic{},
		feegrantmodule.AppModuleBasic{},
		gov.NewAppModuleBasic([]govclient.ProposalHandler{}),
		slashing.AppModuleBasic{},
		distr.AppModuleBasic{},
		staking.AppModuleBasic{},
		upgrade.AppModuleBasic{},
		evidence.AppModuleBasic{},
		authzmodule.AppModuleBasic{},
		consensus.AppModuleBasic{},
		epochsModuleBasic{epochs.AppModule{}},
		pools.AppModule{},
		stake.AppModule{},
		pocps.AppModule{},
		rewards.AppModule{},
	)
}

// MakeModuleEncodingConfig is MakeEncodingConfig with every module's
// interfaces and amino names registered (ModuleBasics): the codecs of the
// app without an app instance, for clients such as the sidecars that sign
// and decode the chain's transactions and accounts. The SDK config must
// already carry LooPIN's prefixes (SetAddressPrefixes, which importing
// this package runs).
func MakeModuleEncodingConfig() EncodingConfig {
	enc := MakeEncodingConfig()
	basics := ModuleBasics()
	basics.RegisterLegacyAminoCodec(enc.Amino)
	basics.RegisterInterfaces(enc.InterfaceRegistry)
	return enc
}

// EncodingConfig holds the codecs and tx configuration of the application.
type EncodingConfig struct {
	InterfaceRegistry codectypes.InterfaceRegistry
	Codec             codec.Codec
	TxConfig          client.TxConfig
	Amino             *codec.LegacyAmino
}

// MakeEncodingConfig builds the codecs with LooPIN's bech32 prefixes. The SDK
// config must already carry those prefixes (SetAddressPrefixes).
func MakeEncodingConfig() EncodingConfig {
	interfaceRegistry, err := codectypes.NewInterfaceRegistryWithOptions(codectypes.InterfaceRegistryOptions{
		ProtoFiles: proto.HybridResolver,
		SigningOptions: signing.Options{
			AddressCodec:          address.Bech32Codec{Bech32Prefix: sdk.GetConfig().GetBech32AccountAddrPrefix()},
			ValidatorAddressCodec: address.Bech32Codec{Bech32Prefix: sdk.GetConfig().GetBech32ValidatorAddrPrefix()},
		},
	})
	if err != nil {
		panic(err)
	}
	appCodec := codec.NewProtoCodec(interfaceRegistry)
	legacyAmino := codec.NewLegacyAmino()
	txConfig := authtx.NewTxConfig(appCodec, authtx.DefaultSignModes)
	if err := interfaceRegistry.SigningContext().Validate(); err != nil {
		panic(err)
	}
	std.RegisterLegacyAminoCodec(legacyAmino)
	std.RegisterInterfaces(interfaceRegistry)
	return EncodingConfig{InterfaceRegistry: interfaceRegistry, Codec: appCodec, TxConfig: txConfig, Amino: legacyAmino}
}
