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
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "Params",
					Use:       "params",
					Short:     "Show the x/rewards parameters: epoch emission, decay and the four shares",
				},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service: types.Msg_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod:      "UpdateParams",
					Use:            "update-params-proposal [params]",
					Short:          "Submit a governance proposal that replaces all x/rewards parameters",
					Long:           "Submits a gov proposal carrying MsgUpdateParams. [params] is the full parameter set as JSON, as `loopind q rewards params -o json` prints it.",
					Example:        `loopind tx rewards update-params-proposal '{"epoch_emission":"1000000000","decay_rate":"0.1","decay_interval":8760,"miner_share":"0.7","verifier_share":"0.1","client_share":"0.1","validator_share":"0.1"}' --from validator`,
					GovProposal:    true,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "params"}},
				},
			},
		},
	}
}
