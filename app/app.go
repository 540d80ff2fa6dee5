// Package app wires the LooPIN application by hand: the Cosmos SDK modules
// the chain needs (auth, bank, staking, slashing, distribution, gov,
// upgrade, consensus, evidence, genutil, authz, feegrant, epochs) and the four
// LooPIN modules (pools, stake, pocps, rewards). There is no x/mint: x/rewards
// is the only source of new uloop.
package app

import (
	"encoding/json"
	"fmt"
	"sync"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/cosmos/gogoproto/proto"
	"github.com/spf13/cast"

	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"
	reflectionv1 "cosmossdk.io/api/cosmos/reflection/v1"
	"cosmossdk.io/client/v2/autocli"
	"cosmossdk.io/core/appmodule"
	corestore "cosmossdk.io/core/store"
	"cosmossdk.io/log/v2"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/grpc/cmtservice"
	nodeservice "github.com/cosmos/cosmos-sdk/client/grpc/node"
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/runtime"
	runtimeservices "github.com/cosmos/cosmos-sdk/runtime/services"
	"github.com/cosmos/cosmos-sdk/server"
	"github.com/cosmos/cosmos-sdk/server/api"
	"github.com/cosmos/cosmos-sdk/server/config"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	"github.com/cosmos/cosmos-sdk/std"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
	"github.com/cosmos/cosmos-sdk/version"
	"github.com/cosmos/cosmos-sdk/x/auth"
	"github.com/cosmos/cosmos-sdk/x/auth/ante"
	authcodec "github.com/cosmos/cosmos-sdk/x/auth/codec"
	authkeeper "github.com/cosmos/cosmos-sdk/x/auth/keeper"
	authsims "github.com/cosmos/cosmos-sdk/x/auth/simulation"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	"github.com/cosmos/cosmos-sdk/x/authz"
	authzkeeper "github.com/cosmos/cosmos-sdk/x/authz/keeper"
	authzmodule "github.com/cosmos/cosmos-sdk/x/authz/module"
	"github.com/cosmos/cosmos-sdk/x/bank"
	bankkeeper "github.com/cosmos/cosmos-sdk/x/bank/keeper"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	"github.com/cosmos/cosmos-sdk/x/consensus"
	consensusparamkeeper "github.com/cosmos/cosmos-sdk/x/consensus/keeper"
	consensusparamtypes "github.com/cosmos/cosmos-sdk/x/consensus/types"
	distr "github.com/cosmos/cosmos-sdk/x/distribution"
	distrkeeper "github.com/cosmos/cosmos-sdk/x/distribution/keeper"
	distrtypes "github.com/cosmos/cosmos-sdk/x/distribution/types"
	"github.com/cosmos/cosmos-sdk/x/epochs"
	epochskeeper "github.com/cosmos/cosmos-sdk/x/epochs/keeper"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"
	"github.com/cosmos/cosmos-sdk/x/evidence"
	evidencekeeper "github.com/cosmos/cosmos-sdk/x/evidence/keeper"
	evidencetypes "github.com/cosmos/cosmos-sdk/x/evidence/types"
	"github.com/cosmos/cosmos-sdk/x/feegrant"
	feegrantkeeper "github.com/cosmos/cosmos-sdk/x/feegrant/keeper"
	feegrantmodule "github.com/cosmos/cosmos-sdk/x/feegrant/module"
	"github.com/cosmos/cosmos-sdk/x/genutil"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
	"github.com/cosmos/cosmos-sdk/x/gov"
	govclient "github.com/cosmos/cosmos-sdk/x/gov/client"
	govkeeper "github.com/cosmos/cosmos-sdk/x/gov/keeper"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	"github.com/cosmos/cosmos-sdk/x/slashing"
	slashingkeeper "github.com/cosmos/cosmos-sdk/x/slashing/keeper"
	slashingtypes "github.com/cosmos/cosmos-sdk/x/slashing/types"
	"github.com/cosmos/cosmos-sdk/x/staking"
	stakingkeeper "github.com/cosmos/cosmos-sdk/x/staking/keeper"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
	"github.com/cosmos/cosmos-sdk/x/tx/signing"
	"github.com/cosmos/cosmos-sdk/x/upgrade"
	upgradekeeper "github.com/cosmos/cosmos-sdk/x/upgrade/keeper"
	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"

	"github.com/loopin-project/loopin/x/pocps"
	pocpskeeper "github.com/loopin-project/loopin/x/pocps/keeper"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	"github.com/loopin-project/loopin/x/pools"
	poolskeeper "github.com/loopin-project/loopin/x/pools/keeper"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
	"github.com/loopin-project/loopin/x/rewards"
	rewardskeeper "github.com/loopin-project/loopin/x/rewards/keeper"
	rewardstypes "github.com/loopin-project/loopin/x/rewards/types"
	"github.com/loopin-project/loopin/x/stake"
	stakekeeper "github.com/loopin-project/loopin/x/stake/keeper"
	staketypes "github.com/loopin-project/loopin/x/stake/types"
)

// Name is the application name reported over ABCI.
const Name = "loopin"

// maccPerms are the module accounts and what each may do with the bank.
// x/rewards is the only minter.
var maccPerms = map[string][]string{
	authtypes.FeeCollectorName:     nil,
	distrtypes.ModuleName:          nil,
	stakingtypes.BondedPoolName:    {authtypes.Burner, authtypes.Staking},
	stakingtypes.NotBondedPoolName: {authtypes.Burner, authtypes.Staking},
	govtypes.ModuleName:            {authtypes.Burner},
	poolstypes.ModuleName:          {authtypes.Burner},
	staketypes.ModuleName:          {authtypes.Burner},
	rewardstypes.ModuleName:        {authtypes.Minter},
}

var (
	_ runtime.AppI            = (*App)(nil)
	_ servertypes.Application = (*App)(nil)
)

// App is the LooPIN application: a BaseApp with every keeper exported for
// tests and for the binary.
type App struct {
	*baseapp.BaseApp

	legacyAmino       *codec.LegacyAmino
	appCodec          codec.Codec
	txConfig          client.TxConfig
	interfaceRegistry codectypes.InterfaceRegistry
	keys              map[string]*storetypes.KVStoreKey

	// SDK keepers.
	AccountKeeper         authkeeper.AccountKeeper
	BankKeeper            bankkeeper.BaseKeeper
	StakingKeeper         *stakingkeeper.Keeper
	SlashingKeeper        slashingkeeper.Keeper
	DistrKeeper           distrkeeper.Keeper
	GovKeeper             govkeeper.Keeper
	UpgradeKeeper         *upgradekeeper.Keeper
	ConsensusParamsKeeper consensusparamkeeper.Keeper
	EvidenceKeeper        evidencekeeper.Keeper
	AuthzKeeper           authzkeeper.Keeper
	FeeGrantKeeper        feegrantkeeper.Keeper
	EpochsKeeper          *epochskeeper.Keeper

	// LooPIN keepers.
	PoolsKeeper   poolskeeper.Keeper
	StakeKeeper   stakekeeper.Keeper
	PocpsKeeper   pocpskeeper.Keeper
	RewardsKeeper rewardskeeper.Keeper

	ModuleManager      *module.Manager
	BasicModuleManager module.BasicManager
	configurator       module.Configurator

	closeOnce sync.Once
	closeErr  error
}

// New builds the application on db. appOpts carries the node's flags and
// app.toml (home directory, skipped upgrade heights, …); baseAppOptions are
// applied to the BaseApp (pruning, minimum gas prices, …). It panics on a
// wiring error, which is a bug in this file, not a runtime condition.
func New(
	logger log.Logger,
	db dbm.DB,
	loadLatest bool,
	appOpts servertypes.AppOptions,
	baseAppOptions ...func(*baseapp.BaseApp),
) *App {
	enc := MakeEncodingConfig()
	interfaceRegistry, appCodec, legacyAmino, txConfig := enc.InterfaceRegistry, enc.Codec, enc.Amino, enc.TxConfig

	bApp := baseapp.NewBaseApp(Name, logger, db, txConfig.TxDecoder(), baseAppOptions...)
	bApp.SetVersion(version.Version)
	bApp.SetInterfaceRegistry(interfaceRegistry)
	bApp.SetTxEncoder(txConfig.TxEncoder())

	keys := storetypes.NewKVStoreKeys(
		authtypes.StoreKey, banktypes.StoreKey, stakingtypes.StoreKey, slashingtypes.StoreKey,
		distrtypes.StoreKey, govtypes.StoreKey, upgradetypes.StoreKey, consensusparamtypes.StoreKey,
		evidencetypes.StoreKey, authzkeeper.StoreKey, feegrant.StoreKey, epochstypes.StoreKey,
		poolstypes.StoreKey, staketypes.StoreKey, pocpstypes.StoreKey, rewardstypes.StoreKey,
	)
	if err := bApp.RegisterStreamingServices(appOpts, keys); err != nil {
		panic(err)
	}

	app := &App{
		BaseApp:           bApp,
		legacyAmino:       legacyAmino,
		appCodec:          appCodec,
		txConfig:          txConfig,
		interfaceRegistry: interfaceRegistry,
		keys:              keys,
	}
	govAuthority := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	store := func(key string) corestore.KVStoreService { return runtime.NewKVStoreService(keys[key]) }

	app.ConsensusParamsKeeper = consensusparamkeeper.NewKeeper(appCodec, store(consensusparamtypes.StoreKey), govAuthority, runtime.EventService{})
	bApp.SetParamStore(app.ConsensusParamsKeeper.ParamsStore)

	app.AccountKeeper = authkeeper.NewAccountKeeper(
		appCodec, store(authtypes.StoreKey), authtypes.ProtoBaseAccount, maccPerms,
		authcodec.NewBech32Codec(sdk.GetConfig().GetBech32AccountAddrPrefix()),
		sdk.GetConfig().GetBech32AccountAddrPrefix(), govAuthority,
	)
	app.BankKeeper = bankkeeper.NewBaseKeeper(appCodec, store(banktypes.StoreKey), app.AccountKeeper, BlockedAddresses(), govAuthority, logger)
	app.StakingKeeper = stakingkeeper.NewKeeper(
		appCodec, store(stakingtypes.StoreKey), app.AccountKeeper, app.BankKeeper, govAuthority,
		authcodec.NewBech32Codec(sdk.GetConfig().GetBech32ValidatorAddrPrefix()),
		authcodec.NewBech32Codec(sdk.GetConfig().GetBech32ConsensusAddrPrefix()),
	)
	app.DistrKeeper = distrkeeper.NewKeeper(appCodec, store(distrtypes.StoreKey), app.AccountKeeper, app.BankKeeper, app.StakingKeeper, authtypes.FeeCollectorName, govAuthority)
	app.SlashingKeeper = slashingkeeper.NewKeeper(appCodec, legacyAmino, store(slashingtypes.StoreKey), app.StakingKeeper, govAuthority)
	app.FeeGrantKeeper = feegrantkeeper.NewKeeper(appCodec, store(feegrant.StoreKey), app.AccountKeeper)
	app.AuthzKeeper = authzkeeper.NewKeeper(store(authzkeeper.StoreKey), appCodec, app.MsgServiceRouter(), app.AccountKeeper)

	skipUpgradeHeights := map[int64]bool{}
	for _, h := range cast.ToIntSlice(appOpts.Get(server.FlagUnsafeSkipUpgrades)) {
		skipUpgradeHeights[int64(h)] = true
	}
	homePath := cast.ToString(appOpts.Get(flags.FlagHome))
	app.UpgradeKeeper = upgradekeeper.NewKeeper(skipUpgradeHeights, store(upgradetypes.StoreKey), appCodec, homePath, app.BaseApp, govAuthority)

	govKeeper := govkeeper.NewKeeper(
		appCodec, store(govtypes.StoreKey), app.AccountKeeper, app.BankKeeper, app.DistrKeeper,
		app.MsgServiceRouter(), govtypes.DefaultConfig(), govAuthority,
		govkeeper.NewDefaultCalculateVoteResultsAndVotingPower(app.StakingKeeper),
	)
	app.GovKeeper = *govKeeper

	app.EvidenceKeeper = *evidencekeeper.NewKeeper(
		appCodec, store(evidencetypes.StoreKey), app.StakingKeeper, app.SlashingKeeper,
		app.AccountKeeper.AddressCodec(), runtime.ProvideCometInfoService(),
	)

	epochsKeeper := epochskeeper.NewKeeper(store(epochstypes.StoreKey), appCodec)
	app.EpochsKeeper = &epochsKeeper

	// LooPIN keepers. Dependencies run one way: stake uses pools and pocps;
	// rewards reads the others through its expected-keeper interfaces.
	app.PoolsKeeper = poolskeeper.NewKeeper(appCodec, store(poolstypes.StoreKey), app.AccountKeeper, app.BankKeeper, govAuthority)
	app.PocpsKeeper = pocpskeeper.NewKeeper(appCodec, store(pocpstypes.StoreKey), app.AccountKeeper, app.StakingKeeper, app.PoolsKeeper, govAuthority)
	app.StakingKeeper.SetHooks(stakingtypes.NewMultiStakingHooks(
		app.DistrKeeper.Hooks(), app.SlashingKeeper.Hooks(), app.PocpsKeeper.StakingHooks(),
	))
	app.StakeKeeper = stakekeeper.NewKeeper(appCodec, store(staketypes.StoreKey), app.AccountKeeper, app.BankKeeper,
		app.PoolsKeeper, app.PocpsKeeper, app.EpochsKeeper, govAuthority)
	app.RewardsKeeper = rewardskeeper.NewKeeper(
		appCodec, store(rewardstypes.StoreKey), app.AccountKeeper, app.BankKeeper,
		app.PoolsKeeper, app.StakeKeeper, app.PocpsKeeper, app.EpochsKeeper, govAuthority,
	)
	// A change of x/stake's maintenance rate β must keep β below the reward
	// rate γ (whitepaper §5), which x/rewards knows.
	app.StakeKeeper.SetBalanceCheck(app.RewardsKeeper.CheckBalance)
	// A confirmed failure runs x/stake's failure path; a passed challenge
	// re-weighs the device in the miners' stream (set before any copy of the
	// x/pocps keeper is handed to a module below).
	app.PocpsKeeper.SetHooks(pocpstypes.NewMultiPocpsHooks(app.StakeKeeper.Hooks(), app.RewardsKeeper.PocpsHooks()))
	// Leases and commitments feed the clients' and miners' reward streams.
	app.PoolsKeeper.SetHooks(app.RewardsKeeper.PoolsHooks())
	app.StakeKeeper.SetStakeHooks(app.RewardsKeeper.StakeHooks())
	// PoL reads C_minted and C_held from x/rewards (set before any copy of
	// the x/pocps keeper is handed out below).
	app.PocpsKeeper.SetLoyaltyKeeper(rewardskeeper.Loyalty{K: app.RewardsKeeper})
	// At each `loopin` epoch end: x/pools dissipates and snapshots its
	// pools, x/pocps challenges the devices due, then x/rewards mints and
	// splits the emission.
	app.EpochsKeeper.SetHooks(epochstypes.NewMultiEpochHooks(
		app.PoolsKeeper.EpochHooks(), app.PocpsKeeper.EpochHooks(), app.RewardsKeeper.EpochHooks()))

	app.ModuleManager = module.NewManager(
		genutil.NewAppModule(app.AccountKeeper, app.StakingKeeper, app, txConfig),
		auth.NewAppModule(appCodec, app.AccountKeeper, authsims.RandomGenesisAccounts, nil),
		bank.NewAppModule(appCodec, app.BankKeeper, app.AccountKeeper, nil),
		feegrantmodule.NewAppModule(appCodec, app.AccountKeeper, app.BankKeeper, app.FeeGrantKeeper, app.interfaceRegistry),
		gov.NewAppModule(appCodec, &app.GovKeeper, app.AccountKeeper, app.BankKeeper, nil),
		slashing.NewAppModule(appCodec, app.SlashingKeeper, app.AccountKeeper, app.BankKeeper, app.StakingKeeper, nil, app.interfaceRegistry),
		distr.NewAppModule(appCodec, app.DistrKeeper, app.AccountKeeper, app.BankKeeper, app.StakingKeeper, nil),
		staking.NewAppModule(appCodec, app.StakingKeeper, app.AccountKeeper, app.BankKeeper, nil),
		upgrade.NewAppModule(app.UpgradeKeeper, app.AccountKeeper.AddressCodec()),
		evidence.NewAppModule(app.EvidenceKeeper),
		authzmodule.NewAppModule(appCodec, app.AuthzKeeper, app.AccountKeeper, app.BankKeeper, app.interfaceRegistry),
		consensus.NewAppModule(appCodec, app.ConsensusParamsKeeper),
		epochs.NewAppModule(app.EpochsKeeper),
		pools.NewAppModule(appCodec, app.PoolsKeeper),
		stake.NewAppModule(appCodec, app.StakeKeeper),
		pocps.NewAppModule(appCodec, app.PocpsKeeper),
		rewards.NewAppModule(appCodec, app.RewardsKeeper),
	)

	app.BasicModuleManager = module.NewBasicManagerFromManager(
		app.ModuleManager,
		map[string]module.AppModuleBasic{
			genutiltypes.ModuleName: genutil.NewAppModuleBasic(genutiltypes.DefaultMessageValidator),
			govtypes.ModuleName:     gov.NewAppModuleBasic([]govclient.ProposalHandler{}),
			epochstypes.ModuleName:  epochsModuleBasic{epochs.NewAppModule(app.EpochsKeeper)},
		},
	)
	app.BasicModuleManager.RegisterLegacyAminoCodec(legacyAmino)
	app.BasicModuleManager.RegisterInterfaces(interfaceRegistry)

	app.ModuleManager.SetOrderPreBlockers(upgradetypes.ModuleName, authtypes.ModuleName)
	// x/epochs ticks first so that the LooPIN modules see the new epoch in
	// the same block; distribution allocates fees before slashing.
	app.ModuleManager.SetOrderBeginBlockers(
		epochstypes.ModuleName, poolstypes.ModuleName, staketypes.ModuleName, distrtypes.ModuleName, slashingtypes.ModuleName,
		evidencetypes.ModuleName, stakingtypes.ModuleName, authz.ModuleName, pocpstypes.ModuleName,
	)
	// x/bank must come first (SDK v0.54).
	app.ModuleManager.SetOrderEndBlockers(
		banktypes.ModuleName, govtypes.ModuleName, stakingtypes.ModuleName, feegrant.ModuleName,
	)
	genesisOrder := []string{
		authtypes.ModuleName, banktypes.ModuleName, distrtypes.ModuleName, stakingtypes.ModuleName,
		slashingtypes.ModuleName, govtypes.ModuleName, upgradetypes.ModuleName, evidencetypes.ModuleName,
		authz.ModuleName, feegrant.ModuleName, consensusparamtypes.ModuleName, epochstypes.ModuleName,
		poolstypes.ModuleName, pocpstypes.ModuleName, staketypes.ModuleName, rewardstypes.ModuleName,
		genutiltypes.ModuleName,
	}
	app.ModuleManager.SetOrderInitGenesis(genesisOrder...)
	app.ModuleManager.SetOrderExportGenesis(genesisOrder...)

	app.configurator = module.NewConfigurator(appCodec, app.MsgServiceRouter(), app.GRPCQueryRouter())
	if err := app.ModuleManager.RegisterServices(app.configurator); err != nil {
		panic(err)
	}

	autocliv1.RegisterQueryServer(app.GRPCQueryRouter(), runtimeservices.NewAutoCLIQueryService(app.ModuleManager.Modules))
	reflectionSvc, err := runtimeservices.NewReflectionService()
	if err != nil {
		panic(err)
	}
	reflectionv1.RegisterReflectionServiceServer(app.GRPCQueryRouter(), reflectionSvc)

	app.MountKVStores(keys)

	app.SetInitChainer(app.InitChainer)
	app.SetPreBlocker(app.PreBlocker)
	app.SetBeginBlocker(app.BeginBlocker)
	app.SetEndBlocker(app.EndBlocker)
	app.setAnteHandler()

	// Every Msg service must have its signers annotated; catch a missing
	// cosmos.msg.v1.signer option at start-up rather than at first use.
	protoFiles, err := proto.MergedRegistry()
	if err != nil {
		panic(err)
	}
	if err := msgservice.ValidateProtoAnnotations(protoFiles); err != nil {
		logger.Error("proto annotation check", "err", err)
	}

	if loadLatest {
		if err := app.LoadLatestVersion(); err != nil {
			panic(fmt.Errorf("loading latest version: %w", err))
		}
	}
	return app
}

func (app *App) setAnteHandler() {
	anteHandler, err := ante.NewAnteHandler(ante.HandlerOptions{
		AccountKeeper:   app.AccountKeeper,
		BankKeeper:      app.BankKeeper,
		FeegrantKeeper:  app.FeeGrantKeeper,
		SignModeHandler: app.txConfig.SignModeHandler(),
		SigGasConsumer:  ante.DefaultSigVerificationGasConsumer,
	})
	if err != nil {
		panic(err)
	}
	app.SetAnteHandler(anteHandler)
}

// Close closes the application and snapshot databases once. The SDK's
// server calls it on every shutdown path (CometBFT stop and start's cleanup),
// and BaseApp.Close reports "leveldb: closed" when called a second time.
func (app *App) Close() error {
	app.closeOnce.Do(func() { app.closeErr = app.BaseApp.Close() })
	return app.closeErr
}

// PreBlocker runs the modules' PreBlock (upgrades, auth params).
func (app *App) PreBlocker(ctx sdk.Context, _ *abci.RequestFinalizeBlock) (*sdk.ResponsePreBlock, error) {
	return app.ModuleManager.PreBlock(ctx)
}

// BeginBlocker runs the modules' BeginBlock in SetOrderBeginBlockers order.
func (app *App) BeginBlocker(ctx sdk.Context) (sdk.BeginBlock, error) {
	return app.ModuleManager.BeginBlock(ctx)
}

// EndBlocker runs the modules' EndBlock in SetOrderEndBlockers order.
func (app *App) EndBlocker(ctx sdk.Context) (sdk.EndBlock, error) {
	return app.ModuleManager.EndBlock(ctx)
}

// InitChainer decodes the genesis app state and initialises every module.
func (app *App) InitChainer(ctx sdk.Context, req *abci.RequestInitChain) (*abci.ResponseInitChain, error) {
	var genesisState GenesisState
	if err := json.Unmarshal(req.AppStateBytes, &genesisState); err != nil {
		return nil, fmt.Errorf("decoding genesis app_state: %w", err)
	}
	if err := app.UpgradeKeeper.SetModuleVersionMap(ctx, app.ModuleManager.GetVersionMap()); err != nil {
		return nil, err
	}
	return app.ModuleManager.InitGenesis(ctx, app.appCodec, genesisState)
}

// LoadHeight loads the state at height (for export at a past height).
func (app *App) LoadHeight(height int64) error {
	return app.LoadVersion(height)
}

// LegacyAmino returns the amino codec (legacy signing and JSON only).
func (app *App) LegacyAmino() *codec.LegacyAmino { return app.legacyAmino }

// AppCodec returns the protobuf codec.
func (app *App) AppCodec() codec.Codec { return app.appCodec }

// InterfaceRegistry returns the interface registry.
func (app *App) InterfaceRegistry() codectypes.InterfaceRegistry { return app.interfaceRegistry }

// TxConfig returns the transaction encoding configuration.
func (app *App) TxConfig() client.TxConfig { return app.txConfig }

// GetKey returns the KV store key named storeKey (tests only).
func (app *App) GetKey(storeKey string) *storetypes.KVStoreKey { return app.keys[storeKey] }

// DefaultGenesis returns the genesis state of a new chain: every module's
// default, with uloop as the bond, fee and deposit denom (SetAddressPrefixes
// sets sdk.DefaultBondDenom) and the single `loopin` epoch clock.
func (app *App) DefaultGenesis() GenesisState {
	return app.BasicModuleManager.DefaultGenesis(app.appCodec)
}

// SimulationManager is not used: LooPIN's simulations live in their own targets.
func (app *App) SimulationManager() *module.SimulationManager { return nil }

// AutoCliOpts returns the autocli options that build `loopind query` and
// `loopind tx` from every module's Query and Msg services.
func (app *App) AutoCliOpts() autocli.AppOptions {
	modules := make(map[string]appmodule.AppModule)
	for _, m := range app.ModuleManager.Modules {
		if withName, ok := m.(module.HasName); ok {
			if am, ok := withName.(appmodule.AppModule); ok {
				modules[withName.Name()] = am
			}
		}
	}
	return autocli.AppOptions{
		Modules:               modules,
		ModuleOptions:         runtimeservices.ExtractAutoCLIOptions(app.ModuleManager.Modules),
		AddressCodec:          authcodec.NewBech32Codec(sdk.GetConfig().GetBech32AccountAddrPrefix()),
		ValidatorAddressCodec: authcodec.NewBech32Codec(sdk.GetConfig().GetBech32ValidatorAddrPrefix()),
		ConsensusAddressCodec: authcodec.NewBech32Codec(sdk.GetConfig().GetBech32ConsensusAddrPrefix()),
	}
}

// RegisterAPIRoutes registers the REST (grpc-gateway) routes of every module.
func (app *App) RegisterAPIRoutes(apiSvr *api.Server, apiConfig config.APIConfig) {
	clientCtx := apiSvr.ClientCtx
	authtx.RegisterGRPCGatewayRoutes(clientCtx, apiSvr.GRPCGatewayRouter)
	cmtservice.RegisterGRPCGatewayRoutes(clientCtx, apiSvr.GRPCGatewayRouter)
	nodeservice.RegisterGRPCGatewayRoutes(clientCtx, apiSvr.GRPCGatewayRouter)
	app.BasicModuleManager.RegisterGRPCGatewayRoutes(clientCtx, apiSvr.GRPCGatewayRouter)
	if err := server.RegisterSwaggerAPI(apiSvr.ClientCtx, apiSvr.Router, apiConfig.Swagger); err != nil {
		panic(err)
	}
}

// RegisterTxService registers the tx gRPC service (simulate, broadcast, get tx).
func (app *App) RegisterTxService(clientCtx client.Context) {
	authtx.RegisterTxService(app.GRPCQueryRouter(), clientCtx, simulateWithoutSource(app.Simulate), app.interfaceRegistry)
}

// RegisterTendermintService registers the CometBFT gRPC query service.
func (app *App) RegisterTendermintService(clientCtx client.Context) {
	cmtApp := server.NewCometABCIWrapper(app)
	cmtservice.RegisterTendermintService(clientCtx, app.GRPCQueryRouter(), app.interfaceRegistry, cmtApp.Query)
}

// RegisterNodeService registers the node gRPC service (config, status with
// the earliest stored height, as SDK v0.54 requires).
func (app *App) RegisterNodeService(clientCtx client.Context, cfg config.Config) {
	nodeservice.RegisterNodeService(clientCtx, app.GRPCQueryRouter(), cfg, func() int64 {
		return app.CommitMultiStore().EarliestVersion()
	})
}

// BlockedAddresses returns the module accounts that may not receive funds
// by bank sends (all of them but x/gov, which takes deposits).
func BlockedAddresses() map[string]bool {
	blocked := make(map[string]bool)
	for acc := range maccPerms {
		blocked[authtypes.NewModuleAddress(acc).String()] = true
	}
	delete(blocked, authtypes.NewModuleAddress(govtypes.ModuleName).String())
	return blocked
}

// ModuleAccountPermissions returns a copy of the module account permissions.
func ModuleAccountPermissions() map[string][]string {
	out := make(map[string][]string, len(maccPerms))
	for k, v := range maccPerms {
		out[k] = append([]string(nil), v...)
	}
	return out
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
