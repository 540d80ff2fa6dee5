package main

import "github.com/spf13/cobra"

func reportCmd() *cobra.Command { return &cobra.Command{Use: "report"} }
