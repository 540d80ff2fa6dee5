package app

import (
	"github.com/spf13/cast"

	corestore "cosmossdk.io/core/store"
	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/server"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authcodec "github.com/cosmos/cosmos-sdk/x/auth/codec"
	authkeeper "github.com/cosmos/cosmos-sdk/x/auth/keeper"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	authzkeeper "github.com/cosmos/cosmos-sdk/x/authz/keeper"
	bankkeeper "github.com/cosmos/cosmos-sdk/x/bank/keeper"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	consensusparamkeeper "github.com/cosmos/cosmos-sdk/x/consensus/keeper"
	consensusparamtypes "github.com/cosmos/cosmos-sdk/x/consensus/types"
	distrkeeper "github.com/cosmos/cosmos-sdk/x/distribution/keeper"
	distrtypes "github.com/cosmos/cosmos-sdk/x/distribution/types"
	epochskeeper "github.com/cosmos/cosmos-sdk/x/epochs/keeper"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"
	evidencekeeper "github.com/cosmos/cosmos-sdk/x/evidence/keeper"
	evidencetypes "github.com/cosmos/cosmos-sdk/x/evidence/types"
	"github.com/cosmos/cosmos-sdk/x/feegrant"
	feegrantkeeper "github.com/cosmos/cosmos-sdk/x/feegrant/keeper"
	govkeeper "github.com/cosmos/cosmos-sdk/x/gov/keeper"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	slashingkeeper "github.com/cosmos/cosmos-sdk/x/slashing/keeper"
	slashingtypes "github.com/cosmos/cosmos-sdk/x/slashing/types"
	stakingkeeper "github.com/cosmos/cosmos-sdk/x/staking/keeper"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
	upgradekeeper "github.com/cosmos/cosmos-sdk/x/upgrade/keeper"
	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"

	pocpskeeper "github.com/loopin-project/loopin/x/pocps/keeper"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	poolskeeper "github.com/loopin-project/loopin/x/pools/keeper"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
	rewardskeeper "github.com/loopin-project/loopin/x/rewards/keeper"
	rewardstypes "github.com/loopin-project/loopin/x/rewards/types"
	stakekeeper "github.com/loopin-project/loopin/x/stake/keeper"
	staketypes "github.com/loopin-project/loopin/x/stake/types"
)

// newKeepers builds every keeper on the App's store keys, the SDK's in
// their usual graph and LooPIN's in dependency order (docs/architecture.md).
// It panics on a wiring error, a bug in this file.
func (app *App) newKeepers(appOpts servertypes.AppOptions, logger log.Logger) {
	govAuthority := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	keys, appCodec, legacyAmino := app.keys, app.appCodec, app.legacyAmino
	store := func(key string) corestore.KVStoreService { return runtime.NewKVStoreService(keys[key]) }

	app.ConsensusParamsKeeper = consensusparamkeeper.NewKeeper(appCodec, store(consensusparamtypes.StoreKey), govAuthority, runtime.EventService{})
	app.SetParamStore(app.ConsensusParamsKeeper.ParamsStore)

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

	// LooPIN keepers, in dependency order: pools, then pocps (reads pools),
	// stake (calls pools and pocps), rewards (reads all three). The
	// callbacks that run the other way (pools → rewards, pools' matching →
	// pocps' LastPass, pocps → stake and rewards, stake → rewards) are the App's hook adapters (hooks.go),
	// which reach the receiving keeper when called: no keeper is set after
	// construction, so no copy can miss one.
	hooks := loopinHooks{app}
	app.PoolsKeeper = poolskeeper.NewKeeper(appCodec, store(poolstypes.StoreKey), app.AccountKeeper, app.BankKeeper,
		hooks.pools(), hooks.liveness(), govAuthority)
	app.PocpsKeeper = pocpskeeper.NewKeeper(appCodec, store(pocpstypes.StoreKey), app.AccountKeeper, app.BankKeeper, app.StakingKeeper, app.PoolsKeeper,
		hooks.loyalty(), hooks.pocps(), govAuthority)
	app.StakingKeeper.SetHooks(stakingtypes.NewMultiStakingHooks(
		app.DistrKeeper.Hooks(), app.SlashingKeeper.Hooks(), app.PocpsKeeper.StakingHooks(),
	))
	app.StakeKeeper = stakekeeper.NewKeeper(appCodec, store(staketypes.StoreKey), app.AccountKeeper, app.BankKeeper,
		app.PoolsKeeper, app.PocpsKeeper, app.EpochsKeeper, hooks.balance(), hooks.stake(), govAuthority)
	app.RewardsKeeper = rewardskeeper.NewKeeper(
		appCodec, store(rewardstypes.StoreKey), app.AccountKeeper, app.BankKeeper,
		app.PoolsKeeper, app.StakeKeeper, app.PocpsKeeper, app.EpochsKeeper, govAuthority,
	)
	// At each `loopin` epoch end: x/pools dissipates and snapshots its
	// pools, x/pocps challenges the devices due, then x/rewards mints and
	// splits the emission — each in its own cached context (hooks.go).
	app.loopinEpochHooks = newIsolatedEpochHooks(
		namedEpochHook{poolstypes.ModuleName, app.PoolsKeeper.EpochHooks()},
		namedEpochHook{pocpstypes.ModuleName, app.PocpsKeeper.EpochHooks()},
		namedEpochHook{rewardstypes.ModuleName, app.RewardsKeeper.EpochHooks()},
	)
	app.EpochsKeeper.SetHooks(app.loopinEpochHooks)
}
