package rewards

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/loopin-project/loopin/x/rewards/types"
)

// AutoCLIOptions describes the `loopind query rewards` and `loopind tx rewards`
// commands, generated from the Query and Msg services.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: types.Query_serviceDesc.ServiceName,
			Short:   "Query epoch rewards: parameters (pending rewards, economics come with x/rewards)",
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "Params",
					Use:       "params",
					Short:     "Show the x/rewards parameters: epoch emission, decay and the four shares",
				},
				{
					RpcMethod:      "Pending",
					Use:            "pending [address]",
					Short:          "Show the uloop an address can claim with `loopind tx rewards claim`",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "address"}},
				},
				{
					RpcMethod:      "Minted",
					Use:            "minted [address]",
					Short:          "Show C_minted: the uloop ever minted to an address as rewards (PoL's input)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "address"}},
				},
				{
					RpcMethod:      "Epoch",
					Use:            "epoch [n]",
					Short:          "Show what epoch n minted and how it was split (validators, miners, verifiers, clients, sink)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "epoch"}},
				},
				{
					RpcMethod: "AllEpochs",
					Use:       "epochs",
					Short:     "List the epochs kept (epoch_retention) with what each minted and its split; --page-reverse for the newest first",
					Example:   "loopind q rewards epochs --page-reverse --page-limit 5",
				},
				{
					RpcMethod: "Economics",
					Use:       "economics",
					Short:     "Show the balance condition: staking fee α, maintenance rate β, reward rate γ per GPU-second, T_min = α/(γ−β), and a warning when β ≥ γ",
				},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service: types.Msg_serviceDesc.ServiceName,
			Short:   "Claim epoch rewards",
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					// Governance only. The generated command cannot encode
					// LegacyDec fields (cosmos-sdk#26673), so parameter changes
					// go through `loopind tx gov submit-proposal`; see
					// docs/governance.md.
					RpcMethod: "UpdateParams",
					Skip:      true,
				},
				{
					RpcMethod: "ClaimRewards",
					Use:       "claim",
					Short:     "Claim your pending rewards (signer: --from)",
				},
			},
		},
	}
}
