"""`modelsurg transfer-weights` and `diff` against Keras (the oracle), in the
Keras that wrote each source (tf_keras for k2, keras for k3; both support
load_weights(by_name=True) on legacy .h5 files).

- transfer-weights FROM TO -o OUT: OUT loaded holds, layer by layer and bit
  for bit, what TO loaded holds after Keras's own
  TO.load_weights(FROM, by_name=True, skip_mismatch=True). TO is a
  "fine-tuned" model: the fixture with weights Python redrew and a new
  2-class head (modelsurg replace-head); FROM is the fixture itself
  (backbone copied, head kept) and the fixture with a 3-class head (the
  head's kernel and bias skipped for their shapes, as Keras skips them).
- diff: OUT and TO differ exactly in the backbone layers; a file saved again
  by Keras after load_weights diffs equal to OUT.
"""

import json

import numpy as np
import pytest

import keras_report
from conftest import DIALECTS, TESTDATA, run_modelsurg

PAIRS = ["sequential_cnn", "branches", "nested", "layers_mix", "rnn"]


def load(path, dialect):
    return keras_report.load(str(path), "2" if dialect == "k2" else "3")


def weights_of(layer):
    return [np.asarray(w) for w in layer.get_weights()]


def check_bits(what, got, want):
    assert len(got) == len(want), "%s: %d arrays, want %d" % (what, len(got), len(want))
    for i, (a, b) in enumerate(zip(got, want)):
        assert a.dtype == b.dtype and a.shape == b.shape, "%s #%d: %s %s, want %s %s" % (
            what, i, a.dtype, a.shape, b.dtype, b.shape)
        assert a.tobytes() == b.tobytes(), "%s #%d: not bit-identical" % (what, i)


def redrawn(src, dialect, path):
    """Saves the model of src with every weight redrawn (seeded) to path."""
    m = load(str(src), dialect)
    rng = np.random.default_rng(7)
    m.set_weights([rng.standard_normal(w.shape).astype(w.dtype) for w in m.get_weights()])
    m.save(str(path))


def check_same_weights(what, got, want):
    names = [layer.name for layer in want.layers]
    assert [layer.name for layer in got.layers] == names, what
    for layer in want.layers:
        check_bits("%s: layer %s" % (what, layer.name), weights_of(got.get_layer(layer.name)), weights_of(layer))


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", PAIRS)
def test_transfer_is_load_weights_by_name(tmp_path, dialect, name):
    src = TESTDATA / dialect / (name + ".h5")
    tuned0, tuned, from3 = tmp_path / "tuned0.h5", tmp_path / "tuned.h5", tmp_path / "from3.h5"
    redrawn(src, dialect, tuned0)
    run_modelsurg("replace-head", tuned0, "--classes", 2, "-o", tuned, check=True)
    run_modelsurg("replace-head", src, "--classes", 3, "--seed", 3, "-o", from3, check=True)
    for frm in (src, from3):
        out = tmp_path / ("out_%s.h5" % frm.stem)
        p = run_modelsurg("transfer-weights", frm, tuned, "-o", out, check=True)
        stderr = p.stderr.decode()
        want = load(str(tuned), dialect)
        want.load_weights(str(frm), by_name=True, skip_mismatch=True)
        got = load(str(out), dialect)
        check_same_weights("%s/%s from %s" % (dialect, name, frm.name), got, want)
        if frm == from3:
            assert "skipped weight" in stderr and "of layer \"predictions\"" in stderr, stderr
        # Keras's own result, saved, diffs equal to modelsurg's
        saved = tmp_path / ("keras_%s.h5" % frm.stem)
        want.save(str(saved))
        d = run_modelsurg("diff", out, saved, "--format", "json")
        report = json.loads(d.stdout)
        assert d.returncode == 0 and report["equal"], d.stdout.decode()[-2000:]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_diff_lists_the_backbone(tmp_path, dialect):
    """After a transfer, diff TO OUT names every layer whose weights Keras
    changed, and no other."""
    src = TESTDATA / dialect / "sequential_cnn.h5"
    tuned0, tuned, out = tmp_path / "tuned0.h5", tmp_path / "tuned.h5", tmp_path / "out.h5"
    redrawn(src, dialect, tuned0)
    run_modelsurg("replace-head", tuned0, "--classes", 2, "-o", tuned, check=True)
    run_modelsurg("transfer-weights", src, tuned, "-o", out, check=True)
    before, after = load(str(tuned), dialect), load(str(out), dialect)
    changed = sorted(
        layer.name
        for layer in before.layers
        if any(a.tobytes() != b.tobytes() for a, b in zip(weights_of(layer), weights_of(after.get_layer(layer.name))))
    )
    d = run_modelsurg("diff", tuned, out, "--format", "json")
    assert d.returncode == 1, d.stderr.decode()
    report = json.loads(d.stdout)
    assert sorted(c["name"] for c in report["changed"]) == changed == ["conv"]
    assert all(w["status"] == "different" for c in report["changed"] for w in c["weights"])
