package kerasfile

import (
	"errors"
	"os"
	"strconv"
	"time"

	"github.com/modelsurg/modelsurg/internal/jsonx"
)

// ConfigOptions says what of a source's config.json a new one keeps.
type ConfigOptions struct {
	// Compile is the compile_config to keep (nil: none).
	Compile *jsonx.Value
	// DropBuild removes every build_config: after a surgery they give the
	// old input shapes, and Keras builds each layer from its call instead.
	DropBuild bool
}

// Config returns the config.json of a model whose Keras 3 model_config
// (as an .h5 file stores it, or as config.json does) is cfg: the envelope
// gets Keras's "module" and "registered_name" when it lacks them, which
// Keras needs to load a .keras file.
func Config(cfg []byte, opt ConfigOptions) ([]byte, error) {
	v, err := parseEnvelope(cfg)
	if err != nil {
		return nil, err
	}
	o := v.Obj
	o.Delete("compile_config")
	if opt.DropBuild {
		dropBuild(v, 0)
	}
	class, _ := o.String("class_name")
	out := jsonx.NewObject()
	if m := o.Get("module"); m != nil {
		out.Obj.Set("module", m)
	} else if class == "Sequential" {
		out.Obj.Set("module", jsonx.Str("keras"))
	} else {
		out.Obj.Set("module", jsonx.Str("keras.src.models.functional"))
	}
	out.Obj.Set("class_name", o.Get("class_name"))
	out.Obj.Set("config", o.Get("config"))
	if r := o.Get("registered_name"); r != nil {
		out.Obj.Set("registered_name", r)
	} else if class == "Sequential" {
		out.Obj.Set("registered_name", jsonx.NullV())
	} else {
		out.Obj.Set("registered_name", jsonx.Str(class))
	}
	for i, k := range o.Keys {
		if !out.Obj.Has(k) {
			out.Obj.Set(k, o.Vals[i])
		}
	}
	if opt.Compile != nil {
		out.Obj.Set("compile_config", opt.Compile)
	}
	return jsonx.Marshal(out), nil
}

// ModelConfig returns the model_config an .h5 file stores for config.json
// cfg: the same without compile_config (and build_config, with DropBuild).
func ModelConfig(cfg []byte, noBuild bool) ([]byte, error) {
	v, err := parseEnvelope(cfg)
	if err != nil {
		return nil, err
	}
	v.Obj.Delete("compile_config")
	if noBuild {
		dropBuild(v, 0)
	}
	return jsonx.Marshal(v), nil
}

// CompileConfig returns config.json's compile_config, or nil.
func CompileConfig(cfg []byte) *jsonx.Value {
	v, err := parseEnvelope(cfg)
	if err != nil {
		return nil
	}
	if c := v.Obj.Get("compile_config"); !c.IsNull() {
		return c
	}
	return nil
}

func parseEnvelope(cfg []byte) (*jsonx.Value, error) {
	v, err := jsonx.Parse(cfg)
	if err != nil {
		return nil, err
	}
	if v.Kind != jsonx.Object {
		return nil, errors.New("the model config is not a JSON object")
	}
	return v, nil
}

// dropBuild removes build_config from a serialized object and from every
// layer of its config, nested models included.
func dropBuild(v *jsonx.Value, depth int) {
	if v == nil || v.Kind != jsonx.Object || depth > 64 {
		return
	}
	v.Obj.Delete("build_config")
	cfg := v.Obj.Get("config")
	if cfg == nil || cfg.Kind != jsonx.Object {
		return
	}
	if ls := cfg.Obj.Get("layers"); ls != nil && ls.Kind == jsonx.Array {
		for _, l := range ls.Elems {
			dropBuild(l, depth+1)
		}
	}
	if l := cfg.Obj.Get("layer"); l != nil {
		dropBuild(l, depth+1) // wrappers
	}
}

// DateLayout is metadata.json's date_saved layout.
const DateLayout = "2006-01-02@15:04:05"

// Metadata returns metadata.json as Keras writes it. The date is
// SOURCE_DATE_EPOCH's when set, else from (the input's), else the zip's
// 1980 epoch: never the clock, so that output is deterministic.
func Metadata(version, from string) []byte {
	date := from
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			date = time.Unix(n, 0).UTC().Format(DateLayout)
		}
	}
	if date == "" {
		date = "1980-01-01@00:00:00"
	}
	o := jsonx.NewObject()
	o.Obj.Set("keras_version", jsonx.Str(version))
	o.Obj.Set("date_saved", jsonx.Str(date))
	return jsonx.Marshal(o)
}
