"""Keras 3 `.keras` archives (zip) against Keras 3, the oracle.

Sources: every testdata/k3/NAME.keras (gen_fixtures.py saves each Keras 3
fixture model both ways) and, when cached or selected, the application
models as .keras (gen_apps.py --out NAME.keras, in .cache/apps/k3/).

- strip: .keras -> .keras, .keras -> .h5 and .h5 -> .keras load with
  keras.models.load_model; every variable Keras loads is bit-identical to
  those Keras loads from the source .keras (the arrays, as the paths differ
  between the formats), and predictions are equal bit for bit; strip keeps
  compile_config, --all and surgery drop it; the .keras outputs hold
  exactly Keras's variable paths (layers/<class>[_N]/.../vars/<i>), without
  the optimizer's.
- summary of NAME.keras is the summary of NAME.h5 (whose text the golden
  tests check against Keras).
- replace-head on NAME.keras, for every case of test_head.FIXTURE_HEADS:
  the output loads; its layers, totals and predictions are those of
  Keras's own surgery (the source .keras loaded, cut, the head written with
  Keras layers, the output's new weights copied in); each kept layer's
  variables are the source's, bit for bit.
- reshape-input on NAME.keras (branches at 16x16x3 and None,None,3, nested
  with --nest): Keras's clone_model on the new input with the source's
  weights predicts the same; all variables bit-identical to the source's.
- Applications (ResNet50 .keras): reshape-input 128x128x3 and replace-head
  load and match Keras's own model the same way.
"""

import json
import os
import zipfile

import numpy as np
import pytest

import keras_report
from conftest import APPS_DIR, TESTDATA, batch_for, run_modelsurg, sha256
from test_head import (FIXTURE_HEADS, _inputs_used, call_output, check_bits, check_close, compare_layers,
                       copy_weights, python_head, run, submodel, totals)

KERAS_FIXTURES = sorted(p.stem for p in (TESTDATA / "k3").glob("*.keras"))
# Fixtures whose .h5 twin holds other values (trained by the builder; ints
# edited into the .h5 after saving): compared with the .keras only.
NOT_TWINS = {"optimizer", "bool_ints"}


def load3(path):
    return keras_report.load(str(path), "3")


def arrays(model):
    return [np.asarray(w.numpy()) for w in model.weights]


def same_arrays(what, got, want):
    assert len(got) == len(want), "%s: %d variables, want %d" % (what, len(got), len(want))
    for i, (a, b) in enumerate(zip(got, want)):
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), (
            "%s: variable #%d is not bit-identical" % (what, i))


def ok(*args):
    p = run_modelsurg(*args)
    assert p.returncode == 0, "modelsurg %s exited %d:\n%s" % (" ".join(map(str, args)), p.returncode, p.stderr.decode()[-3000:])
    return p


def members(path):
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        assert all(i.compress_type == zipfile.ZIP_STORED for i in infos), "%s: a member is not stored" % path
        return {i.filename: z.read(i.filename) for i in infos}


def variables(path):
    """The dataset paths of an archive's model.weights.h5."""
    import io

    import h5py

    names = []
    with h5py.File(io.BytesIO(members(path)["model.weights.h5"]), "r") as f:
        f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
    return names


@pytest.mark.parametrize("name", KERAS_FIXTURES)
def test_keras_strip(name, tmp_path):
    src = TESTDATA / "k3" / (name + ".keras")
    before = sha256(src)
    ref = load3(src)
    want, ys = arrays(ref), run(None, ref, batch_for(ref))
    outs = {"k2k": tmp_path / "a.keras", "k2h": tmp_path / "b.h5"}
    ok("strip", src, "-o", outs["k2k"])
    ok("strip", src, "-o", outs["k2h"])
    if name not in NOT_TWINS:
        outs["h2k"] = tmp_path / "c.keras"
        ok("strip", TESTDATA / "k3" / (name + ".h5"), "-o", outs["h2k"])
    assert sha256(src) == before, "strip modified its input"
    for what, out in outs.items():
        m = load3(out)
        same_arrays("%s %s" % (name, what), arrays(m), want)
        check_bits("%s %s predictions" % (name, what), run(None, m, batch_for(m)), ys)
    cfg = json.loads(members(outs["k2k"])["config.json"])
    src_cfg = json.loads(members(src)["config.json"])
    assert cfg.get("compile_config") == src_cfg.get("compile_config"), "strip must keep compile_config"
    keras_paths = sorted(v for v in variables(src) if not v.startswith("optimizer/"))
    for what in ("k2k", "h2k"):
        if what in outs:
            assert sorted(variables(outs[what])) == keras_paths, "%s %s: not Keras's variable paths" % (name, what)
    all_ = tmp_path / "d.keras"
    ok("strip", "--all", src, "-o", all_)
    assert "compile_config" not in json.loads(members(all_)["config.json"])


@pytest.mark.parametrize("name", [n for n in KERAS_FIXTURES if n not in NOT_TWINS])
def test_keras_summary(name):
    a = ok("summary", TESTDATA / "k3" / (name + ".keras")).stdout
    b = ok("summary", TESTDATA / "k3" / (name + ".h5")).stdout
    assert a == b


@pytest.mark.parametrize("fx,args,cut", FIXTURE_HEADS, ids=["%s:%s" % (f, "_".join(a).replace("--", "") or "default")
                                                           for f, a, _ in FIXTURE_HEADS])
def test_keras_head(fx, args, cut, tmp_path):
    import keras as K

    src = TESTDATA / "k3" / (fx + ".keras")
    out = tmp_path / "out.keras"
    if "--classes" not in args:
        args = args + ["--classes", "2"]
    ok("replace-head", src, "-o", out, *args)
    assert "compile_config" not in json.loads(members(out)["config.json"]), "surgery must drop compile_config"
    what = "k3/%s.keras %s" % (fx, " ".join(args))
    s = load3(src)
    m = load3(out)
    x = batch_for(s)
    used = _inputs_used(K, s, cut)
    xs = [x[i] for i, t in enumerate(s.inputs) if any(t is u for u in used)]
    backbone = K.Model(used if len(used) > 1 else used[0], call_output(s.get_layer(cut)))
    base = run(K, backbone, xs)
    check_bits(what + ": cut layer output vs the source's", base, run(K, submodel(K, m, cut), xs))
    kept = {l.name: l for l in backbone.layers}
    for l in m.layers:
        if l.name in kept and type(l).__name__ == type(kept[l.name]).__name__ and l.weights:
            same_arrays("%s: kept layer %s" % (what, l.name), arrays(l), arrays(kept[l.name]))
    y = python_head(K, call_output(s.get_layer(cut)), args)
    ref = K.Model(used if len(used) > 1 else used[0], y)
    if "--freeze-base" in args:
        for l in s.layers:
            l.trainable = False
        rt = str(tmp_path / "ref_roundtrip.keras")
        ref.save(rt)
        ref = load3(rt)
    compare_layers(what, m, ref)
    assert totals(m) == totals(ref), "%s: totals %s, Keras's %s" % (what, totals(m), totals(ref))
    copy_weights(ref, m)
    check_close(what, run(K, ref, xs), run(K, m, xs))


@pytest.mark.parametrize("shape", [(16, 16, 3), (None, None, 3)])
def test_keras_reshape(shape, tmp_path):
    import keras as K

    src = TESTDATA / "k3" / "branches.keras"
    out = tmp_path / "out.keras"
    ok("reshape-input", src, "--shape", ",".join("None" if d is None else str(d) for d in shape), "-o", out)
    s, m = load3(src), load3(out)
    same_arrays("branches reshaped", arrays(m), arrays(s))
    ref = K.models.clone_model(s, input_tensors=K.Input(shape))
    ref.set_weights(s.get_weights())
    xs = [np.random.default_rng(0).standard_normal((2, 16, 16, 3)).astype("float32")]
    check_close("branches reshaped %s" % (shape,), run(K, ref, xs), run(K, m, xs))


def test_keras_nest(tmp_path):
    import keras as K

    src = TESTDATA / "k3" / "nested.keras"
    out = tmp_path / "out.keras"
    ok("reshape-input", src, "--nest", "--shape", "6", "-o", out)
    s, m = load3(src), load3(out)
    same_arrays("nested --nest", arrays(m), arrays(s))
    ins = K.Input((6,))
    ref = K.Model(ins, s(ins))
    xs = batch_for(s)
    check_bits("nested --nest", run(K, ref, xs), run(K, m, xs))


def app_keras(name):
    p = APPS_DIR / "k3" / (name + ".keras")
    if not p.exists():
        import gen_apps

        gen_apps.generate("k3", name, str(p))
    return p


def test_keras_app_resnet50(tmp_path):
    import keras as K

    src = app_keras("resnet50")
    r128, head = tmp_path / "r128.keras", tmp_path / "head.keras"
    ok("reshape-input", src, "--shape", "128,128,3", "-o", r128)
    ok("replace-head", src, "--classes", "2", "--seed", "1", "-o", head)
    s = load3(src)
    xs = [np.random.default_rng(0).standard_normal((2, 128, 128, 3)).astype("float32")]
    m = load3(r128)
    same_arrays("resnet50 128", arrays(m), arrays(s))
    ref = K.applications.ResNet50(weights=None, include_top=True, input_shape=(128, 128, 3))
    ref.set_weights(s.get_weights())
    check_close("resnet50 128", run(K, ref, xs), run(K, m, xs))
    del m, ref
    m = load3(head)
    assert m.layers[-1].name == "predictions" and tuple(m.outputs[0].shape) == (None, 2)
    kept = {l.name: l for l in s.layers if l.weights and l.name != "predictions"}
    for l in m.layers:
        if l.name in kept:
            same_arrays("resnet50 head: kept %s" % l.name, arrays(l), arrays(kept[l.name]))
