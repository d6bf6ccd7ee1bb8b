package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/modelsurg/modelsurg/internal/dialect"
	"github.com/modelsurg/modelsurg/internal/kerasfile"
	"github.com/modelsurg/modelsurg/internal/model"
	"github.com/modelsurg/modelsurg/internal/modelfile"
)

func newCheckCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "check MODEL",
		Short: "Say whether Keras 2 and Keras 3 will load the model, and why not",
		Long: `check says, without converting, whether load_model(compile=False) will load
the file in Keras 2 (tf-keras) and in Keras 3 (safe_mode=False), and if not,
each reason with its layer and the convert command that fixes it; and whether
the saved weights match the config (every weight present, with the shapes the
config implies). The reasons come from a table of named dialect rules whose
facts were measured with tf_keras 2.21 and keras 3.15. A verdict is "unknown"
when it cannot be predicted (a class modelsurg does not know may be a custom
one registered before loading; a .keras archive modelsurg cannot read).

Exit status: 0 when the file loads in the Keras of its own dialect (with
consistent weights), 1 when not, 2 on a usage error.
--format json prints the same as one JSON object.`,
		Example: `  modelsurg check densenet121.h5
  modelsurg check model.h5 --format json`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usagef("--format: %q is not text or json", format)
			}
			r, err := checkFile(args[0])
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if format == "json" {
				err = r.writeJSON(w)
			} else {
				err = r.writeText(w)
			}
			if err != nil {
				return err
			}
			if !r.ok() {
				return exitStatus(1)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

// checkReport is what check found in one file.
type checkReport struct {
	File    string
	Dialect model.Dialect
	// Verdicts are Keras 2's then Keras 3's.
	Verdicts [2]dialect.Verdict
	Weights  []dialect.WeightProblem
	// Unread is why the file could not be read ("" when it was).
	Unread string
}

func (r *checkReport) ok() bool { return r.Verdicts[r.Dialect].State == dialect.Loads }

// checkFile reads path and judges it for both Kerases. Only a path that
// cannot be opened at all is an error; a file modelsurg cannot read
// gets verdicts (an .h5 file no Keras loads, an archive unknown).
func checkFile(path string) (*checkReport, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	r := &checkReport{File: path}
	m, weights, err := openChecked(path)
	if err != nil {
		state := dialect.DoesNotLoad
		if isArchive(path) {
			// modelsurg's archive reader refuses some forms Keras reads
			r.Dialect, state = model.Keras3, dialect.Unsure
		}
		r.Unread = err.Error()
		for k := range r.Verdicts {
			r.Verdicts[k] = dialect.Verdict{Keras: model.Dialect(k), State: state}
		}
		return r, nil
	}
	r.Dialect, r.Weights = m.Dialect, weights
	fs := dialect.Detect(m)
	for k := range r.Verdicts {
		r.Verdicts[k] = dialect.Judge(model.Dialect(k), fs, weights)
	}
	return r, nil
}

// openChecked opens path with its weights checked; when that check
// fails it reopens the config alone and lists each layer whose weights
// contradict it. A weights-only file is an error: load_model needs a config.
func openChecked(path string) (*model.Model, []dialect.WeightProblem, error) {
	f, err := modelfile.Open(path)
	if err == nil {
		defer f.Close()
		if f.WeightsOnly() {
			return nil, nil, fmt.Errorf("%s: a weights-only file (no model_config): load_model cannot build a model from it", path)
		}
		return f.Model, nil, nil
	}
	g, cerr := modelfile.OpenConfig(path)
	if cerr == nil {
		// a .keras archive's weights are read at once, and refused as a whole
		if cerr = g.ReadArchiveWeights(); cerr != nil {
			g.Close()
			return nil, nil, fmt.Errorf("%s: %w", path, cerr)
		}
	}
	if cerr != nil || g.WeightsOnly() {
		if cerr == nil {
			g.Close()
		}
		return nil, nil, err
	}
	defer g.Close()
	var problems []dialect.WeightProblem
	for _, l := range g.Model.Layers {
		ws, rerr := g.ReadGroup(l.Name)
		if rerr != nil {
			problems = append(problems, dialect.WeightProblem{Layer: l.Name, What: rerr.Error()})
			continue
		}
		l.Weights = ws
	}
	if len(problems) == 0 {
		problems = dialect.CheckWeights(g.Model, g.Shapes)
	}
	if len(problems) == 0 {
		problems = []dialect.WeightProblem{{What: trimFile(path, err.Error())}}
	}
	return g.Model, problems, nil
}

func trimFile(path, msg string) string {
	if p := path + ": "; len(msg) > len(p) && msg[:len(p)] == p {
		return msg[len(p):]
	}
	return msg
}

func checkPath(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		if pe, ok := err.(*os.PathError); ok {
			return fmt.Errorf("%s: %w", path, pe.Err)
		}
		return err
	}
	if st.IsDir() {
		return fmt.Errorf("%s: is a directory", path)
	}
	return nil
}

func isArchive(path string) bool {
	fh, err := os.Open(path)
	if err != nil {
		return false
	}
	defer fh.Close()
	return kerasfile.IsZip(fh)
}

func (r *checkReport) writeText(w io.Writer) error {
	for _, v := range r.Verdicts {
		name := v.Keras.String()
		if r.Unread != "" {
			fmt.Fprintf(w, "%s: %s: %s\n", name, v.State, r.Unread)
			continue
		}
		if v.State == dialect.Loads {
			fmt.Fprintf(w, "%s: loads\n", name)
		}
		if len(r.Weights) > 0 && v.State == dialect.DoesNotLoad {
			fmt.Fprintf(w, "%s: does not load: the saved weights do not match the config\n", name)
		}
		for _, g := range groupFindings(v.Findings) {
			state := string(v.State)
			if g[0].Severity == dialect.Warns {
				state = "warning"
			}
			msg := g[0].Message()
			if len(g) > 1 {
				msg = fmt.Sprintf("%s (and %d more layers: %s)", msg, len(g)-1, moreLayers(g[1:]))
			}
			fmt.Fprintf(w, "%s: %s: %s\n", name, state, msg)
		}
	}
	if r.Unread != "" {
		return nil
	}
	if len(r.Weights) == 0 {
		_, err := fmt.Fprintln(w, "weights: consistent")
		return err
	}
	for _, p := range r.Weights {
		fmt.Fprintf(w, "weights: %s\n", p.What)
	}
	return nil
}

// groupFindings groups consecutive findings of one rule, so that a rule
// met in every layer is one line.
func groupFindings(fs []dialect.Finding) [][]dialect.Finding {
	var out [][]dialect.Finding
	for _, f := range fs {
		if n := len(out); n > 0 && out[n-1][0].Rule == f.Rule {
			out[n-1] = append(out[n-1], f)
			continue
		}
		out = append(out, []dialect.Finding{f})
	}
	return out
}

// moreLayers names up to three layers (the message has said how many).
func moreLayers(fs []dialect.Finding) string {
	const show = 3
	var s string
	for i, f := range fs {
		if i == show {
			return s + ", ..."
		}
		if i > 0 {
			s += ", "
		}
		s += strconv.Quote(f.Layer)
	}
	return s
}

type jsonFinding struct {
	Rule         string   `json:"rule"`
	Severity     string   `json:"severity"`
	Layer        string   `json:"layer"`
	In           []string `json:"in"`
	What         string   `json:"what"`
	Fix          string   `json:"fix"`
	FixAvailable bool     `json:"fix_available"`
}

type jsonVerdict struct {
	Verdict  string        `json:"verdict"`
	Findings []jsonFinding `json:"findings"`
}

func (r *checkReport) writeJSON(w io.Writer) error {
	out := struct {
		File       string                  `json:"file"`
		Dialect    string                  `json:"dialect"`
		Unreadable string                  `json:"unreadable,omitempty"`
		Keras2     jsonVerdict             `json:"keras2"`
		Keras3     jsonVerdict             `json:"keras3"`
		Consistent bool                    `json:"weights_consistent"`
		Weights    []dialect.WeightProblem `json:"weight_problems"`
	}{File: r.File, Dialect: r.Dialect.String(), Unreadable: r.Unread,
		Keras2: toJSON(r.Verdicts[0]), Keras3: toJSON(r.Verdicts[1]),
		Consistent: r.Unread == "" && len(r.Weights) == 0, Weights: r.Weights}
	if out.Weights == nil {
		out.Weights = []dialect.WeightProblem{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

var severities = map[dialect.Severity]string{dialect.Refuses: "refuses", dialect.Warns: "warning", dialect.Unknown: "unknown"}

func toJSON(v dialect.Verdict) jsonVerdict {
	j := jsonVerdict{Verdict: string(v.State), Findings: []jsonFinding{}}
	for _, f := range v.Findings {
		in := f.In
		if in == nil {
			in = []string{}
		}
		j.Findings = append(j.Findings, jsonFinding{Rule: f.Rule, Severity: severities[f.Severity], Layer: f.Layer, In: in, What: f.What, Fix: f.Fix, FixAvailable: f.FixReady})
	}
	return j
}
