package h5model

import (
	"github.com/modelsurg/modelsurg/internal/kerasfile"
	"github.com/modelsurg/modelsurg/internal/model"
)

// saveFromKeras3 writes m, read from a .keras archive, as a Keras 3 .h5
// file: the legacy layout Keras 3's model.save("x.h5") writes, its
// model_config config.json without compile_config (after a surgery, also
// without the build_configs, which give the old shapes). compile_config
// is not converted to a training_config: it is dropped.
func saveFromKeras3(tmp string, src *File, m *model.Model, opt SaveOptions) error {
	cfg := src.keras3.config
	if m != src.Model {
		cfg = model.Marshal(m)
	}
	mc, err := kerasfile.ModelConfig(cfg, m != src.Model)
	if err != nil {
		return err
	}
	return withCopier(tmp, func(out hid, c *copier) error {
		version := src.keras3.kerasVersion
		if opt.KerasVersion != "" {
			version = opt.KerasVersion
		}
		if version == "" {
			version = "3"
		}
		if err := writeStr(out, "keras_version", version, true); err != nil {
			return err
		}
		if err := writeStr(out, "backend", "tensorflow", true); err != nil {
			return err
		}
		if err := writeStr(out, "model_config", string(mc), false); err != nil {
			return err
		}
		wg, err := createGroup(out, "model_weights")
		if err != nil {
			return err
		}
		defer closeGroup(wg)
		names, groups, err := savedLayers(src, m)
		if err != nil {
			return err
		}
		if err := writeList(wg, "layer_names", names); err != nil {
			return err
		}
		if err := writeStr(wg, "backend", "tensorflow", false); err != nil {
			return err
		}
		if err := writeStr(wg, "keras_version", version, false); err != nil {
			return err
		}
		for _, name := range names {
			if err := writeGroup(wg, c, name, groups[name]); err != nil {
				return err
			}
		}
		return writeGroup(wg, c, "top_level_model_weights", nil)
	})
}
