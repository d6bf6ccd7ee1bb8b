#!/usr/bin/env python3
"""Write the weight manifests of the Keras-made fixtures, for Go tests without cgo.

A manifest lists one fixture's saved weights exactly as the .h5 holds them:
the layer_names order and, per layer group, the weight_names with each
dataset's shape and dtype. internal/modeltest attaches them to the parsed
model_config, so that tests of internal/surgery and internal/summary run with
CGO_ENABLED=0, on in-memory models, without opening HDF5.

The weights' values are not stored: tests that need numbers read a
documented ramp (element i, in C order, of every weight is float32(i)).

Needs only h5py (no Keras). Run from the repository root:

    .venv/bin/python testdata/gen_manifests.py

It writes, for each testdata/configs/{k2,k3}/NAME.json whose NAME.h5 exists
(but those in SKIP), testdata/weights/DIALECT/NAME.json (not next to the
configs: the Go config tests and fuzz seeds read every testdata/configs/*/*.json
as a model_config), and
testdata/weights/bad/NAME.json for the bad-input cases in BAD, which have
no configs file: those manifests also carry the model_config. The output
is deterministic. This is test tooling only: modelsurg never runs Python.
"""

import glob
import json
import os
import sys

import h5py

ROOT = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(ROOT, "weights")
# Cases of testdata/bad/ that the surgery tests load (valid models that a
# surgery must refuse).
BAD = ["custom_layer", "lambda_on_path"]
# Fixtures whose point is HDF5 attribute chunking (7,500-character names):
# meaningless in memory, and most of the manifests' size; h5model tests them.
SKIP = {"chunked", "chunked_weights"}
VALUES = "not stored: element i (C order) of every weight reads as float32(i)"


def text(v):
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


def chunked(attrs, name):
    """A list attribute that Keras may split into NAME0, NAME1, ...; a
    missing one or an empty numeric array (no weights) is empty."""
    if name in attrs:
        parts = [attrs[name]]
    else:
        parts, i = [], 0
        while "%s%d" % (name, i) in attrs:
            parts.append(attrs["%s%d" % (name, i)])
            i += 1
    out = []
    for p in parts:
        out.extend(text(v) for v in p if isinstance(v, (bytes, str)))
    return out


def manifest(path, with_config):
    """The manifest of one .h5 file, as a dict in output order."""
    with h5py.File(path, "r") as f:
        if "model_config" not in f.attrs or "model_weights" not in f:
            sys.exit("%s: no model_config or model_weights" % path)
        root = f["model_weights"]
        doc = {
            "source": os.path.relpath(path, ROOT),
            "keras_version": text(f.attrs.get("keras_version", "")),
            "values": VALUES,
        }
        if with_config:
            doc["model_config"] = text(f.attrs["model_config"])
        layers = []
        for name in chunked(root.attrs, "layer_names"):
            g = root[name]
            ws = []
            for wn in chunked(g.attrs, "weight_names"):
                d = g[wn]
                ws.append({"name": wn, "shape": list(d.shape), "dtype": d.dtype.name})
            layers.append({"name": name, "weights": ws})
        doc["layers"] = layers
    return doc


def j(v):
    return json.dumps(v, ensure_ascii=False)


def dump(doc):
    """JSON with one line per weight, for readable diffs."""
    lines = ["{"]
    for k, v in doc.items():
        if k != "layers":
            lines.append("  %s: %s," % (j(k), j(v)))
    lines.append('  "layers": [')
    for i, layer in enumerate(doc["layers"]):
        end = "," if i < len(doc["layers"]) - 1 else ""
        if not layer["weights"]:
            lines.append('    {"name": %s, "weights": []}%s' % (j(layer["name"]), end))
            continue
        lines.append('    {"name": %s, "weights": [' % j(layer["name"]))
        for k, w in enumerate(layer["weights"]):
            lines.append("      %s%s" % (j(w), "," if k < len(layer["weights"]) - 1 else ""))
        lines.append("    ]}%s" % end)
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write(dialect, name, doc):
    out = os.path.join(OUT, dialect, name + ".json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(dump(doc))
    return out


def main():
    want = set()
    for dialect in ("k2", "k3"):
        for cfg in sorted(glob.glob(os.path.join(ROOT, "configs", dialect, "*.json"))):
            name = os.path.basename(cfg)[: -len(".json")]
            h5 = os.path.join(ROOT, dialect, name + ".h5")
            if name not in SKIP and os.path.exists(h5):
                want.add(write(dialect, name, manifest(h5, False)))
    for name in BAD:
        want.add(write("bad", name, manifest(os.path.join(ROOT, "bad", name + ".h5"), True)))
    for old in glob.glob(os.path.join(OUT, "*", "*.json")):
        if old not in want:
            os.remove(old)
    print("wrote %d manifests under %s" % (len(want), os.path.relpath(OUT)))


if __name__ == "__main__":
    main()
