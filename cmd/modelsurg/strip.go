package main

import (
	"github.com/spf13/cobra"

	"github.com/modelsurg/modelsurg/internal/h5model"
	"github.com/modelsurg/modelsurg/internal/modelfile"
)

func newStripCmd() *cobra.Command {
	var out outFlags
	var all bool
	cmd := &cobra.Command{
		Use:   "strip MODEL.h5 -o OUT.h5",
		Short: "Write a copy without optimizer weights (and, with --all, without training config)",
		Long: `strip writes MODEL.h5 again without its optimizer_weights, which no surgery
keeps valid. With --all it also drops training_config (the compile arguments).
Everything else - config, layer order, every weight - is kept bit for bit.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.check(); err != nil {
				return err
			}
			f, err := modelfile.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			if out.to != "" {
				return out.save(cmd.ErrOrStderr(), f, f.Model, h5model.SaveOptions{DropTrainingConfig: all})
			}
			return modelfile.Copy(out.path, f, h5model.SaveOptions{DropTrainingConfig: all, Force: out.force})
		},
	}
	out.register(cmd)
	cmd.Flags().BoolVar(&all, "all", false, "also drop training_config")
	return cmd
}
