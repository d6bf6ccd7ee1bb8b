package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modelsurg/modelsurg/internal/h5model"
	"github.com/modelsurg/modelsurg/internal/model"
	"github.com/modelsurg/modelsurg/internal/surgery"
)

func newRenameCmd() *cobra.Command {
	var (
		out     outFlags
		spec    surgery.RenameSpec
		maps    []string
		mapFile string
	)
	cmd := &cobra.Command{
		Use:   "rename MODEL.h5 --map OLD=NEW ... -o OUT.h5",
		Short: "Rename layers, with their weights and every reference to them",
		Long: `rename gives layers new names: --map OLD=NEW (repeatable) and --map-file
(one OLD=NEW a line; blank lines and lines starting with # are skipped) name
layers exactly, at any depth; --prefix and --suffix go around the name of
every other layer, after --sanitize, which replaces "/" (refused by Keras 3 in
layer names) with "_". The layers' weight groups and weight names, every
inbound reference, the model's inputs and outputs and a nested model's own
name follow. Names may be swapped; two layers may never end up with one
name. Weights are copied bit for bit. The output has no training_config
(its losses may name outputs): compile it again.

Example:
  modelsurg rename model.h5 --map dense=logits --prefix backbone_ -o renamed.h5`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.check(); err != nil {
				return err
			}
			var err error
			if spec.Map, err = parseMaps(maps, mapFile); err != nil {
				return err
			}
			if err := spec.Check(); err != nil {
				return surgeryErr(args[0], err)
			}
			return operate(cmd, args[0], &out, h5model.SaveOptions{DropTrainingConfig: true},
				func(m *model.Model) (*model.Model, *surgery.RenameReport, error) { return surgery.Rename(m, spec) },
				func(f *h5model.File, rep *surgery.RenameReport) {
					printRenameReport(cmd.ErrOrStderr(), rep, f.HasTrainingConfig)
				})
		},
	}
	out.register(cmd)
	fl := cmd.Flags()
	fl.StringArrayVar(&maps, "map", nil, "rename layer OLD to NEW, as OLD=NEW (repeatable)")
	fl.StringVar(&mapFile, "map-file", "", "file of OLD=NEW lines")
	fl.StringVar(&spec.Prefix, "prefix", "", "put this before the name of every layer --map does not name")
	fl.StringVar(&spec.Suffix, "suffix", "", "put this after the name of every layer --map does not name")
	fl.BoolVar(&spec.Sanitize, "sanitize", false, `replace "/" in the names of layers --map does not name with "_"`)
	return cmd
}

// parseMaps reads the --map values, then the --map-file lines.
func parseMaps(maps []string, file string) ([]surgery.Renaming, error) {
	var out []surgery.Renaming
	for _, m := range maps {
		r, ok := parseRenaming(m)
		if !ok {
			return nil, usagef("--map %q: want OLD=NEW, e.g. dense=logits", m)
		}
		out = append(out, r)
	}
	if file == "" {
		return out, nil
	}
	fh, err := os.Open(file)
	if err != nil {
		return nil, usagef("--map-file: %v", err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r, ok := parseRenaming(line)
		if !ok {
			return nil, usagef("--map-file: %s: line %d: want OLD=NEW, not %q", file, n, line)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return nil, usagef("--map-file: %s: %v", file, err)
	}
	return out, nil
}

func parseRenaming(s string) (surgery.Renaming, bool) {
	old, new, ok := strings.Cut(s, "=")
	old, new = strings.TrimSpace(old), strings.TrimSpace(new)
	return surgery.Renaming{Old: old, New: new}, ok && old != "" && new != ""
}

func printRenameReport(w io.Writer, rep *surgery.RenameReport, hadTraining bool) {
	parts := make([]string, len(rep.Renamed))
	for i, r := range rep.Renamed {
		parts[i] = r.Old + " -> " + r.New
	}
	if len(parts) == 0 {
		fmt.Fprintln(w, "modelsurg: renamed nothing: every name already was as asked")
	} else {
		fmt.Fprintf(w, "modelsurg: renamed %d %s (%d %s): %s\n", len(parts), headPlural(len(parts), "layer"),
			rep.Weights, headPlural(rep.Weights, "weight"), headNames(parts))
	}
	if hadTraining {
		fmt.Fprintln(w, "modelsurg: training_config dropped: compile the model again")
	}
}
