"""Real users' .h5 files through modelsurg, against Keras and the files themselves.

The corpus is ../shared/realworld/ relative to the repository root (files
committed to public repositories by their authors, Keras 1.2 to 3.13, listed
with kind and keras_version in SOURCES.tsv); it is never copied into this
repository, and the module is skipped only when it is absent (CI has it).

The oracle is the Keras of the file's dialect: tf_keras unless keras_version
starts with "3", then Keras 3 (load_model(compile=False), safe_mode=False in
Keras 3), each source loaded once per session. Where it cannot load the file
(Keras 1 configs, QKeras/hls4ml custom layers, Lambda bytecode from another
Python) the checks are at the HDF5 level (h5py) and against the file's own
weights (a layer's params = the sizes of its datasets).

Per file (ids are the file names; a verdict table is printed at the end):
- test_summary: `summary --format json` exits 0 and equals Keras's report
  (test_summary.compare: layers, shapes, params, trainable, connections,
  totals; null shapes only for Lambda layers and what they feed); without
  Keras, the layers are the file's layer_names with its datasets' sizes.
- test_strip: exit 0, source unchanged, model_config and every root and
  weights-root attribute byte-identical, the same groups, every dataset bit
  for bit, no optimizer_weights; Keras predicts bit-identically on it.
- test_replace_head (single-output full models): `--classes 3` exits 0;
  every source layer is kept or reported removed; kept layers' datasets are
  bit-identical; Keras loads the output, predicts (batch, 3) finite values,
  finds the source's weights in the kept layers, and re-saving it writes the
  same layers and weights (Keras 3 operations of the source aside).
- test_not_keras_refused: the non-Keras HDF5 file (kind "other"): summary
  and strip exit 1 with one line naming the file.
test_layout: Keras-made models with layouts no shared file has (tf_keras
names holding "/", as MobileNetV3Large(minimalistic=True) has "Conv" and
"Conv/BatchNorm"; Keras 3 operations on constants): each command's output
has exactly the model_weights tree Keras writes for the same model.
"""

import contextlib
import csv
import json
import os
import re
from dataclasses import dataclass

import h5py
import numpy as np
import pytest

import keras_report
from conftest import BATCH, NONE_DIM, REPO, LoadError, root_cause, run_modelsurg, sha256, timed
from test_roundtrip import (check_same_name_lists, check_same_preds, check_same_weights, first_layer_weight_diff,
                            weights_root)
from test_summary import compare

RW_DIR = REPO.parent / "shared" / "realworld"

if not (RW_DIR / "SOURCES.tsv").is_file():
    pytest.skip("real-world corpus %s is absent (CI has it)" % RW_DIR, allow_module_level=True)


# --------------------------------------------------------------------------
# the corpus


@dataclass(frozen=True)
class RealFile:
    name: str
    kind: str  # "model" | "weights" | "other"
    keras_version: str

    @property
    def path(self):
        return str(RW_DIR / self.name)

    @property
    def keras(self):
        """The Keras of the file's dialect: "3" for 3.x, else "2"."""
        return "3" if self.keras_version.startswith("3") else "2"


def corpus():
    with open(RW_DIR / "SOURCES.tsv", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [RealFile(r["file"], r["kind"], r["keras_version"] or "") for r in rows]


FILES = corpus()
KERAS_FILES = [f for f in FILES if f.kind != "other"]
OTHER_FILES = [f for f in FILES if f.kind == "other"]
MODEL_FILES = [f for f in FILES if f.kind == "model"]


def ids(files):
    return [f.name for f in files]


# --------------------------------------------------------------------------
# verdicts: one line per file and check, printed when the module ends

VERDICTS = {}  # file -> {check: "ok" | "FAIL: ..." | "n/a: ..."}
CHECKS = ("keras", "summary", "strip", "replace-head")


@contextlib.contextmanager
def verdict(rf, check):
    """Records the outcome of one check of one file for the final table."""
    v = "ok"
    try:
        yield
    except pytest.skip.Exception as e:
        v = "n/a: %s" % e
        raise
    except BaseException as e:
        v = "FAIL: " + " ".join(str(e).split())
        raise
    finally:
        VERDICTS.setdefault(rf.name, {})[check] = v


@pytest.fixture(scope="module", autouse=True)
def verdict_table(request):
    """Prints the verdicts when the module ends: a row per file, then the
    reason of every FAIL and n/a."""
    yield
    tr = request.config.pluginmanager.getplugin("terminalreporter")
    cap = request.config.pluginmanager.getplugin("capturemanager")
    if not VERDICTS or tr is None:
        return
    with cap.global_and_fixture_disabled() if cap else contextlib.nullcontext():
        tr.write_line("\nreal-world corpus %s: %s per file" % (RW_DIR, ", ".join(CHECKS)))
        for name in sorted(VERDICTS):
            row = [VERDICTS[name].get(c, "-").split(":")[0] for c in CHECKS]
            tr.write_line("  " + " ".join("%-5s" % v for v in row) + " " + name)
        for name in sorted(VERDICTS):
            for c in CHECKS:
                v = VERDICTS[name].get(c, "")
                if v.startswith(("FAIL", "n/a")):
                    tr.write_line("  %s %s: %s" % (name, c, v[:300]))


# --------------------------------------------------------------------------
# Keras


def _dtype(t):
    d = t.dtype
    return getattr(d, "name", None) or str(d)


def _history_layer(t):
    h = t._keras_history
    return getattr(h, "operation", None) or getattr(h, "layer", None) or h[0]


def embedding_inputs(model):
    """{input layer name: vocabulary size} for inputs that feed an Embedding."""
    out = {}
    for layer in model.layers:
        if type(layer).__name__ != "Embedding":
            continue
        for node in layer._inbound_nodes:
            ins = node.input_tensors if hasattr(node, "input_tensors") else node.keras_inputs
            for t in ins if isinstance(ins, (list, tuple)) else [ins]:
                src = _history_layer(t)
                if type(src).__name__ == "InputLayer":
                    out[src.name] = min(out.get(src.name, layer.input_dim), layer.input_dim)
    return out


def batch_for_real(model):
    """A fixed random batch that suits the model's inputs: conftest's shapes
    (BATCH, None -> NONE_DIM), but a fixed batch size where the model has one
    (stateful RNNs) and valid indices for inputs that feed an Embedding."""
    rng = np.random.default_rng(0)
    vocab = embedding_inputs(model)
    xs = []
    for t in model.inputs:
        dims = tuple(t.shape)
        shape = [BATCH if dims[0] is None else int(dims[0])] + [NONE_DIM if d is None else int(d) for d in dims[1:]]
        dt = _dtype(t)
        name = _history_layer(t).name
        if name in vocab or not dt.startswith("float"):
            xs.append(rng.integers(0, vocab.get(name, 10), size=shape).astype(dt))
        else:
            xs.append(rng.standard_normal(shape).astype(dt))
    return xs


def predict_real(model):
    import tensorflow as tf

    ys = model(batch_for_real(model), training=False)
    return [np.asarray(y) for y in tf.nest.flatten(ys)]


def saved_weights(layer):
    """A layer's weights in the order Keras saves them, as numpy arrays."""
    return [np.asarray(w.numpy() if hasattr(w, "numpy") else w) for w in layer.trainable_weights + layer.non_trainable_weights]


class RealOracle:
    """Keras's view of each file, once per (file, Keras) for the session:
    keras_report's load, predictions on batch_for_real and (full) the report
    and the weights of every layer as Keras loaded them. A failed load is a
    LoadError, cached too."""

    def __init__(self):
        self.cache = {}

    def analyze(self, path, k, full=True):
        key = (path, k, os.stat(path).st_mtime_ns, full)
        if key in self.cache:
            r = self.cache[key]
            if isinstance(r, Exception):
                raise r
            return r
        K = keras_report.keras_module(k)
        with timed("keras %s load+report+predict %s" % (k, os.path.basename(path))):
            try:
                m = keras_report.load(path, k)
            except Exception as e:  # noqa: BLE001
                r = LoadError("Keras %s cannot load it: %s: %s" % (k, type(e).__name__, root_cause(e, 200)))
                self.cache[key] = r
                raise r
            try:
                r = {"preds": predict_real(m)}
            except Exception as e:  # noqa: BLE001
                r = AssertionError("Keras %s loads it but cannot predict: %s: %s"
                                   % (k, type(e).__name__, root_cause(e, 200)))
            if full and isinstance(r, dict):
                r["report"] = keras_report.report_model(m)
                r["weights"] = {l.name: saved_weights(l) for l in m.layers}
            del m
            K.backend.clear_session()
        self.cache[key] = r
        if isinstance(r, Exception):
            raise r
        return r


@pytest.fixture(scope="session")
def real_oracle():
    return RealOracle()


def keras_view(rf, real_oracle):
    """Keras's analysis of the source, or None (with the reason) if it does
    not load it."""
    try:
        return real_oracle.analyze(rf.path, rf.keras), None
    except LoadError as e:
        return None, str(e)


# --------------------------------------------------------------------------
# the files themselves


def attr_raw(obj, name):
    """An attribute's HDF5 type (class, size, vlen, charset), shape and value
    as bytes: equal for two attributes stored byte for byte alike."""
    aid = h5py.h5a.open(obj.id, name.encode())
    t = aid.get_type()
    vlen = t.get_class() == h5py.h5t.STRING and t.is_variable_str()
    cset = t.get_cset() if t.get_class() == h5py.h5t.STRING else None
    v = obj.attrs[name]
    if isinstance(v, str):
        v = v.encode("utf-8", "surrogateescape")
    elif isinstance(v, np.ndarray) and v.dtype.kind == "O":
        v = b"\0".join(x.encode("utf-8", "surrogateescape") if isinstance(x, str) else bytes(x) for x in v.reshape(-1))
    elif isinstance(v, np.ndarray):
        v = v.tobytes()
    else:
        v = bytes(v) if isinstance(v, (bytes, np.bytes_)) else repr(v).encode()
    return (t.get_class(), None if vlen else t.get_size(), vlen, cset, aid.shape, v)


def group_paths(path):
    """Every group path under the weights root."""
    out = set()
    with h5py.File(path, "r") as f:
        weights_root(f).visititems(lambda n, o: out.add(n) if isinstance(o, h5py.Group) else None)
    return out


def output_count(path):
    with h5py.File(path, "r") as f:
        raw = f.attrs.get("model_config")
    if raw is None:
        return None
    cfg = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    if cfg.get("class_name") == "Sequential" or isinstance(cfg.get("config"), list):
        return 1
    outs = cfg.get("config", {}).get("output_layers")
    if isinstance(outs, list) and outs and isinstance(outs[0], str):
        return 1  # Keras 3 writes a single output as one [name, node, tensor]
    return len(outs or [])


def one_line_refusal(p, name):
    err = p.stderr.decode(errors="replace").strip()
    assert p.returncode == 1, "exit %d, want 1 (stderr %r)" % (p.returncode, err[:300])
    assert len(err.splitlines()) == 1, "refusal in %d lines, want 1: %r" % (len(err.splitlines()), err[:300])
    assert err.startswith("modelsurg: error: ") and name in err, "refusal does not name the file: %r" % err


# --------------------------------------------------------------------------
# tests


@pytest.mark.parametrize("rf", MODEL_FILES, ids=ids(MODEL_FILES))
def test_keras_loads(rf, real_oracle):
    """Records whether the Keras of the file's dialect loads and runs it
    (never a failure of modelsurg: a file Keras cannot load is checked at the
    HDF5 level by the other tests)."""
    with verdict(rf, "keras"):
        view, why = keras_view(rf, real_oracle)
        if view is None:
            pytest.skip(why)


@pytest.mark.parametrize("rf", KERAS_FILES, ids=ids(KERAS_FILES))
def test_summary(rf, real_oracle):
    with verdict(rf, "summary"):
        p = run_modelsurg("summary", rf.path, "--format", "json")
        assert p.returncode == 0, "summary exited %d: %s" % (p.returncode, p.stderr.decode(errors="replace").strip()[:400])
        got = json.loads(p.stdout)
        if rf.kind == "weights":
            compare(rf.name, keras_report.weights_only_report(rf.path), got, True)
            return
        view, _ = keras_view(rf, real_oracle)
        if view is not None:
            compare(rf.name, view["report"], got, False)
            return
        names, ws = layer_lists(rf.path)
        got_names = [l.get("name") for l in got.get("layers") or []]
        assert got_names == names, "layers %s, the file's layer_names %s" % (got_names[:12], names[:12])
        sizes = {n: sum(int(np.prod(shape, dtype=np.int64)) for shape, _ in ws[n]) for n in names}
        for l in got["layers"]:
            n = l["name"]
            assert l.get("params") == sizes[n], "layer %s: params %r, its datasets hold %d values" % (n, l.get("params"), sizes[n])
        total = sum(sizes.values())
        assert got.get("total_params") == total, "total_params %r, the file's datasets hold %d" % (got.get("total_params"), total)


@pytest.mark.parametrize("rf", OTHER_FILES, ids=ids(OTHER_FILES))
def test_not_keras_refused(rf, tmp_path):
    with verdict(rf, "summary"):
        one_line_refusal(run_modelsurg("summary", rf.path), rf.name)
    with verdict(rf, "strip"):
        out = tmp_path / "out.h5"
        one_line_refusal(run_modelsurg("strip", rf.path, "-o", out), rf.name)
        assert not out.exists() and not os.listdir(tmp_path), "strip left %s behind" % os.listdir(tmp_path)


def check_strip_file_level(src, out):
    """model_config and every other attribute of the root and the weights
    root byte for byte; the same groups; every dataset bit for bit."""
    with h5py.File(src, "r") as fs, h5py.File(out, "r") as fo:
        assert "optimizer_weights" not in fo, "strip output keeps optimizer_weights"
        for a, b in ((fs, fo), (weights_root(fs), weights_root(fo))):
            for n in a.attrs:
                assert n in b.attrs, "%s@%s is missing from the output" % (a.name, n)
                assert attr_raw(b, n) == attr_raw(a, n), "%s@%s is not byte-identical to the source's" % (a.name, n)
            extra = sorted(set(b.attrs) - set(a.attrs))
            assert not extra, "%s has attributes the source lacks: %s" % (b.name, extra)
    gs, go = group_paths(src), group_paths(out)
    assert gs == go, "groups differ: missing %s, extra %s" % (sorted(gs - go)[:5], sorted(go - gs)[:5])
    check_same_weights(os.path.basename(src), src, out)
    check_same_name_lists(os.path.basename(src), src, out)


@pytest.mark.parametrize("rf", KERAS_FILES, ids=ids(KERAS_FILES))
def test_strip(rf, tmp_path, real_oracle, oracle):
    with verdict(rf, "strip"):
        out = str(tmp_path / "strip.h5")
        before = sha256(rf.path)
        with timed("modelsurg strip %s" % rf.name):
            p = run_modelsurg("strip", rf.path, "-o", out)
        assert p.returncode == 0, "strip exited %d: %s" % (p.returncode, p.stderr.decode(errors="replace").strip()[:400])
        assert sha256(rf.path) == before, "strip modified its input"
        check_strip_file_level(rf.path, out)
        if rf.kind != "model":
            return
        view, _ = keras_view(rf, real_oracle)
        if view is None:
            return
        try:
            got = real_oracle.analyze(out, rf.keras, full=False)
        except LoadError as e:
            pytest.fail("Keras %s loads the source but not the strip output: %s" % (rf.keras, e), pytrace=False)
        check_same_preds(rf.name, rf.keras, view["preds"], got["preds"],
                         lambda: first_layer_weight_diff(oracle, rf.path, out, rf.keras, None))


REMOVED = re.compile(r"^modelsurg: removed (\d+) layers?: (.*)$", re.M)
NEW_HEAD = re.compile(r"^modelsurg: new head: (.*)$", re.M)


def head_report(stderr):
    """(removed layers named, how many more it removed unnamed, new layers)
    from replace-head's report on stderr."""
    removed, more = [], 0
    m = REMOVED.search(stderr)
    if m:
        for x in m.group(2).split(", "):
            k = re.fullmatch(r"\.\.\. \((\d+) more\)", x.strip())
            if k:
                more = int(k.group(1))
            else:
                removed.append(x.strip())
    m = NEW_HEAD.search(stderr)
    new = re.findall(r"(?:^|, )([^ ,]+) \(", m.group(1).split(";")[0]) if m else []
    return removed, more, new


def layer_lists(path):
    """(layer_names, {layer: [(shape, dtype)] in weight_names order})."""
    with h5py.File(path, "r") as f:
        root = weights_root(f)
        names = keras_report.read_chunked_attr(root, "layer_names")
        ws = {}
        for n in names:
            g = root[n]
            ws[n] = [(g[w].shape, str(g[w].dtype)) for w in keras_report.read_chunked_attr(g, "weight_names")]
    return names, ws


def check_kept_file_level(src, out, removed, more, new):
    """Every source layer is kept or reported removed; the kept ones (not
    replaced by a new layer of the same name) have the source's weight_names
    and datasets, bit for bit. Returns the kept layers' names."""
    with h5py.File(src, "r") as fs, h5py.File(out, "r") as fo:
        rs, ro = weights_root(fs), weights_root(fo)
        names = keras_report.read_chunked_attr(rs, "layer_names")
        out_names = set(keras_report.read_chunked_attr(ro, "layer_names"))
        unaccounted = [n for n in names if n not in out_names and n not in removed]
        assert len(unaccounted) == more, "layers neither kept nor reported removed: %s" % unaccounted[more:][:8]
        kept = [n for n in names if n in out_names and n not in removed and n not in new]
        for n in kept:
            wn = keras_report.read_chunked_attr(rs[n], "weight_names")
            assert keras_report.read_chunked_attr(ro[n], "weight_names") == wn, "kept layer %s: weight_names differ" % n
            for w in wn:
                a, b = rs[n][w], ro[n][w]
                assert a.dtype == b.dtype and a.shape == b.shape and a[()].tobytes() == b[()].tobytes(), (
                    "kept layer %s: weight %s is not bit-identical to the source's" % (n, w))
    return kept


def config_layer_names(path):
    with h5py.File(path, "r") as f:
        raw = f.attrs["model_config"]
    cfg = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    layers = cfg["config"] if isinstance(cfg["config"], list) else cfg["config"].get("layers", [])
    return {l.get("name") or l.get("config", {}).get("name") for l in layers}


def check_resaved_like_keras(model, src, out, tmp_path):
    """Keras, saving the model it loaded from out, writes the same layers and
    the same weights per layer as out has; but for the Keras 3 operations of
    the source (in its config, not in its layer_names: Keras saved no group
    for them, and loading turns some into layers, such as Concatenate for
    ops.concatenate), which out must leave out as the source does."""
    again = str(tmp_path / "resaved.h5")
    model.save(again)
    src_names, _ = layer_lists(src)
    ops = config_layer_names(src) - set(src_names)
    got_names, got_ws = layer_lists(out)
    want_names, want_ws = layer_lists(again)
    want_names = [n for n in want_names if n not in ops]
    assert got_names == want_names, "layer_names %s, Keras writes %s" % (
        [n for n in got_names if n not in want_names][:5] or got_names[:8],
        [n for n in want_names if n not in got_names][:5] or want_names[:8])
    for n in want_names:
        assert got_ws[n] == want_ws[n], "layer %s: weights %s, Keras writes %s" % (n, got_ws[n], want_ws[n])


@pytest.mark.parametrize("rf", MODEL_FILES, ids=ids(MODEL_FILES))
def test_replace_head(rf, tmp_path, real_oracle, request):
    with verdict(rf, "replace-head"):
        n = output_count(rf.path)
        if n != 1:
            pytest.skip("not a single-output model (%s outputs)" % n)
        out = str(tmp_path / "head.h5")
        before = sha256(rf.path)
        with timed("modelsurg replace-head %s" % rf.name):
            p = run_modelsurg("replace-head", rf.path, "--classes", "3", "-o", out)
        err = p.stderr.decode(errors="replace")
        assert p.returncode == 0, "replace-head --classes 3 exited %d: %s" % (p.returncode, " ".join(err.split())[:400])
        assert sha256(rf.path) == before, "replace-head modified its input"
        kept = set(check_kept_file_level(rf.path, out, *head_report(err)))
        view, _ = keras_view(rf, real_oracle)
        if view is None:
            return
        K = keras_report.keras_module(rf.keras)
        try:
            m = keras_report.load(out, rf.keras)
        except Exception as e:  # noqa: BLE001
            pytest.fail("Keras %s loads the source but not the replace-head output: %s: %s"
                        % (rf.keras, type(e).__name__, root_cause(e)), pytrace=False)
        try:
            ys = predict_real(m)
            assert len(ys) == 1 and ys[0].shape[-1] == 3, "predicts %s, want one (batch, 3)" % [y.shape for y in ys]
            assert np.all(np.isfinite(ys[0])), "predictions are not finite"
            for layer in m.layers:
                if layer.name not in kept:
                    continue
                a, b = saved_weights(layer), view["weights"][layer.name]
                same = len(a) == len(b) and all(x.shape == y.shape and x.tobytes() == y.tobytes() for x, y in zip(a, b))
                assert same, "kept layer %s: Keras loads other weights than the source's" % layer.name
            check_resaved_like_keras(m, rf.path, out, tmp_path)
        finally:
            del m
            K.backend.clear_session()


# --------------------------------------------------------------------------
# layouts no shared file has, made by Keras here


def _slash_model(K, shape, classes=None):
    """tf_keras layers named as MobileNetV3Large(minimalistic=True) names
    them: "Conv" and "Conv/BatchNorm", "blk/depthwise" with no layer "blk".
    classes: the top replace-head --classes puts on it instead of its own."""
    x = inp = K.Input(shape, name="input_1")
    x = K.layers.Conv2D(8, 3, use_bias=False, name="Conv")(x)
    x = K.layers.BatchNormalization(name="Conv/BatchNorm")(x)
    x = K.layers.DepthwiseConv2D(3, padding="same", name="blk/depthwise")(x)
    x = K.layers.BatchNormalization(name="blk/depthwise/BatchNorm")(x)
    x = K.layers.ReLU(name="blk/relu")(x)
    if classes:
        return K.Model(inp, _head(K, x, classes), name="slash")
    x = K.layers.GlobalAveragePooling2D(name="pool")(x)
    return K.Model(inp, K.layers.Dense(5, name="Logits")(x), name="slash")


def _ops_model(K, shape, classes=None):
    """Keras 3 operations called on constants (tensors: "__tensor__" in the
    config) beside a merging layer that is; Keras 3 saves such a model but
    cannot load it back, so only the files are compared."""
    import tensorflow as tf

    x = inp = K.Input(shape, name="img")
    x = K.layers.Conv2D(4, 3, name="conv")(x)
    x = K.layers.Add(name="addc")([x, tf.ones((1, 1, 1, 4))])
    x = K.ops.multiply(x, tf.fill((4,), 2.0))
    x = K.ops.add(x, tf.ones((4,)))
    if classes:
        return K.Model(inp, _head(K, x, classes))
    x = K.layers.GlobalAveragePooling2D(name="gap")(x)
    return K.Model(inp, K.layers.Dense(5, name="predictions")(x))


def _head(K, x, classes):
    """The head `replace-head --classes N` adds by default."""
    x = K.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    return K.layers.Dense(classes, activation="softmax", name="predictions")(x)


# name: (Keras, builder, whether that Keras loads what it saves)
LAYOUTS = {"slash_k2": ("2", _slash_model, True), "ops_k3": ("3", _ops_model, False)}


def weights_tree(path):
    """{path: what} of the weights root: groups with their attribute names
    and list values, datasets with shape and dtype."""
    out = {}
    with h5py.File(path, "r") as f:
        root = weights_root(f)

        def attrs(o):
            return sorted((n, str(keras_report.read_chunked_attr(o, n)) if n in ("weight_names", "layer_names") else "")
                          for n in o.attrs if n not in ("keras_version", "backend"))

        out["."] = ("group", attrs(root))
        root.visititems(lambda n, o: out.__setitem__(
            n, ("dataset", o.shape, str(o.dtype)) if isinstance(o, h5py.Dataset) else ("group", attrs(o))))
    return out


def compare_trees(what, got, want):
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    assert not missing and not extra, "%s: missing %s, extra %s" % (what, missing[:5], extra[:5])
    for k in sorted(want):
        assert got[k] == want[k], "%s: %s is %s, Keras writes %s" % (what, k, got[k], want[k])


def _save(K, build, path, *args):
    K.backend.clear_session()
    K.utils.set_random_seed(1)
    build(K, *args).save(path)
    K.backend.clear_session()
    return path


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_layout(layout, tmp_path):
    """Each command's output has the model_weights tree Keras writes for the
    same model: strip the source's; reshape-input that of the model built
    at the new shape; replace-head that of the model built with the head."""
    k, build, loads = LAYOUTS[layout]
    K = keras_report.keras_module(k)
    src = _save(K, build, str(tmp_path / "src.h5"), (8, 8, 3))
    ref12 = _save(K, build, str(tmp_path / "ref12.h5"), (12, 12, 3))
    ref_head = _save(K, build, str(tmp_path / "ref_head.h5"), (8, 8, 3), 3)

    outs = {}
    for what, args, ref in (("strip", [], src), ("reshape-input", ["--shape", "12,12,3"], ref12),
                            ("replace-head", ["--classes", "3"], ref_head)):
        outs[what] = str(tmp_path / (what + ".h5"))
        run_modelsurg(what, src, *args, "-o", outs[what], check=True)
        compare_trees(what, weights_tree(outs[what]), weights_tree(ref))
    if not loads:
        return
    base = keras_report.load(src, k)
    for what in ("reshape-input", "replace-head"):
        m = keras_report.load(outs[what], k)
        for layer in m.layers:
            if what == "replace-head" and layer.name in ("avg_pool", "predictions"):
                continue
            same = all(a.tobytes() == b.tobytes()
                       for a, b in zip(saved_weights(layer), saved_weights(base.get_layer(layer.name))))
            assert same, "%s: layer %s: Keras loads other weights than the source's" % (what, layer.name)
    K.backend.clear_session()
