// Command loopind is the LooPIN node and CLI: it runs a validator or full
// node (`loopind start`), manages keys and genesis, and sends transactions and
// queries to every module (`loopind tx …`, `loopind query …`).
package main

import (
	"errors"
	"fmt"
	"os"

	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"

	"github.com/loopin-project/loopin/app"
	"github.com/loopin-project/loopin/cmd/loopind/cmd"
)

func main() {
	rootCmd := cmd.NewRootCmd()
	// The error is printed once, here, rather than by cobra and again here.
	rootCmd.SilenceErrors = true
	if err := svrcmd.Execute(rootCmd, "LOOPIN", app.DefaultNodeHome); err != nil {
		fmt.Fprintln(rootCmd.ErrOrStderr(), "Error:", cmd.UserError(err))
		var exit cmd.ExitError
		if errors.As(err, &exit) && exit.Code > 0 {
			os.Exit(exit.Code)
		}
		os.Exit(1)
	}
}
