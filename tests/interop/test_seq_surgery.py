"""reshape-input and replace-head on sequence models (RNNs, attention) against Keras.

reshape-input: a new sequence length (the time axis of every input) on the
rnn and attention fixtures. Keras's own model at the new
length is clone_model on new Inputs with the source's weights set into it;
OUT loads in the Keras that wrote the source, has that model's layers (name,
class, output shapes, params) and predicts what it predicts.

replace-head --classes 3: the default cut of a text classifier is the input
of its final Dense (issue #12). OUT loads; every kept layer has the source's
weights bit for bit; the features at the cut (Keras's Model(inputs,
get_layer(cut).output) on the source and on OUT) are identical; the new
classifier reads them and gives 3 classes.
"""

import numpy as np
import pytest

from conftest import TESTDATA, run_modelsurg
from test_reshape import assert_preds, assert_rows, clone_at, kmod, load, predict, reshape, rows

# fixture -> new length of the time axis of every input (kwargs_tensor flattens
# its time axis into a Dense: a new length is refused there, as Keras would)
SEQ = {"rnn": 9, "attention": 7}


def src_path(dialect, name):
    return str(TESTDATA / dialect / (name + ".h5"))


def seq_batch(model, seed=0):
    """A batch for model: indices below the vocabulary for inputs that feed
    an Embedding, normal floats otherwise."""
    rng = np.random.default_rng(seed)
    vocab = {}
    for layer in model.layers:
        if type(layer).__name__ == "Embedding":
            for t in model.inputs:
                vocab[id(t)] = layer.input_dim
    xs = []
    for t in model.inputs:
        shape = [2] + [int(d) for d in tuple(t.shape)[1:]]
        feeds_embedding = any(type(l).__name__ == "Embedding" and t.name.split(":")[0] in str(l.input) for l in model.layers)
        if feeds_embedding or not str(getattr(t.dtype, "name", t.dtype)).startswith("float"):
            xs.append(rng.integers(0, min(vocab.values() or [10]), size=shape).astype("int32"))
        else:
            xs.append(rng.standard_normal(shape).astype("float32"))
    return xs


@pytest.mark.parametrize("name", list(SEQ))
@pytest.mark.parametrize("dialect", ["k2", "k3"])
def test_new_sequence_length(dialect, name, tmp_path):
    src = src_path(dialect, name)
    k = dialect[1]
    K = kmod(k)
    K.backend.clear_session()
    s = load(src, k)
    n = SEQ[name]
    # every axis of an attention mask is a time axis
    shapes = [(n,) * (len(t.shape) - 1) if "mask" in t.name else (n,) + tuple(int(d) for d in tuple(t.shape)[2:]) for t in s.inputs]
    args = []
    for t, shp in zip(s.inputs, shapes):
        args += ["--input", "%s=%s" % (t.name.split(":")[0], ",".join(map(str, shp)))]
    out = tmp_path / "o.h5"
    reshape(src, out, *args)
    ref = clone_at(K, s, shapes)
    ref.set_weights(s.get_weights())
    m = load(out, k)
    what = "%s/%s at length %d" % (dialect, name, n)
    assert_rows(what, rows(m), rows(ref))
    xs = seq_batch(ref)
    assert_preds(what, predict(m, xs), predict(ref, xs), tol=0.0)


@pytest.mark.parametrize("dialect", ["k2", "k3"])
def test_text_classifier_head(dialect, tmp_path):
    src = src_path(dialect, "rnn")
    out = tmp_path / "o.h5"
    p = run_modelsurg("replace-head", src, "--classes", "3", "-o", out)
    err = p.stderr.decode() if isinstance(p.stderr, bytes) else p.stderr
    assert p.returncode == 0, err
    cut = err.split('cutting at layer "')[1].split('"')[0]
    k = dialect[1]
    K = kmod(k)
    K.backend.clear_session()
    s, m = load(src, k), load(out, k)
    final = s.layers[-1].name
    kept = [l.name for l in m.layers if l.name in {x.name for x in s.layers} and l.name != final]
    assert cut in kept, "%s: cut %s not kept" % (dialect, cut)
    for name in kept:
        a, b = s.get_layer(name).get_weights(), m.get_layer(name).get_weights()
        assert len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b)), "%s: layer %s weights changed" % (dialect, name)
    xs = seq_batch(s)
    fs = K.Model(s.inputs, s.get_layer(cut).output)
    fm = K.Model(m.inputs, m.get_layer(cut).output)
    assert_preds("%s: features at %s" % (dialect, cut), predict(fm, xs), predict(fs, xs), tol=0.0)
    ys = predict(m, xs)
    assert ys[0].shape == (2, 3), ys[0].shape
