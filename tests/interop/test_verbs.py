"""`modelsurg extract`, `rename` and `freeze` against Keras (the oracle), in
the Keras that wrote each source (tf_keras for k2, keras for k3).

- extract: OUT loads, and predicts bit for bit what Keras's own
  Model(inputs, [layer output, ...]) of the source predicts; with --input,
  what that model predicts from the source's activations at the cut; every
  kept layer's weights are the source's, and OUT has exactly the layers
  Keras's model has.
- rename: OUT loads, get_layer(new) holds the old layer's weights bit for
  bit, no old name is left, and OUT predicts bit for bit what the source does.
- freeze: the source edited in Python as a user would (layer.trainable =
  False ...) and OUT loaded have the same Trainable / Non-trainable totals,
  which modelsurg summary prints too; every layer's weights, in Keras's
  order, are bit-identical; OUT predicts what the source does.
"""

import re

import numpy as np
import pytest
import tensorflow as tf

import keras_report
from conftest import TESTDATA, batch_for, run_modelsurg


def K_(k):
    return keras_report.keras_module(k)


def src_path(dialect, name):
    return str(TESTDATA / dialect / (name + ".h5"))


def load(path, dialect):
    return keras_report.load(path, "2" if dialect == "k2" else "3")


def run(model, xs):
    return [np.asarray(y) for y in tf.nest.flatten(model(xs, training=False))]


def layer_outputs(layer):
    """Every output tensor of a layer's last call (tf-keras: a nested model's
    .output is its own graph's, not its call's)."""
    node = layer._inbound_nodes[-1]
    outs = node.output_tensors if hasattr(node, "output_tensors") else node.outputs
    return tf.nest.flatten(outs)


def check_bits(what, got, want):
    assert len(got) == len(want), "%s: %d arrays, want %d" % (what, len(got), len(want))
    for i, (a, b) in enumerate(zip(got, want)):
        assert a.shape == b.shape, "%s #%d: shape %s, want %s" % (what, i, a.shape, b.shape)
        assert a.tobytes() == b.tobytes(), "%s #%d: not bit-identical (max abs diff %g)" % (
            what, i, float(np.max(np.abs(a.astype("float64") - b.astype("float64")))))


def weights_of(layer):
    return [np.asarray(w) for w in layer.get_weights()]


def modelsurg(*args):
    p = run_modelsurg(*args)
    assert p.returncode == 0, "modelsurg %s: exit %d\n%s" % (" ".join(map(str, args)), p.returncode, p.stderr.decode())
    return p.stderr.decode()


# --------------------------------------------------------------------------
# extract

# (fixture, outputs, inputs); inputs "" keeps the model's own
EXTRACT = [
    ("branches", "concat", ""),
    ("branches", "relu,branch_c", ""),
    ("branches", "logits,add", ""),
    ("branches", "logits", "relu,image"),
    ("multi_io", "reg_out", ""),
    ("multi_io", "join,flatten", ""),
    ("multi_io", "class_out", "join"),
    ("nested", "add", ""),
    ("nested", "post", "add"),
    ("nested_sequential", "block", ""),
    ("nested_sequential", "post", "block,outer_in"),
    ("sequential_cnn", "pool", ""),
    ("rnn", "cat", ""),
    ("rnn", "lstm_seq,simple_last", ""),
    ("attention", "block_ln1", ""),
    ("attention", "out", "block_ln1"),
    ("layers_mix", "separable", ""),
    ("layers_mix", "dense", "to_channels_first"),
]


@pytest.mark.parametrize("dialect", ["k2", "k3"])
@pytest.mark.parametrize("name,outputs,inputs", EXTRACT, ids=["%s:%s<-%s" % c for c in EXTRACT])
def test_extract(dialect, name, outputs, inputs, tmp_path):
    src = src_path(dialect, name)
    out = str(tmp_path / "out.h5")
    args = ["extract", src, "--output", outputs, "-o", out]
    if inputs:
        args += ["--input", inputs]
    modelsurg(*args)
    K = K_("2" if dialect == "k2" else "3")
    got = load(out, dialect)
    m = load(src, dialect)
    outs = [t for n in outputs.split(",") for t in layer_outputs(m.get_layer(n))]
    x = batch_for(m)
    by_input = {t._keras_history[0].name: a for t, a in zip(m.inputs, x)}
    if not inputs:
        kept = {l.name for l in got.layers}
        ins = m.inputs if isinstance(got, K.Sequential) else [t for t in m.inputs if t._keras_history[0].name in kept]
        ref = K.Model(ins, outs)
        feed = [by_input[t._keras_history[0].name] for t in ref.inputs]
        check_bits("%s/%s extract" % (dialect, name), run(got, feed), run(ref, feed))
        names = lambda mm: sorted(l.name for l in mm.layers if type(l).__name__ != "InputLayer")  # noqa: E731
        assert names(got) == names(ref), "%s/%s: layers differ from Keras's Model(inputs, outputs)" % (dialect, name)
    else:
        cuts = inputs.split(",")
        mid = [c for c in cuts if m.get_layer(c).__class__.__name__ != "InputLayer"]
        acts = run(K.Model(m.inputs, [layer_outputs(m.get_layer(c))[0] for c in mid]), x) if mid else []
        act = dict(zip(mid, acts))
        feed = []
        for c in cuts:
            feed.append(act[c] if c in act else by_input[c])
        want = run(K.Model(m.inputs, outs), x)
        check_bits("%s/%s extract --input %s" % (dialect, name, inputs), run(got, feed), want)
    for l in got.layers:
        if l.weights:
            check_bits("%s/%s weights of %s" % (dialect, name, l.name), weights_of(l), weights_of(m.get_layer(l.name)))


# --------------------------------------------------------------------------
# rename

# (fixture, args, {old: new} the args imply for the layers checked)
RENAME = [
    ("branches", ["--map", "branch_a=A", "--map", "logits=head"], {"branch_a": "A", "logits": "head", "image": "image"}),
    ("branches", ["--map", "branch_a=branch_b", "--map", "branch_b=branch_a"], {"branch_a": "branch_b", "branch_b": "branch_a"}),
    ("branches", ["--prefix", "p_", "--suffix", "_s"], {"branch_a": "p_branch_a_s", "image": "p_image_s", "logits": "p_logits_s"}),
    ("nested", ["--map", "inner=core", "--map", "pre=first"], {"inner": "core", "pre": "first"}),
    ("nested", ["--prefix", "x_"], {"inner": "x_inner", "post": "x_post"}),
    ("nested_sequential", ["--prefix", "n_"], {}),
    ("multi_io", ["--map", "class_out=cls", "--map", "img=pixels"], {"class_out": "cls", "img": "pixels", "conv": "conv"}),
    ("sequential_cnn", ["--map", "conv=c1", "--map", "dense=fc"], {"conv": "c1", "dense": "fc"}),
    ("rnn", ["--suffix", "_r"], {"lstm_seq": "lstm_seq_r", "embed": "embed_r"}),
    ("shared", ["--map", "shared_dense=tied"], {"shared_dense": "tied"}),
]


@pytest.mark.parametrize("dialect", ["k2", "k3"])
@pytest.mark.parametrize("name,args,renamed", RENAME, ids=["%s:%s" % (c[0], "_".join(c[1])) for c in RENAME])
def test_rename(dialect, name, args, renamed, tmp_path):
    src = src_path(dialect, name)
    out = str(tmp_path / "out.h5")
    modelsurg("rename", src, "-o", out, *args)
    got = load(out, dialect)
    m = load(src, dialect)
    for old, new in renamed.items():
        check_bits("%s/%s: %s -> %s" % (dialect, name, old, new), weights_of(got.get_layer(new)), weights_of(m.get_layer(old)))
    moved = {o for o, n in renamed.items() if o != n} - set(renamed.values())
    for old in moved:
        assert old not in [l.name for l in got.layers], "%s/%s: %s still present" % (dialect, name, old)
    x = batch_for(m)
    check_bits("%s/%s predictions" % (dialect, name), run(got, x), run(m, x))
    # nested layers too: inner_dense keeps its weights under its new name
    if name == "nested":
        inner_new = renamed["inner"]
        sub_new = "x_inner_dense" if "--prefix" in args else "inner_dense"
        check_bits("nested inner_dense", weights_of(got.get_layer(inner_new).get_layer(sub_new)),
                   weights_of(m.get_layer("inner").get_layer("inner_dense")))


# --------------------------------------------------------------------------
# freeze

# (fixture, args)
FREEZE = [
    ("branches", []),
    ("branches", ["--until", "add"]),
    ("branches", ["--layers", "^branch_"]),
    ("layers_mix", ["--except-batchnorm"]),
    ("layers_mix", ["--until", "separable", "--except-batchnorm"]),
    ("nested", []),
    ("nested", ["--layers", "^inner_bn"]),
    ("nested", ["--layers", "^inner_dense$"]),
    ("nested", ["--until", "inner", "--except-batchnorm"]),
    ("nested_sequential", ["--layers", "dense"]),
    ("rnn", ["--layers", "lstm|gru"]),
    ("sequential_cnn", ["--until", "pool"]),
    ("rnn_wrappers", []),
    ("seq2seq", ["--layers", "enc"]),
    ("attention", ["--layers", "^block_"]),
]

# Keras 3 does not save the flag of sublayers it builds itself: loading a
# frozen MultiHeadAttention (its EinsumDense sublayers) or ConvLSTM2D (its
# cell), it counts their weights trainable, for the file Keras itself saves
# after the same edit too, where modelsurg summary counts them as the
# layer's flag says (internal/model's counting, not freeze).
SUMMARY_DIFFERS = {("k3", "attention"), ("k3", "rnn_wrappers")}

BN = ("BatchNormalization", "SyncBatchNormalization")


def python_freeze(K, m, args, value=False):
    """What a user writes: layer.trainable = value on the layers args choose."""
    it = iter(args)
    until, regex, except_bn = None, None, False
    for a in it:
        if a == "--until":
            until = next(it)
        elif a == "--layers":
            regex = next(it)
        elif a == "--except-batchnorm":
            except_bn = True
    allowed = None
    if until:
        ref = K.Model(m.inputs, layer_outputs(m.get_layer(until)))
        allowed = {l.name for l in ref.layers}

    def holds_bn(layer):
        return any(type(s).__name__ in BN or holds_bn(s) for s in getattr(layer, "layers", []))

    def visit(layer, chosen):
        chosen = chosen or (regex is not None and re.search(regex, layer.name) is not None)
        if type(layer).__name__ == "InputLayer" or (except_bn and type(layer).__name__ in BN):
            return
        if chosen and not (except_bn and holds_bn(layer)):
            layer.trainable = value
            return
        for s in getattr(layer, "layers", []):
            visit(s, chosen)

    for l in m.layers:
        if allowed is None or l.name in allowed:
            visit(l, regex is None)


def totals(model):
    r = keras_report.report_model(model)
    return r["trainable_params"], r["non_trainable_params"]


def saved_totals(m, tmp_path, k):
    """Keras's totals for m saved (by Keras) and loaded again: what a user
    who edits, saves and reloads sees (Keras 3 builds a MultiHeadAttention's
    sublayers trainable whatever its own flag)."""
    p = str(tmp_path / "python_edit.h5")
    m.save(p)
    return totals(keras_report.load(p, k))


def summary_totals(path):
    p = run_modelsurg("summary", path)
    assert p.returncode == 0, p.stderr.decode()
    text = p.stdout.decode()
    tr = int(re.search(r"Trainable params: ([\d,]+)", text).group(1).replace(",", ""))
    nt = int(re.search(r"Non-trainable params: ([\d,]+)", text).group(1).replace(",", ""))
    return tr, nt


@pytest.mark.parametrize("dialect", ["k2", "k3"])
@pytest.mark.parametrize("name,args", FREEZE, ids=["%s:%s" % (c[0], "_".join(c[1]) or "all") for c in FREEZE])
def test_freeze(dialect, name, args, tmp_path):
    src = src_path(dialect, name)
    out = str(tmp_path / "out.h5")
    modelsurg("freeze", src, "-o", out, *args)
    K = K_("2" if dialect == "k2" else "3")
    got = load(out, dialect)
    m = load(src, dialect)
    x = batch_for(m)
    want_pred = run(m, x)
    python_freeze(K, m, args)
    k = "2" if dialect == "k2" else "3"
    want = saved_totals(m, tmp_path, k)
    assert totals(got) == want, "%s/%s %s: Keras counts %s after load, the Python edit %s" % (
        dialect, name, args, totals(got), want)
    if (dialect, name) in SUMMARY_DIFFERS:
        assert summary_totals(out) != want, "modelsurg summary now counts as Keras does: drop SUMMARY_DIFFERS"
    else:
        assert summary_totals(out) == want
    for l in m.layers:
        check_bits("%s/%s weights of %s" % (dialect, name, l.name), weights_of(got.get_layer(l.name)), weights_of(l))
    check_bits("%s/%s predictions" % (dialect, name), run(got, x), want_pred)
    # --unfreeze undoes it
    back = str(tmp_path / "back.h5")
    modelsurg("freeze", out, "-o", back, "--unfreeze", *args)
    python_freeze(K, m, args, value=True)
    assert totals(load(back, dialect)) == saved_totals(m, tmp_path, k)


# --------------------------------------------------------------------------
# keras.applications models (the app cache of gen_apps.py; --apps selects)

# (app, verb args, what to check); "FILE" is replaced by the source path
APP_CASES = [
    ("resnet50", ["extract", "--output", "conv3_block4_out,conv4_block6_out,conv5_block3_out"], "extract"),
    ("resnet50", ["extract", "--input", "conv4_block6_out", "--output", "predictions"], "extract"),
    ("resnet50", ["rename", "--prefix", "backbone_", "--map", "predictions=logits"], "rename"),
    ("resnet50", ["freeze", "--until", "conv4_block6_out", "--except-batchnorm"], "freeze"),
    ("mobilenetv2", ["freeze", "--layers", "^block_1[0-9]_"], "freeze"),
    ("densenet121", ["rename", "--sanitize"], "rename"),
]


def app_path(request, dialect, app):
    import gen_apps
    from conftest import APPS_DIR, app_names

    # --apps all also makes the models only some tests ask for by name
    # (gen_apps.APPS beyond DEFAULT_APPS)
    if app not in app_names(request.config) and request.config.getoption("--apps") != "all":
        pytest.skip("%s is not among --apps" % app)
    path = APPS_DIR / dialect / gen_apps.file_name(app)
    if not path.exists():
        gen_apps.generate(dialect, app, str(path))
    return str(path)


@pytest.mark.parametrize("dialect", ["k2", "k3"])
@pytest.mark.parametrize("app,args,kind", APP_CASES, ids=["%s:%s" % (c[0], "_".join(c[1])) for c in APP_CASES])
def test_verbs_apps(request, dialect, app, args, kind, tmp_path):
    src = app_path(request, dialect, app)
    out = str(tmp_path / "out.h5")
    verb, rest = args[0], args[1:]
    modelsurg(verb, src, "-o", out, *rest)
    K = K_("2" if dialect == "k2" else "3")
    got, m = load(out, dialect), load(src, dialect)
    x = batch_for(m)
    if kind == "extract":
        opt = dict(zip(rest[::2], rest[1::2]))
        outs = [t for n in opt["--output"].split(",") for t in layer_outputs(m.get_layer(n))]
        if "--input" in opt:
            cut = opt["--input"]
            feed = run(K.Model(m.inputs, layer_outputs(m.get_layer(cut))), x)
        else:
            feed = x
        check_bits("%s/%s %s" % (dialect, app, args), run(got, feed), run(K.Model(m.inputs, outs), x))
        for l in got.layers:
            if l.weights:
                check_bits("weights of " + l.name, weights_of(l), weights_of(m.get_layer(l.name)))
    elif kind == "rename":
        renamed = {}
        for l in m.layers:
            new = l.name.replace("/", "_") if "--sanitize" in rest else "backbone_" + l.name
            renamed[l.name] = "logits" if l.name == "predictions" and "--map" in rest else new
        for old, new in renamed.items():
            check_bits("%s -> %s" % (old, new), weights_of(got.get_layer(new)), weights_of(m.get_layer(old)))
        check_bits("%s/%s predictions" % (dialect, app), run(got, x), run(m, x))
    else:
        want = run(m, x)
        python_freeze(K, m, rest)
        k = "2" if dialect == "k2" else "3"
        assert totals(got) == saved_totals(m, tmp_path, k)
        assert summary_totals(out) == totals(got)
        for l in m.layers:
            check_bits("weights of " + l.name, weights_of(got.get_layer(l.name)), weights_of(l))
        check_bits("%s/%s predictions" % (dialect, app), run(got, x), want)


def test_rename_sanitize_opens_in_keras3(request, tmp_path):
    """tf-keras DenseNet names layers "conv1/conv", which Keras 3 refuses to
    load; after rename --sanitize Keras 3 loads it with every weight."""
    src = app_path(request, "k2", "densenet121")
    out = str(tmp_path / "out.h5")
    modelsurg("rename", src, "--sanitize", "-o", out)
    with pytest.raises(Exception):
        keras_report.load(src, "3")
    got, m = keras_report.load(out, "3"), keras_report.load(src, "2")
    for l in m.layers:
        check_bits("weights of " + l.name, weights_of(got.get_layer(l.name.replace("/", "_"))), weights_of(l))
    x = batch_for(m)
    for a, b in zip(run(got, x), run(m, x)):
        assert np.max(np.abs(a - b)) <= 1e-5


# --------------------------------------------------------------------------
# real users' files (../shared/realworld, never copied here): rename and
# freeze keep every weight and prediction; the checks against Keras run
# where the writer's Keras loads the source (not Keras 1 files, custom layers)

def realworld_models():
    import csv

    from conftest import REPO

    d = REPO.parent / "shared" / "realworld"
    if not (d / "SOURCES.tsv").is_file():
        return []
    with open(d / "SOURCES.tsv") as f:
        return [str(d / r["file"]) for r in csv.DictReader(f, delimiter="\t") if r["kind"] == "model"]


@pytest.mark.parametrize("verb", ["rename", "freeze"])
@pytest.mark.parametrize("path", realworld_models(), ids=lambda p: p.rsplit("/", 1)[-1][:60])
def test_verbs_realworld(path, verb, tmp_path):
    check_every_layer(path, verb, tmp_path)


def all_fixtures():
    return [str(p) for d in ("k2", "k3") for p in sorted((TESTDATA / d).glob("*.h5"))
            if not keras_report.is_weights_only(str(p))]


@pytest.mark.parametrize("verb", ["rename", "freeze"])
@pytest.mark.parametrize("path", all_fixtures(), ids=lambda p: "/".join(p.rsplit("/", 2)[-2:]))
def test_verbs_every_fixture(path, verb, tmp_path):
    check_every_layer(path, verb, tmp_path)


def check_every_layer(path, verb, tmp_path):
    """rename --prefix p_ / freeze (every layer) against the source in Keras."""
    out = str(tmp_path / ("out" + path[path.rfind("."):]))
    args = ["--prefix", "p_"] if verb == "rename" else []
    modelsurg(verb, path, "-o", out, *args)
    k = keras_report.writer_keras(path) if path.endswith((".h5", ".hdf5")) else "3"
    try:
        m = keras_report.load(path, k)
    except Exception as e:  # noqa: BLE001
        pytest.skip("Keras %s cannot load the source: %s" % (k, str(e)[:120]))
    got = keras_report.load(out, k)
    K = K_(k)
    x = batch_for(m)
    try:
        want = run(m, x)
    except Exception:  # noqa: BLE001 - stateful models, integer inputs: batch_for does not fit
        want = None
    if verb == "rename":
        for l in m.layers:
            check_bits(l.name, weights_of(got.get_layer("p_" + l.name)), weights_of(l))
    else:
        python_freeze(K, m, [])
        assert totals(got) == saved_totals(m, tmp_path, k)
        for l in m.layers:
            check_bits(l.name, weights_of(got.get_layer(l.name)), weights_of(l))
    if want is not None:
        check_bits("predictions", run(got, x), want)


# --------------------------------------------------------------------------
# the .keras container: a Keras 3 fixture saved by Keras as .keras, each
# verb writing .keras

KERAS_CASES = [
    ("branches", ["extract", "--output", "relu,branch_c"]),
    ("branches", ["extract", "--input", "relu,image", "--output", "logits"]),
    ("nested", ["rename", "--map", "inner=core", "--prefix", "n_"]),
    ("nested", ["freeze", "--layers", "^inner_dense$"]),
    ("sequential_cnn", ["freeze", "--until", "pool"]),
]


@pytest.mark.parametrize("name,args", KERAS_CASES, ids=["%s:%s" % (c[0], "_".join(c[1])) for c in KERAS_CASES])
def test_verbs_keras_container(name, args, tmp_path):
    K = K_("3")
    src = str(tmp_path / (name + ".keras"))
    load(src_path("k3", name), "k3").save(src)
    out = str(tmp_path / "out.keras")
    verb, rest = args[0], args[1:]
    modelsurg(verb, src, "-o", out, *rest)
    m, got = K.saving.load_model(src, compile=False), K.saving.load_model(out, compile=False)
    x = batch_for(m)
    if verb == "extract":
        opt = dict(zip(rest[::2], rest[1::2]))
        outs = [t for n in opt["--output"].split(",") for t in layer_outputs(m.get_layer(n))]
        ref = K.Model(m.inputs, outs)
        if "--input" in opt:
            cut = run(K.Model(m.inputs, layer_outputs(m.get_layer("relu"))), x)
            feed = cut + x
        else:
            feed = x
        check_bits("extract", run(got, feed), run(ref, x))
    elif verb == "rename":
        check_bits("core", weights_of(got.get_layer("core")), weights_of(m.get_layer("inner")))
        check_bits("predictions", run(got, x), run(m, x))
    else:
        want = run(m, x)
        python_freeze(K, m, rest)
        p = str(tmp_path / "python_edit.keras")
        m.save(p)
        assert totals(got) == totals(K.saving.load_model(p, compile=False))
        assert summary_totals(out) == totals(got)
        check_bits("predictions", run(got, x), want)
