#!/usr/bin/env python3
"""Keras's own view of a Keras .h5 file, in modelsurg's summary JSON schema.

    python tests/interop/keras_report.py FILE [--keras 2|3]

loads FILE with load_model(path, compile=False) in the Keras that wrote it
(Keras 3 = `keras` if the root attribute keras_version starts with "3", else
Keras 2 = `tf_keras`; --keras forces one) and prints

    {"name", "class", "layers": [{"name", "class", "output_shapes", "params",
     "trainable", "inbound"}], "total_params", "trainable_params",
     "non_trainable_params"}

computed from the Keras model object (see report_model for each field). This
is the oracle `modelsurg summary FILE --format json` is compared with.

Weights-only files (root layer_names, no model_config) cannot be turned into a
model by Keras; for them the report is read from the file with h5py
(weights_only_report): layer names in layer_names order, params = sum of the
sizes of the datasets each layer's weight_names lists; every field Keras would
have to compute (class, output_shapes, trainable, inbound, the trainable split)
is null.
"""

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import h5py  # noqa: E402
import numpy as np  # noqa: E402


# --------------------------------------------------------------------------
# Files


def _str(x):
    return x.decode("utf8") if hasattr(x, "decode") else str(x)


def read_chunked_attr(group, name):
    """A Keras list attribute that may be split into name0, name1, ..."""
    if name in group.attrs:
        v = group.attrs[name]
        return [_str(x) for x in np.asarray(v).reshape(-1)] if np.asarray(v).dtype.kind in "OSU" else []
    out, i = [], 0
    while "%s%d" % (name, i) in group.attrs:
        out.extend(_str(x) for x in np.asarray(group.attrs["%s%d" % (name, i)]).reshape(-1))
        i += 1
    return out


def is_weights_only(path):
    with h5py.File(path, "r") as f:
        return "model_config" not in f.attrs and (
            "layer_names" in f.attrs or "layer_names0" in f.attrs
        )


def writer_keras(path):
    """'3' if the file says Keras 3 wrote it, else '2'."""
    with h5py.File(path, "r") as f:
        v = f.attrs.get("keras_version")
        if v is None and "model_weights" in f:
            v = f["model_weights"].attrs.get("keras_version")
    return "3" if v is not None and _str(v).startswith("3") else "2"


def other_keras(k):
    return "2" if str(k) == "3" else "3"


# --------------------------------------------------------------------------
# Keras


def keras_module(k):
    import warnings

    warnings.filterwarnings("ignore")
    if str(k) == "3":
        import keras

        return keras
    import tf_keras

    return tf_keras


def load(path, k=None):
    """load_model(path, compile=False) in Keras k (default: the writer's).
    Keras 3 needs safe_mode=False for Lambda layers (marshalled bytecode)."""
    k = str(k or writer_keras(path))
    K = keras_module(k)
    if k == "3":
        return K.models.load_model(path, compile=False, safe_mode=False)
    return K.models.load_model(path, compile=False)


def leaves(model, prefix=""):
    """(path, layer) of every layer holding no sublayers, at any depth: the
    layers of nested models under "outer/inner" paths."""
    out = []
    for l in model.layers:
        if hasattr(l, "layers") and l.__class__.__name__ in ("Functional", "Sequential", "Model"):
            out += leaves(l, prefix + l.name + "/")
        else:
            out.append((prefix + l.name, l))
    return out


def _is_k3(model):
    return type(model).__module__.startswith("keras.")


def _network_node_keys(model):
    """Keys of the nodes that belong to this model, and the key function.

    tf-keras: model._network_nodes holds layer.name + "_ib-" + str(i)
    (tf_keras/src/engine/functional.py _make_node_key). Keras 3: the
    Functional's _nodes holds f"{id(op)}_ib-{i}" (keras/src/ops/function.py
    make_node_key); a Sequential delegates to its inner _functional.
    i is the index in layer._inbound_nodes."""
    if _is_k3(model):
        fn = getattr(model, "_functional", None) or model
        nodes = getattr(fn, "_nodes", None)
        return nodes, (lambda layer, i: "%d_ib-%d" % (id(layer), i))
    return getattr(model, "_network_nodes", None), (lambda layer, i: "%s_ib-%d" % (layer.name, i))


def _shape(s):
    return [None if d is None else int(d) for d in tuple(s)]


def _flat(x):
    import tensorflow as tf

    return tf.nest.flatten(x)


def report_model(model):
    """The summary-JSON dict of a loaded Keras model.

    - layers: model.layers in order. Functional models list their InputLayers
      (both Kerases); Sequential models do not.
    - output_shapes: shapes of the output tensors of the layer's first node
      that belongs to this model (None dims -> null); null if it has none.
    - params: layer.count_params(); trainable: layer.trainable.
    - inbound: for every node of the layer that belongs to the model, in node
      order, each input tensor as "layer[node_index][tensor_index]", exactly the
      strings of Keras's summary "Connected to" column (tf-keras
      Node.iterate_inbound, Keras 3 KerasTensor._keras_history). In-memory node
      indices are what Keras prints: a nested Functional's first call is node 0
      in both Kerases (tf-keras *files* store it as 1, see conftest notes).
      Sequential models: [] for every layer (Keras's summary has no
      "Connected to" column for them).
    - totals: count_params of model.trainable_weights / non_trainable_weights
      (what model.summary() prints, without optimizer variables).
    """
    k3 = _is_k3(model)
    cls = type(model).__name__
    sequential = cls == "Sequential"
    keys, key = _network_node_keys(model)
    layers = []
    for layer in model.layers:
        nodes = [
            (i, n)
            for i, n in enumerate(layer._inbound_nodes)
            if keys is None or key(layer, i) in keys
        ]
        shapes = None
        if nodes:
            n = nodes[0][1]
            outs = n.output_tensors if k3 else n.outputs
            shapes = [_shape(t.shape) for t in _flat(outs)]
        inbound = []
        if not sequential:
            for _, n in nodes:
                if k3:
                    for kt in n.input_tensors:
                        h = kt._keras_history
                        inbound.append("%s[%d][%d]" % (h.operation.name, h.node_index, h.tensor_index))
                else:
                    for lyr, ni, ti, _t in n.iterate_inbound():
                        inbound.append("%s[%d][%d]" % (lyr.name, ni, ti))
        layers.append(
            {
                "name": layer.name,
                "class": type(layer).__name__,
                "output_shapes": shapes,
                "params": int(layer.count_params()),
                "trainable": bool(layer.trainable),
                "inbound": inbound,
            }
        )
    if k3:
        from keras.src.utils.summary_utils import count_params
    else:
        from tf_keras.src.utils.layer_utils import count_params
    tw = model._collected_trainable_weights if hasattr(model, "_collected_trainable_weights") else model.trainable_weights
    trainable = int(count_params(tw))
    non_trainable = int(count_params(model.non_trainable_weights))
    return {
        "name": model.name,
        "class": cls,
        "layers": layers,
        "total_params": trainable + non_trainable,
        "trainable_params": trainable,
        "non_trainable_params": non_trainable,
    }


def weights_only_report(path):
    """Report for a weights-only file, read with h5py (no Keras model exists)."""
    layers = []
    with h5py.File(path, "r") as f:
        for name in read_chunked_attr(f, "layer_names"):
            g = f[name]
            params = 0
            for wn in read_chunked_attr(g, "weight_names"):
                params += int(np.prod(g[wn].shape, dtype=np.int64))
            layers.append(
                {"name": name, "class": None, "output_shapes": None, "params": params,
                 "trainable": None, "inbound": None}
            )
    total = sum(x["params"] for x in layers)
    return {
        "name": None,
        "class": None,
        "layers": layers,
        "total_params": total,
        "trainable_params": None,
        "non_trainable_params": None,
    }


def report(path, k=None):
    if is_weights_only(path):
        return weights_only_report(path)
    return report_model(load(path, k))


def main(argv=None):
    ap = argparse.ArgumentParser(description="Print Keras's summary JSON for a Keras .h5 file.")
    ap.add_argument("file")
    ap.add_argument("--keras", choices=["2", "3"], help="Keras to load with (default: the writer's)")
    a = ap.parse_args(argv)
    json.dump(report(a.file, a.keras), sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
