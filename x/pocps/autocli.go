package pocps

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/loopin-project/loopin/x/pocps/types"
)

// AutoCLIOptions describes the `loopind query pocps` and `loopind tx pocps`
// commands, generated from the Query and Msg services.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: types.Query_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "Params",
					Use:       "params",
					Short:     "Show the x/pocps parameters: challenge schedule, confirmations and the PoT/PoL/PoP/PoW score constants",
				},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service: types.Msg_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod:      "UpdateParams",
					Use:            "update-params-proposal [params]",
					Short:          "Submit a governance proposal that replaces all x/pocps parameters",
					Long:           "Submits a gov proposal carrying MsgUpdateParams. [params] is the full parameter set as JSON, as `loopind q pocps params -o json` prints it.",
					Example:        `loopind tx pocps update-params-proposal '{"challenge_interval":6,"challenge_deadline":"600s","confirmations":2,"max_missed":3,"alpha_time":"2.303","t0":"2592000s","beta_loyalty":"7.324","gamma_privacy":"2.303","p_limit":80,"delta_work":"7.324"}' --from validator`,
					GovProposal:    true,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "params"}},
				},
			},
		},
	}
}
