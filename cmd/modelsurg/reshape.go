package main

import "github.com/spf13/cobra"

// placeholder: being implemented
func newReshapeCmd() *cobra.Command { return &cobra.Command{Use: "reshape-input", Hidden: true} }
