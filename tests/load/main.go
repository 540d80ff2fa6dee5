// Command loopin-load is the LooPIN chain's load generator and fixture
// builder (`make bench-chain`, docs/benchmarks.md "Throughput under load"):
//
//	loopin-load fixture  turn a validators' genesis into one with ~10 000
//	                     sealed, staked devices and thousands of funded accounts
//	loopin-load run      submit pre-signed transactions of a mix to a node and
//	                     measure tx/s and inclusion latency from the blocks
//	loopin-load exec     run blocks of each mix in-process on the fixture, with
//	                     the sequential executor and the SDK's Block-STM, and
//	                     time the epoch-end block
//	loopin-load report   the markdown table of a run's results
//
// The accounts' keys are derived from public seeds (Key): a fixture is for
// benchmarks only.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	root := &cobra.Command{
		Use:   "loopin-load",
		Short: "Load generator and fixture builder for benchmarking a LooPIN chain",
		Long: `loopin-load builds a LooPIN genesis big enough to trade in volume and measures
what a node includes under load. make bench-chain runs it end to end on one
node and on four validators and writes the table to build/bench-chain/.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(fixtureCmd(), runCmd(), execCmd(), reportCmd())
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "loopin-load:", err)
		os.Exit(1)
	}
}

// writeJSON writes v to path as indented JSON (the files run, exec and
// fixture write for report and for people).
func writeJSON(path string, v any) error {
	bz, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, bz, 0o644)
}
