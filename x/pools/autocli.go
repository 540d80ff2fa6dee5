package pools

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/loopin-project/loopin/x/pools/types"
)

// AutoCLIOptions describes the `loopind query pools` and `loopind tx pools`
// commands, generated from the Query and Msg services.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: types.Query_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "Params",
					Use:       "params",
					Short:     "Show the x/pools parameters: exchange fee and lease duration bounds",
				},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service: types.Msg_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod:      "UpdateParams",
					Use:            "update-params-proposal [params]",
					Short:          "Submit a governance proposal that replaces all x/pools parameters",
					Long:           "Submits a gov proposal carrying MsgUpdateParams. [params] is the full parameter set as JSON, as `loopind q pools params -o json` prints it.",
					Example:        `loopind tx pools update-params-proposal '{"exchange_fee":"0.003","min_lease_duration":"3600s","max_lease_duration":"2592000s"}' --from validator`,
					GovProposal:    true,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "params"}},
				},
			},
		},
	}
}
