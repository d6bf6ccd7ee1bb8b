"""`modelsurg strip` against Keras: the output must be the same model.

For every case (fixture or app model), OUT = `modelsurg strip SRC -o OUT`:
- SRC is not modified;
- every dataset under model_weights (the file root for weights-only files) is
  byte-identical in OUT (same paths, dtype, shape, raw bytes), and the
  layer_names / weight_names lists Keras loads by are unchanged;
- OUT has no optimizer_weights, and keeps training_config if SRC had one;
- OUT loads with load_model(compile=False) in the Keras that wrote SRC, and its
  predictions on a fixed random batch equal SRC's bit for bit;
- "other" side: the same in the other Keras, whenever that Keras loads SRC
  itself (else that pairing is skipped: see testdata/FIXTURES.md);
- `strip --all` also drops training_config.
Weights-only files have no model to load: Keras builds the fixture's
architecture (testdata/gen_fixtures.py) and load_weights() SRC / OUT.

strip must refuse -o equal to its input and an existing output without
--force: non-zero exit, input and existing output untouched, nothing left in
the directory.
"""

import os
import shutil

import h5py
import numpy as np
import pytest

import keras_report
from conftest import PREDICT_SKIP, TESTDATA, LoadError, run_modelsurg, sha256


# --------------------------------------------------------------------------
# helpers


def weights_root(f):
    return f["model_weights"] if "model_weights" in f else f


def datasets(path):
    """[(relative path, dataset)] under the weights root, in visiting order."""
    f = h5py.File(path, "r")
    root = weights_root(f)
    out = []
    root.visititems(lambda n, o: out.append((n, o)) if isinstance(o, h5py.Dataset) else None)
    return f, root.name, out


def raw(ds):
    return np.ascontiguousarray(np.asarray(ds[()])).tobytes()


def first_byte_diff(a, b):
    n = min(len(a), len(b))
    for i in range(0, n, 1 << 16):
        if a[i : i + (1 << 16)] != b[i : i + (1 << 16)]:
            for j in range(i, min(i + (1 << 16), n)):
                if a[j] != b[j]:
                    return j
    return n


def check_same_weights(case_id, src, out):
    """Every dataset under the weights root is byte-identical; same set of paths."""
    fs, rname, ds_src = datasets(src)
    fo, _, ds_out = datasets(out)
    try:
        out_by = dict(ds_out)
        for name, d in ds_src:
            where = "%s: %s/%s" % (case_id, rname, name)
            assert name in out_by, "%s: missing in strip output" % where
            o = out_by[name]
            assert o.dtype == d.dtype, "%s: dtype %s != source %s" % (where, o.dtype, d.dtype)
            assert o.shape == d.shape, "%s: shape %s != source %s" % (where, o.shape, d.shape)
            a, b = raw(d), raw(o)
            if a != b:
                i = first_byte_diff(a, b)
                pytest.fail("%s: raw bytes differ from the source (first at byte %d of %d)" % (where, i, len(a)),
                            pytrace=False)
        extra = [n for n, _ in ds_out if n not in dict(ds_src)]
        assert not extra, "%s: strip output has datasets the source lacks: %s" % (case_id, extra[:5])
    finally:
        fs.close()
        fo.close()


def name_lists(path):
    """{group path: list} of layer_names / weight_names (chunk-aware)."""
    res = {}
    with h5py.File(path, "r") as f:
        root = weights_root(f)
        res[root.name + "@layer_names"] = keras_report.read_chunked_attr(root, "layer_names")
        for n in res[root.name + "@layer_names"]:
            g = root[n]
            res[g.name + "@weight_names"] = keras_report.read_chunked_attr(g, "weight_names")
    return res


def check_same_name_lists(case_id, src, out):
    a, b = name_lists(src), name_lists(out)
    for k, v in a.items():
        assert b.get(k) == v, "%s: %s differs in strip output:\n  source %s\n  output %s" % (
            case_id, k, str(v)[:300], str(b.get(k))[:300])


def attr_text(path, name):
    with h5py.File(path, "r") as f:
        v = f.attrs.get(name)
    return None if v is None else keras_report._str(v)


def builder_for(case):
    return case.name if case.weights_only else None


def first_layer_weight_diff(oracle, a_path, b_path, k, builder):
    """Name of the first layer whose weights differ between two loaded models."""
    try:
        ma = oracle.load(a_path, k, builder)
        mb = oracle.load(b_path, k, builder)
    except Exception as e:  # noqa: BLE001
        return "(could not reload to localize: %s)" % e
    la = {l.name: l for l in ma.layers}
    for lb in mb.layers:
        l = la.get(lb.name)
        if l is None:
            return "layer %s missing in one model" % lb.name
        wa, wb = l.get_weights(), lb.get_weights()
        if len(wa) != len(wb):
            return "layer %s: %d vs %d weights" % (lb.name, len(wa), len(wb))
        for i, (x, y) in enumerate(zip(wa, wb)):
            if x.shape != y.shape or x.tobytes() != y.tobytes():
                return "layer %s weight %d (%s)" % (lb.name, i, getattr(l.weights[i], "name", "?"))
    return "no layer weights differ (difference is in the graph/config)"


def check_same_preds(case_id, k, ref, got, localize):
    assert len(ref) == len(got), "%s: Keras %s: %d outputs vs source %d" % (case_id, k, len(got), len(ref))
    for i, (a, b) in enumerate(zip(ref, got)):
        if a.dtype != b.dtype or a.shape != b.shape or a.tobytes() != b.tobytes():
            detail = ""
            if a.shape == b.shape:
                diff = np.argwhere(a.view(np.uint8).reshape(-1) != b.view(np.uint8).reshape(-1)) if a.dtype == b.dtype else []
                if len(diff):
                    j = int(diff[0][0]) // a.dtype.itemsize
                    detail = "; first difference at flat index %d: %r vs %r" % (j, a.reshape(-1)[j], b.reshape(-1)[j])
            pytest.fail(
                "%s: Keras %s predictions of the strip output differ from the source at output %d "
                "(%s %s vs %s %s%s); first differing layer: %s"
                % (case_id, k, i, b.dtype, b.shape, a.dtype, a.shape, detail, localize()),
                pytrace=False,
            )


# --------------------------------------------------------------------------
# tests


@pytest.mark.parametrize("side", ["native", "other"])
def test_strip_roundtrip(case, side, src, oracle, stripped):
    builder = builder_for(case)
    if side == "native":
        k = case.keras
        ref = oracle.analyze(src, k, builder)  # a LoadError here is a broken fixture: fail
    else:
        k = case.other_keras
        try:
            ref = oracle.analyze(src, k, builder)
        except LoadError as e:
            pytest.skip("Keras %s does not load the source itself: %s" % (k, str(e).split(": ", 2)[-1]))

    out = stripped.get(case, src)

    if side == "native":
        check_same_weights(case.id, src, out)
        check_same_name_lists(case.id, src, out)
        with h5py.File(out, "r") as f:
            assert "optimizer_weights" not in f, "%s: strip output still has optimizer_weights" % case.id
        tc = attr_text(src, "training_config")
        if tc is not None:
            assert attr_text(out, "training_config") == tc, (
                "%s: strip must keep training_config (without --all)" % case.id)
        assert attr_text(out, "model_config") == attr_text(src, "model_config"), (
            "%s: strip changed model_config" % case.id)

    try:
        got = oracle.analyze(out, k, builder, want_report=False, cache=False)
    except LoadError as e:
        pytest.fail("%s: Keras %s loads the source but not the strip output: %s" % (case.id, k, e), pytrace=False)

    if (case.dialect, case.name) in PREDICT_SKIP:
        pytest.skip("prediction skipped: %s" % PREDICT_SKIP[(case.dialect, case.name)])
    check_same_preds(case.id, k, ref["preds"], got["preds"],
                     lambda: first_layer_weight_diff(oracle, src, out, k, builder))


def test_strip_all(case, src, oracle, stripped):
    """strip --all: no training_config and no optimizer_weights; weights intact; loads."""
    out = stripped.get(case, src, all_=True)
    try:
        with h5py.File(out, "r") as f:
            assert "training_config" not in f.attrs, "%s: strip --all kept training_config" % case.id
            assert "optimizer_weights" not in f, "%s: strip --all kept optimizer_weights" % case.id
        check_same_weights(case.id, src, out)
        builder = builder_for(case)
        ref = oracle.analyze(src, case.keras, builder)
        try:
            got = oracle.analyze(out, case.keras, builder, want_report=False, cache=False)
        except LoadError as e:
            pytest.fail("%s: Keras %s cannot load the strip --all output: %s" % (case.id, case.keras, e),
                        pytrace=False)
        if (case.dialect, case.name) not in PREDICT_SKIP:
            check_same_preds(case.id, case.keras, ref["preds"], got["preds"],
                             lambda: first_layer_weight_diff(oracle, src, out, case.keras, builder))
    finally:
        if case.kind == "app":
            stripped.drop(case, all_=True)  # 15-100 MB each


# The refusal tests work on copies, so a misbehaving binary cannot touch testdata.
REFUSE_SOURCES = ["k2/optimizer", "k3/optimizer"]


def _copy_fixture(tmp_path, fx):
    d = tmp_path / "work"
    d.mkdir()
    src = d / "model.h5"
    shutil.copyfile(TESTDATA / (fx + ".h5"), src)
    return d, src


@pytest.mark.parametrize("fx", REFUSE_SOURCES)
@pytest.mark.parametrize("spelling", ["same", "dot-segment", "relative"])
def test_strip_refuses_output_equal_to_input(tmp_path, fx, spelling):
    d, src = _copy_fixture(tmp_path, fx)
    before = sha256(src)
    listing = sorted(os.listdir(d))
    out = {"same": str(src), "dot-segment": str(d / "." / "model.h5"),
           "relative": os.path.relpath(src)}[spelling]
    for extra in ([], ["--force"]):
        p = run_modelsurg("strip", str(src), "-o", out, *extra)
        assert p.returncode != 0, "%s: strip -o %s %s (the input itself) exited 0" % (fx, out, " ".join(extra))
        assert sha256(src) == before, "%s: strip -o <input> %s modified the input" % (fx, " ".join(extra))
        assert sorted(os.listdir(d)) == listing, "%s: strip left files behind: %s" % (fx, sorted(os.listdir(d)))


@pytest.mark.parametrize("fx", REFUSE_SOURCES)
def test_strip_refuses_existing_output_without_force(tmp_path, fx):
    d, src = _copy_fixture(tmp_path, fx)
    out = d / "out.h5"
    out.write_bytes(b"not an hdf5 file, and must stay so\n")
    before, out_before = sha256(src), sha256(out)
    listing = sorted(os.listdir(d))
    p = run_modelsurg("strip", str(src), "-o", str(out))
    assert p.returncode != 0, "%s: strip over an existing output without --force exited 0" % fx
    assert sha256(src) == before, "%s: strip modified its input" % fx
    assert sha256(out) == out_before, "%s: strip overwrote an existing output without --force" % fx
    assert sorted(os.listdir(d)) == listing, "%s: strip left files behind: %s" % (fx, sorted(os.listdir(d)))
    assert p.stderr.strip(), "%s: refusal without a message on stderr" % fx

    p = run_modelsurg("strip", str(src), "-o", str(out), "--force")
    assert p.returncode == 0, "%s: strip --force exited %d: %s" % (fx, p.returncode, p.stderr.decode()[-2000:])
    assert sha256(src) == before, "%s: strip --force modified its input" % fx
    with h5py.File(out, "r") as f:
        assert "model_config" in f.attrs and "optimizer_weights" not in f
    assert sorted(os.listdir(d)) == listing, "%s: strip --force left files behind: %s" % (fx, sorted(os.listdir(d)))
