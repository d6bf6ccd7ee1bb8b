package main

import "github.com/spf13/cobra"

// placeholder: being implemented
func newReplaceHeadCmd() *cobra.Command { return &cobra.Command{Use: "replace-head", Hidden: true} }
