#!/usr/bin/env python3
"""Generate the Keras HDF5 fixtures under testdata/.

Written for (and refusing to run with anything else):
    Python 3.11, tensorflow(-cpu) 2.21.0, tf-keras 2.21.0, keras 3.15.1,
    h5py 3.14.0, numpy 2.4.6 (the pins in requirements-test.txt).
Python's minor version matters because a Lambda layer stores marshalled
bytecode: lambda.h5 only loads under the Python minor version that wrote it.

Run from the repository root:  .venv/bin/python testdata/gen_fixtures.py
(`make fixtures` does exactly that). It writes

    testdata/k2/NAME.h5                 written by Keras 2 (tf_keras), model.save
    testdata/k3/NAME.h5                 written by Keras 3 (keras), model.save
    testdata/golden/{k2,k3}/NAME.summary.txt
                                        Keras's own model.summary() of the
                                        file reloaded with load_model(compile=False)
    testdata/configs/{k2,k3}/NAME.json  the model_config as stored (Go tests, fuzz seeds)
    testdata/FIXTURES.md                the fixture table, with cross-load and
                                        prediction results measured here

Both Kerases run in this one process (both on the TensorFlow backend).
Every layer and model is named explicitly, so names do not depend on Keras's
global name counters, and every model is built right after a fixed seed.
This is test tooling only: modelsurg itself never runs Python.
"""

import io
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
# Keras 3 sizes its summary table by the terminal: pin it so that the golden
# summaries use Keras's default widths (88 / 108) whatever the terminal is.
os.environ["COLUMNS"] = "200"
os.environ["LINES"] = "50"

import warnings  # noqa: E402

warnings.filterwarnings("ignore")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402
import keras  # noqa: E402
from keras.src.legacy.saving import legacy_h5_format  # noqa: E402

WANT = {
    "python": "3.11",
    "tensorflow": "2.21.0",
    "tf_keras": "2.21.0",
    "keras": "3.15.1",
    "h5py": "3.14.0",
    "numpy": "2.4.6",
}
HAVE = {
    "python": "%d.%d" % sys.version_info[:2],
    "tensorflow": tf.__version__,
    "tf_keras": tf_keras.__version__,
    "keras": keras.__version__,
    "h5py": h5py.__version__,
    "numpy": np.__version__,
}
assert HAVE == WANT, "gen_fixtures.py was written for %s, running %s" % (WANT, HAVE)
assert keras.backend.backend() == "tensorflow", keras.backend.backend()

TESTDATA = os.path.dirname(os.path.abspath(__file__))
SEED = 1234
# HDF5_OBJECT_HEADER_LIMIT in both Keras writers: an attribute list whose
# numpy size (n * maxlen) exceeds it is split into NAME0, NAME1, ...
CHUNK_LIMIT = 64512
DIALECTS = {"k2": tf_keras, "k3": keras}


# --------------------------------------------------------------------------
# Model builders. Each takes the Keras module (tf_keras or keras) and returns
# a model; the API used is common to both.


def build_sequential_cnn(K):
    L = K.layers
    return K.Sequential(
        [
            K.Input((8, 8, 3), name="image"),
            L.Conv2D(4, 3, padding="same", activation="relu", name="conv"),
            L.MaxPooling2D(2, name="pool"),
            L.Flatten(name="flatten"),
            L.Dense(5, activation="softmax", name="dense"),
        ],
        name="sequential_cnn",
    )


def build_branches(K):
    L = K.layers
    x = K.Input((8, 8, 3), name="image")
    a = L.Conv2D(4, 3, padding="same", name="branch_a")(x)
    b = L.Conv2D(4, 1, name="branch_b")(x)
    c = L.Conv2D(2, 1, name="branch_c")(x)
    s = L.Add(name="add")([a, b])
    s = L.Activation("relu", name="relu")(s)
    m = L.Concatenate(axis=-1, name="concat")([s, c, x])
    p = L.GlobalAveragePooling2D(name="gap")(m)
    y = L.Dense(3, name="logits")(p)
    return K.Model(x, y, name="branches")


def build_shared(K):
    # One Dense called three times: on each input, then on its own output.
    # Its nodes are numbered 0, 1, 2 in the model.
    L = K.layers
    a = K.Input((6,), name="in_a")
    b = K.Input((6,), name="in_b")
    shared = L.Dense(6, activation="tanh", name="shared_dense")
    ya = shared(a)
    yb = shared(b)
    yc = shared(ya)
    m = L.Concatenate(name="concat")([ya, yb, yc])
    y = L.Dense(2, name="out")(m)
    return K.Model([a, b], y, name="shared")


def build_nested(K):
    # A Functional model (with a BatchNormalization, so its stored weights are
    # trainable-then-non-trainable across sublayers) used as a layer, twice.
    L = K.layers
    i = K.Input((6,), name="inner_in")
    h = L.BatchNormalization(name="inner_bn_a")(i)
    h = L.Dense(6, activation="relu", name="inner_dense")(h)
    h = L.BatchNormalization(name="inner_bn_b")(h)
    inner = K.Model(i, h, name="inner")
    x = K.Input((6,), name="outer_in")
    y = L.Dense(6, name="pre")(x)
    y1 = inner(y)
    y2 = inner(y1)
    y = L.Add(name="add")([y, y1, y2])
    y = L.Dense(3, name="post")(y)
    return K.Model(x, y, name="nested")


def build_nested_sequential(K):
    # A Sequential model (built with an Input) used as a layer of a Functional one.
    L = K.layers
    block = K.Sequential(
        [
            K.Input((6,), name="block_in"),
            L.Dense(5, activation="relu", name="block_dense_a"),
            L.BatchNormalization(name="block_bn"),
            L.Dense(4, name="block_dense_b"),
        ],
        name="block",
    )
    x = K.Input((6,), name="outer_in")
    h = L.Dense(6, name="pre")(x)
    y = block(h)
    z = L.Dense(4, name="skip")(x)
    y = L.Add(name="add")([y, z])
    y = L.Dense(2, name="post")(y)
    return K.Model(x, y, name="nested_sequential")


def build_multi_io(K):
    L = K.layers
    img = K.Input((8, 8, 1), name="img")
    vec = K.Input((4,), name="vec")
    h = L.Conv2D(3, 3, name="conv")(img)
    h = L.Flatten(name="flatten")(h)
    v = L.Dense(4, activation="relu", name="vec_dense")(vec)
    j = L.Concatenate(name="join")([h, v])
    cls = L.Dense(3, activation="softmax", name="class_out")(j)
    reg = L.Dense(1, name="reg_out")(j)
    return K.Model([img, vec], [cls, reg], name="multi_io")


def build_layers_mix(K):
    L = K.layers
    x = K.Input((8, 8, 3), name="image")
    h = L.BatchNormalization(name="bn")(x)
    h = L.DepthwiseConv2D(3, depth_multiplier=2, padding="same", name="depthwise")(h)
    h = L.SeparableConv2D(4, 3, padding="same", name="separable")(h)
    h = L.Permute((3, 1, 2), name="to_channels_first")(h)
    h = L.Conv2D(3, 3, data_format="channels_first", name="conv_cf")(h)
    h = L.Flatten(name="flatten")(h)
    y = L.Dense(2, name="dense")(h)
    return K.Model(x, y, name="layers_mix")


def build_lambda(K):
    L = K.layers
    x = K.Input((5,), name="x")
    h = L.Dense(4, name="dense")(x)
    h = L.Lambda(lambda t: t * 2.0 + 1.0, name="affine_lambda")(h)
    y = L.Dense(2, name="out")(h)
    return K.Model(x, y, name="lambda_model")


def build_optimizer(K):
    L = K.layers
    x = K.Input((5,), name="x")
    h = L.Dense(4, activation="relu", name="hidden")(x)
    y = L.Dense(2, name="out")(h)
    m = K.Model(x, y, name="optimizer_model")
    m.compile(optimizer=K.optimizers.Adam(learning_rate=1e-3), loss="mse", metrics=["mae"])
    rng = np.random.default_rng(SEED)
    m.train_on_batch(
        rng.standard_normal((4, 5)).astype("float32"),
        rng.standard_normal((4, 2)).astype("float32"),
    )
    return m


# Chunking is decided on the fixed-length numpy size n * maxlen of the list,
# so one long name among a few short ones is enough. The chunked attribute
# itself costs n * maxlen (> 64512) bytes, each layer ~2.5 KB of HDF5 group
# headers: few layers with one very long name keep the files small.
CHUNK_TOP_LAYERS = 7  # + Input + long-named Dense = 9 names
CHUNK_TOP_LONG = 7500  # 9 * 7500 = 67500 > 64512 -> layer_names0, layer_names1
CHUNK_INNER_LAYERS = 4  # + 1 long-named Dense = 5 layers, 10 weight names
CHUNK_INNER_LONG = 6600  # 10 * (6600 + len("/kernel:0")) > 64512 -> weight_names0, 1


def _long_name(prefix, n):
    return prefix + "_" + "x" * (n - len(prefix) - 1)


def build_chunked(K):
    # model_weights/@layer_names is chunked: layer_names0, layer_names1.
    L = K.layers
    x = K.Input((3,), name="x")
    h = x
    for i in range(CHUNK_TOP_LAYERS):
        h = L.Dense(2, name="d%02d" % i)(h)
    y = L.Dense(2, name=_long_name("long", CHUNK_TOP_LONG))(h)
    return K.Model(x, y, name="chunked")


def build_chunked_weights(K):
    # The nested model's model_weights/block/@weight_names is chunked:
    # weight_names0, weight_names1 (it lists the weights of all its sublayers).
    L = K.layers
    bi = K.Input((2,), name="block_in")
    b = bi
    for i in range(CHUNK_INNER_LAYERS):
        b = L.Dense(2, name="b%02d" % i)(b)
    b = L.Dense(2, name=_long_name("long", CHUNK_INNER_LONG))(b)
    block = K.Model(bi, b, name="block")
    x = K.Input((3,), name="x")
    h = L.Dense(2, name="pre")(x)
    y = block(h)
    return K.Model(x, y, name="chunked_weights")


def build_weights_only(K):
    # A miniature keras.applications-style network (conv/bn/relu blocks with a
    # residual Add); only its weights are written (see save_weights_only).
    L = K.layers
    x = K.Input((16, 16, 3), name="input_1")
    h = L.ZeroPadding2D(1, name="conv1_pad")(x)
    h = L.Conv2D(4, 3, strides=2, name="conv1_conv")(h)
    h = L.BatchNormalization(epsilon=1.001e-5, name="conv1_bn")(h)
    h = L.Activation("relu", name="conv1_relu")(h)
    r = L.Conv2D(4, 3, padding="same", name="block1_1_conv")(h)
    r = L.BatchNormalization(epsilon=1.001e-5, name="block1_1_bn")(r)
    r = L.Activation("relu", name="block1_1_relu")(r)
    h = L.Add(name="block1_add")([h, r])
    h = L.GlobalAveragePooling2D(name="avg_pool")(h)
    y = L.Dense(5, activation="softmax", name="predictions")(h)
    return K.Model(x, y, name="mini_app")


# name -> (builder, what it exercises)
FIXTURES = {
    "sequential_cnn": (build_sequential_cnn, "Sequential CNN: Input, Conv2D, MaxPooling2D, Flatten, Dense"),
    "branches": (build_branches, "Functional DAG: three branches merged by Add and Concatenate"),
    "shared": (build_shared, "two inputs; one Dense called three times (nodes 0, 1, 2)"),
    "nested": (
        build_nested,
        "Functional model (with 2 BatchNormalization) used as a layer, called twice",
    ),
    "nested_sequential": (build_nested_sequential, "Sequential model used as a layer inside a Functional model"),
    "multi_io": (build_multi_io, "two inputs, two outputs"),
    "layers_mix": (
        build_layers_mix,
        "BatchNormalization, DepthwiseConv2D, SeparableConv2D, Permute, Conv2D data_format=channels_first",
    ),
    "lambda": (build_lambda, "Lambda layer holding a Python lambda (marshalled bytecode)"),
    "optimizer": (
        build_optimizer,
        "compiled with Adam, trained one step, saved with optimizer: training_config + optimizer_weights",
    ),
    "chunked": (
        build_chunked,
        "one 7500-char layer name among 9: model_weights/@layer_names0, @layer_names1",
    ),
    "chunked_weights": (
        build_chunked_weights,
        "nested model with a 6600-char sublayer name: model_weights/block/@weight_names0, @weight_names1",
    ),
    "weights_only": (
        build_weights_only,
        "weights-only file, keras.applications layout: root layer_names, no model_config",
    ),
}
WEIGHTS_ONLY = {"weights_only"}


# --------------------------------------------------------------------------


def reset(K):
    K.backend.clear_session()
    K.utils.set_random_seed(SEED)


def save_weights_only(K, model, path):
    if K is tf_keras:
        model.save_weights(path)  # .h5 suffix -> HDF5 weights at the file root
    else:
        # Keras 3 routes *.weights.h5 to its new format; its legacy writer makes
        # the keras.applications layout.
        assert not path.endswith(".weights.h5")
        with h5py.File(path, "w") as f:
            legacy_h5_format.save_weights_to_hdf5_group(f, model)


def load(K, path):
    """load_model(compile=False) in the given Keras (safe_mode off for Lambda)."""
    if K is keras:
        return keras.models.load_model(path, compile=False, safe_mode=False)
    return tf_keras.models.load_model(path, compile=False)


def summary_text(K, model):
    lines = []
    model.summary(print_fn=lambda s, **kw: lines.append(s))
    text = "\n".join(lines)
    if not text.endswith("\n"):
        text += "\n"
    return text


def batch_for(model, seed=SEED):
    rng = np.random.default_rng(seed)
    xs = []
    for t in model.inputs:
        shape = [2] + [d if d is not None else 8 for d in tuple(t.shape)[1:]]
        xs.append(rng.standard_normal(shape).astype("float32"))
    return xs


def try_predict(model):
    """(outputs or None, why)"""
    try:
        ys = model(batch_for(model), training=False)
        return [np.asarray(y) for y in tf.nest.flatten(ys)], ""
    except Exception as e:  # noqa: BLE001
        return None, "%s: %s" % (type(e).__name__, _first_line(e))


def max_abs_diff(a, b):
    return max(float(np.max(np.abs(x.astype("float64") - y.astype("float64")))) for x, y in zip(a, b))


def verify(dialect, name, path):
    """Structural checks that the fixture exercises what it claims to."""
    with h5py.File(path, "r") as f:
        if name in WEIGHTS_ONLY:
            assert "model_config" not in f.attrs, path
            assert "layer_names" in f.attrs, path
            assert "model_weights" not in f, path
        else:
            assert "model_config" in f.attrs and "model_weights" in f, path
        if name == "optimizer":
            assert "training_config" in f.attrs, path
            assert "optimizer_weights" in f, path
        else:
            assert "optimizer_weights" not in f, path
        if name == "chunked":
            mw = f["model_weights"]
            assert "layer_names" not in mw.attrs, list(mw.attrs)
            assert "layer_names0" in mw.attrs and "layer_names1" in mw.attrs, list(mw.attrs)
        if name == "chunked_weights":
            blk = f["model_weights"]["block"]
            assert "weight_names" not in blk.attrs, list(blk.attrs)
            assert "weight_names0" in blk.attrs and "weight_names1" in blk.attrs, list(blk.attrs)


def write_config(dialect, name, path):
    """testdata/configs/DIALECT/NAME.json: the file's model_config as stored,
    the seed corpus of the Go config tests and fuzz target."""
    import h5py

    with h5py.File(path, "r") as f:
        cfg = f.attrs.get("model_config")
    out = os.path.join(TESTDATA, "configs", dialect, name + ".json")
    if cfg is None:
        if os.path.exists(out):
            os.remove(out)
        return
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "wb") as fh:
        fh.write(cfg if isinstance(cfg, bytes) else cfg.encode("utf-8"))


def main():
    t0 = time.time()
    rows = {}
    models = {}
    for dialect, K in DIALECTS.items():
        os.makedirs(os.path.join(TESTDATA, dialect), exist_ok=True)
        os.makedirs(os.path.join(TESTDATA, "golden", dialect), exist_ok=True)
        for name, (builder, _) in FIXTURES.items():
            reset(K)
            model = builder(K)
            path = os.path.join(TESTDATA, dialect, name + ".h5")
            if os.path.exists(path):
                os.remove(path)
            if name in WEIGHTS_ONLY:
                save_weights_only(K, model, path)
            else:
                model.save(path)
            verify(dialect, name, path)
            write_config(dialect, name, path)
            print("wrote %-28s %7d bytes" % (os.path.relpath(path, TESTDATA), os.path.getsize(path)))
            models[(dialect, name)] = model

    # Golden summaries, cross-loading and prediction, measured on the written files.
    for dialect in DIALECTS:
        other = "k3" if dialect == "k2" else "k2"
        for name, (_, what) in FIXTURES.items():
            path = os.path.join(TESTDATA, dialect, name + ".h5")
            row = {"what": what, "size": os.path.getsize(path)}
            if name in WEIGHTS_ONLY:
                row.update(native=_cross_weights(dialect, dialect, name, models),
                           cross=_cross_weights(other, dialect, name, models), predict="n/a")
                rows[(dialect, name)] = row
                continue
            K = DIALECTS[dialect]
            m = load(K, path)
            golden = os.path.join(TESTDATA, "golden", dialect, name + ".summary.txt")
            with open(golden, "w") as fh:
                fh.write(summary_text(K, m))
            ys, why = try_predict(m)
            row["native"] = "yes"
            row["predict"] = "yes" if ys is not None else "**skipped**: " + why
            try:
                mo = load(DIALECTS[other], path)
            except Exception as e:  # noqa: BLE001
                row["cross"] = "no: %s: %s" % (type(e).__name__, _first_line(e))
            else:
                ys2, why2 = try_predict(mo)
                if ys2 is None:
                    row["cross"] = "yes (predict fails: %s)" % why2
                elif ys is not None:
                    row["cross"] = "yes (predictions within %.1e of the writer's)" % max_abs_diff(ys, ys2)
                else:
                    row["cross"] = "yes"
            rows[(dialect, name)] = row
            print("checked %s/%s: predict=%s cross=%s" % (dialect, name, row["predict"][:40], row["cross"][:60]))

    write_fixtures_md(rows)
    total = sum(r["size"] for r in rows.values())
    print("total fixture size %d bytes; %.1f s" % (total, time.time() - t0))
    assert total < 3 * 1024 * 1024, total


def _first_line(e):
    """The root cause of a Keras error, shortened for a table cell."""
    s = str(e).strip()
    if "Exception encountered: " in s:  # "Error when deserializing class ..."
        s = s.rsplit("Exception encountered: ", 1)[1]
    s = (s.splitlines() or [""])[0]
    if len(s) > 150:
        s = s[:150] + "..."
    return s.replace("|", "\\|")


def _cross_weights(other, dialect, name, models):
    """Can the other Keras load_weights() this weights-only file into its own
    build of the same architecture?"""
    K = DIALECTS[other]
    path = os.path.join(TESTDATA, dialect, name + ".h5")
    try:
        reset(K)
        m = FIXTURES[name][0](K)
        m.load_weights(path)
        src = models[(dialect, name)]
        same = all(np.array_equal(a, b) for a, b in zip(src.get_weights(), m.get_weights()))
        return "yes (load_weights into %s build%s)" % (
            "its own" if other == dialect else "the other Keras's", "" if same else "; WEIGHTS DIFFER")
    except Exception as e:  # noqa: BLE001
        return "no: %s: %s" % (type(e).__name__, _first_line(e))


NOTES = """
## Notes (observed with these versions; the table above is re-measured on every run)

- Keras 2 (tf_keras) loads no Keras 3 `.h5`: Keras 3 writes `InputLayer` configs with `batch_shape`
  (and `optional`), which tf_keras rejects.
- Keras 3 loads tf_keras files except (a) a nested Functional/Sequential model whose output feeds
  another layer: tf_keras stores inbound references to a nested model with node index + 1
  (`["inner", 1, 0]` for its first call) and Keras 3 does not undo that ("Invalid Functional model
  configuration"); a nested model whose output is only a model output (`chunked_weights`) loads;
  (b) `DepthwiseConv2D` (tf_keras writes `groups`, Keras 3 rejects it: also MobileNetV2 and
  EfficientNetB0); (c) layer names containing `/` (tf_keras DenseNet121 `conv1/conv`).
- In memory both Kerases number a nested model's first call node 0: `model.summary()` prints
  `inner[0][0]` for tf_keras files too, so the +1 exists only in tf_keras files.
- `layers_mix`: TF 2.21 on CPU runs the `channels_first` Conv2D in both Kerases, so no fixture skips
  prediction (`PREDICT_SKIP` is empty).
- Dataset paths: tf_keras `model_weights/L/L/kernel:0`; Keras 3 `model_weights/L/L/kernel`, but a
  Keras 3 Sequential model prefixes its name: `model_weights/conv/sequential_cnn/conv/kernel`, and a
  nested Keras 3 Sequential `block` stores `model_weights/block/block/block_bn/beta`. A tf_keras
  layer named `conv1/conv` is the group `model_weights/conv1/conv` (an intermediate `conv1` group).
"""


def write_fixtures_md(rows):
    out = io.StringIO()
    w = out.write
    w("# Test fixtures\n\n")
    w("Generated by `testdata/gen_fixtures.py` (`make fixtures`); do not edit by hand: the table below\n")
    w("is rewritten by the generator, which measures the cross-load and prediction columns itself.\n\n")
    w("Versions: %s.\n\n" % ", ".join("%s %s" % kv for kv in WANT.items()))
    w("- `k2/NAME.h5`: written by Keras 2 (`tf_keras`, `model.save(path)` with `.h5` suffix).\n")
    w("- `k3/NAME.h5`: written by Keras 3 (`keras`, `model.save(path)`, i.e. its legacy HDF5 writer).\n")
    w("- `golden/{k2,k3}/NAME.summary.txt`: the writing Keras's own `model.summary()` of the file reloaded with\n")
    w("  `load_model(compile=False)` (default line widths: tf-keras 65/98, Keras 3 88/108 columns).\n")
    w("  Weights-only files have none (Keras cannot build a model from them).\n")
    w("- *native*: the writing Keras loads it with `load_model(compile=False)`.\n")
    w("  *other Keras*: whether the other Keras loads it (`load_model(compile=False)`, Keras 3 with\n")
    w("  `safe_mode=False`; for weights-only files: `load_weights` into the other Keras's build of the\n")
    w("  same architecture). *predict*: whether the writing Keras can run `predict` on it on this CPU-only\n")
    w("  TensorFlow; the interop suite skips the prediction check where this says skipped\n")
    w("  (`PREDICT_SKIP` in `tests/interop/conftest.py`).\n")
    w("- `lambda.h5` stores Python 3.11 bytecode: it only loads under Python 3.11.\n\n")
    w("| file | writer | exercises | bytes | native | other Keras loads it | predict |\n")
    w("|---|---|---|---:|---|---|---|\n")
    for (dialect, name), r in sorted(rows.items(), key=lambda kv: (list(FIXTURES).index(kv[0][1]), kv[0][0])):
        writer = "Keras 2 (tf_keras %s)" % WANT["tf_keras"] if dialect == "k2" else "Keras 3 (keras %s)" % WANT["keras"]
        w("| `%s/%s.h5` | %s | %s | %d | %s | %s | %s |\n" % (
            dialect, name, writer, r["what"], r["size"], r["native"], r["cross"], r["predict"]))
    total = sum(r["size"] for r in rows.values())
    w("\nTotal: %d bytes.\n" % total)
    w(NOTES)
    with open(os.path.join(TESTDATA, "FIXTURES.md"), "w") as fh:
        fh.write(out.getvalue())


if __name__ == "__main__":
    main()
