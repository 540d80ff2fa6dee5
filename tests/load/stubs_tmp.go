package main

import "github.com/spf13/cobra"

func execCmd() *cobra.Command   { return &cobra.Command{Use: "exec"} }
func reportCmd() *cobra.Command { return &cobra.Command{Use: "report"} }
