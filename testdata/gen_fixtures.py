#!/usr/bin/env python3
"""Generate the Keras HDF5 fixtures under testdata/.

Written for (and refusing to run with anything else):
    Python 3.11, tensorflow(-cpu) 2.21.0, tf-keras 2.21.0, keras 3.15.1,
    h5py 3.14.0, numpy 2.4.6 (the pins in requirements-test.txt).
Python's minor version matters because a Lambda layer stores marshalled
bytecode: lambda.h5 only loads under the Python minor version that wrote it.

Run from the repository root:  .venv/bin/python testdata/gen_fixtures.py
(`make fixtures` does exactly that); with --keras-only it writes only the
k3/NAME.keras files, from the same builders. It writes

    testdata/k2/NAME.h5                 written by Keras 2 (tf_keras), model.save
    testdata/k3/NAME.h5                 written by Keras 3 (keras), model.save
    testdata/k3/NAME.keras              the same Keras 3 model saved in Keras 3's
                                        native zip format (model.save("NAME.keras"))
    testdata/golden/{k2,k3}/NAME.summary.txt
                                        Keras's own model.summary() of the
                                        file reloaded with load_model(compile=False)
    testdata/configs/{k2,k3}/NAME.json  the model_config as stored (Go tests, fuzz seeds)
    testdata/FIXTURES.md                the fixture table, with cross-load and
                                        prediction results measured here

Both Kerases run in this one process (TensorFlow backend). Layers are named explicitly
(layers for TensorFlow / keras.ops calls by Keras, after clear_session), every model is
built right after a fixed seed. This is test tooling only: modelsurg never runs Python.
"""

import io
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")  # default on some CPUs only; without it channels_first fails
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


# Forms of real files (issue #12). TensorFlow ops on KerasTensors: tf_keras
# records each as a TFOpLambda (SlicingOpLambda for x[...]) whose inbound
# node holds the op's other arguments as kwargs, tensors there as
# ["layer", node, index]; only tf_keras can write them.
def build_tfops(K):
    L = K.layers
    a = K.Input((6,), name="in_a")
    b = K.Input((6,), name="in_b")
    h = L.Dense(8, name="dense_a")(a)
    g = L.Dense(8, name="dense_b")(b)
    r = tf.nn.relu6((h + 3) * 2.0)
    c = tf.concat([r, g], axis=-1)  # (None, 16)
    s = tf.transpose(tf.reshape(c, (-1, 4, 4)), perm=[0, 2, 1])
    s = tf.squeeze(tf.expand_dims(s, axis=1), axis=1)
    mean = tf.reduce_mean(s, axis=1, keepdims=True)  # (None, 1, 4)
    gram = tf.matmul(s, s, transpose_b=True)  # the second operand is the keyword "b"
    y = L.Concatenate(name="cat")([
        L.Flatten(name="flat_mean")(mean), L.Flatten(name="flat_gram")(gram), h[:, 1:3],
        tf.math.add(r, g), tf.maximum(r, g), tf.reduce_mean(s, axis=[1, 2])[:, None]])
    return K.Model([a, b], L.Dense(2, name="out")(y), name="tfops")


def build_tfops_multi(K):
    # Ops with several outputs (tf.split, tf.unstack: tensor indices 0 and 1),
    # a constant first argument (["_CONSTANT_VALUE", -1, 3.0, {...}]), a bool tensor.
    L = K.layers
    x = K.Input((6,), name="x")
    h = L.Dense(8, name="dense")(x)
    p, q = tf.split(h, 2, axis=-1)
    u = tf.unstack(tf.reshape(h, (-1, 2, 4)), axis=1)
    st = L.Flatten(name="flat_stack")(tf.stack([p, q], axis=1))
    y = L.Concatenate(name="cat")([
        p, q, u[0], u[1], st, tf.where(h > 0, h, 0.5), tf.concat([p, tf.ones_like(q)], axis=-1),
        3.0 - p, tf.gather(h, [0, 2, 4], axis=1), tf.clip_by_value(h, -1.0, 1.0)])
    return K.Model(x, L.Dense(2, name="out")(y), name="tfops_multi")


def build_keras3_ops(K):
    # The keras.ops forms Keras 3 reads back from .h5: constants in a merge
    # layer's input list ({"class_name": "__tensor__"} / "__numpy__"), and
    # ops.concatenate, written as a Concatenate with a minimal config.
    L = K.layers
    x = K.Input((6,), name="x")
    h = L.Dense(4, name="dense")(x)
    a = L.Add(name="add_const")([h, keras.ops.ones((1, 4))])
    m = L.Multiply(name="mul_const")([h, np.full((1, 4), 2.0, "float32")])
    c = keras.ops.concatenate([a, m], axis=-1)
    return K.Model(x, L.Dense(2, name="out")(c), name="keras3_ops")


def build_keras3_unloadable(K):
    # What Keras 3 writes to .h5 but cannot load (only its config is kept):
    # operations (x + 1, ops.relu, slicing, ...) become layers of classes
    # Add, Relu, GetItem, ... with no module; Embedding(mask_zero) passes its
    # mask to the LSTM through a NotEqual operation; Attention's default
    # score_mode "dot" is read back as the function ops.dot.
    L = K.layers
    ops = keras.ops
    x = K.Input((6,), name="x")
    h = L.Dense(8, name="dense")(x)
    t = ops.relu6((h + 1) * 2.0)
    s = ops.transpose(ops.reshape(t, (-1, 2, 4)), axes=(0, 2, 1))
    p, q = ops.split(h, 2, axis=-1)
    parts = [h[:, 1:3], ops.mean(s, axis=1), ops.maximum(p, q), 3.0 - p,
             ops.add(h, ops.ones((8,)))]
    tokens = K.Input((5,), name="tokens", dtype="int32")
    e = L.Embedding(10, 3, mask_zero=True, name="embed")(tokens)
    parts.append(L.LSTM(2, name="lstm_masked")(e))
    parts.append(L.GlobalAveragePooling1D(name="pool")(L.Attention(name="dot_attn")([e, e])))
    return K.Model([x, tokens], L.Dense(2, name="out")(L.Concatenate(name="cat")(parts)), name="keras3_unloadable")


def build_kwargs_tensor(K):
    # Tensors passed as keyword arguments: MultiHeadAttention's value, key and
    # attention_mask (different branches), both outputs of return_attention_scores
    # used, and in Keras 3 a Dense whose only input is the keyword "inputs".
    # The sequences have one length: Keras 3.15.1 infers the scores of a
    # query of length 5 and a value of length 7 as (None, 2, 5, 5).
    L = K.layers
    q_in = K.Input((5, 6), name="query_in")
    kv_in = K.Input((5, 4), name="kv_in")
    mask = K.Input((5, 5), name="mask_in")
    q = L.Dense(6, name="q_proj")(q_in)
    v = L.Dense(3, name="v_proj")(kv_in)
    k = L.Dense(5, name="k_proj")(kv_in)
    o, scores = L.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")(
        q, value=v, key=k, return_attention_scores=True)
    o = L.MultiHeadAttention(num_heads=1, key_dim=3, name="self_mha")(o, o, attention_mask=mask)
    o = L.Dense(4, name="kw_dense")(inputs=o)
    y = L.Concatenate(name="cat")([L.Flatten(name="o_flat")(o), L.Flatten(name="scores_flat")(scores)])
    return K.Model([q_in, kv_in, mask], L.Dense(2, name="out")(y), name="kwargs_tensor")


def build_rnn(K):
    # The token ids come from a float input (sigmoid * 9 -> 0..8, cast by
    # Embedding) so that the suites' float32 batches are valid ids. mask_zero
    # only in tf_keras: Keras 3 writes the mask as a NotEqual operation it
    # cannot load (keras3_unloadable).
    L = K.layers
    x = K.Input((6, 3), name="seq")
    a = L.LSTM(4, return_sequences=True, name="lstm_seq")(x)
    a = L.GRU(3, reset_after=True, return_sequences=True, name="gru_reset_after")(a)
    a = L.GRU(3, reset_after=False, name="gru_reset_before")(a)
    b = L.SimpleRNN(2, return_sequences=True, name="simple_seq")(x)
    b = L.SimpleRNN(2, name="simple_last")(b)
    t = K.Input((6,), name="tokens")
    e = L.Rescaling(9.0, name="to_ids")(L.Activation("sigmoid", name="squash")(t))
    e = L.Embedding(10, 3, mask_zero=K is tf_keras, name="embed")(e)
    c = L.LSTM(3, name="lstm_embedded")(e)
    y = L.Concatenate(name="cat")([a, b, c])
    return K.Model([x, t], L.Dense(2, name="out")(y), name="rnn")


def build_seq2seq(K):
    # return_state outputs feeding other layers: an encoder's [h, c] as the
    # decoder's initial_state (tf_keras: extra inbound entries; Keras 3: the
    # keyword initial_state), a GRU's state, a Bidirectional with 5 outputs.
    L = K.layers
    src = K.Input((5, 3), name="src")
    tgt = K.Input((4, 2), name="tgt")
    enc, h, c = L.LSTM(4, return_state=True, name="encoder")(src)
    dec = L.LSTM(4, return_sequences=True, name="decoder")(tgt, initial_state=[h, c])
    gseq, gh = L.GRU(3, return_sequences=True, return_state=True, name="gru_state")(dec)
    g = L.GRU(3, name="gru_init")(gseq, initial_state=gh)
    bo, fh, _, _, bc = L.Bidirectional(L.LSTM(2, return_state=True, name="bi_cell"), name="bi_state")(src)
    s = L.Concatenate(name="cat")([enc, g, bo, fh, bc])
    dec_out = L.TimeDistributed(L.Dense(3, name="td_dense"), name="td")(dec)
    return K.Model([src, tgt], [dec_out, L.Dense(2, name="out")(s)], name="seq2seq")


def build_rnn_wrappers(K):
    L = K.layers
    x = K.Input((5, 3), name="seq")
    bc = L.Bidirectional(L.LSTM(2, return_sequences=True, name="fwd"), merge_mode="concat", name="bi_concat")(x)
    bs = L.Bidirectional(L.GRU(2, name="gru"), merge_mode="sum", name="bi_sum")(bc)
    td = L.Flatten(name="td_flat")(L.TimeDistributed(L.Dense(2, name="td_inner"), name="td_dense")(bc))
    v = K.Input((3, 6, 6, 1), name="frames")
    tc = L.TimeDistributed(L.Conv2D(2, 3, name="td_conv_inner"), name="td_conv")(v)
    cs = L.ConvLSTM2D(2, 3, padding="same", return_sequences=True, name="convlstm_seq")(tc)
    cl = L.Flatten(name="conv_flat")(L.ConvLSTM2D(2, 3, name="convlstm_last")(cs))
    y = L.Concatenate(name="cat")([bs, td, cl])
    return K.Model([x, v], L.Dense(2, name="out")(y), name="rnn_wrappers")


def build_attention(K):
    # Attention's default score_mode "dot" only in tf_keras (keras3_unloadable).
    L = K.layers
    q = K.Input((4, 6), name="query_in")
    v = K.Input((4, 6), name="value_in")
    a = L.Attention(score_mode="dot" if K is tf_keras else "concat", name="dot_attn")([q, v])
    b = L.Attention(use_scale=True, score_mode="concat", name="concat_attn")([q, v, a])
    c = L.AdditiveAttention(name="add_attn")([q, v])
    c = L.Attention(score_mode="concat", name="causal_attn")([c, c], use_causal_mask=True)
    x = L.Dense(8, name="embed")(L.Concatenate(name="join")([a, b, c]))
    # a small transformer encoder block
    h = L.MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.1, name="block_mha")(x, x)
    x = L.LayerNormalization(epsilon=1e-6, name="block_ln1")(L.Add(name="block_add1")([x, h]))
    f = L.Dense(16, activation="relu", name="block_ffn1")(x)
    f = L.Dense(8, name="block_ffn2")(L.Dropout(0.1, name="block_drop")(f))
    x = L.LayerNormalization(epsilon=1e-6, name="block_ln2")(L.Add(name="block_add2")([x, f]))
    x = L.GlobalAveragePooling1D(name="pool")(x)
    return K.Model([q, v], L.Dense(2, name="out")(x), name="attention")


def build_bool_ints(K):
    # Saved, then ints_for_bools rewrites these configs' booleans as 0/1.
    L = K.layers
    x = K.Input((6,), name="x")
    h = L.Dense(6, use_bias=False, name="no_bias")(x)
    h = L.BatchNormalization(center=False, scale=True, name="bn_scale_only")(h)
    h = L.Dense(6, activation="relu", trainable=False, name="frozen")(h)
    h = L.Reshape((3, 2), name="to_seq")(h)
    h = L.LSTM(2, return_sequences=True, go_backwards=True, name="lstm_seq")(h)
    h = L.Flatten(name="flatten")(h)
    return K.Model(x, L.Dense(2, name="out")(h), name="bool_ints")


# Layer config keys whose booleans bool_ints stores as 0 / 1. Not "trainable":
# both Kerases refuse to load an int there ("Expected `trainable` ... boolean").
BOOL_KEYS = ("use_bias", "center", "scale", "return_sequences", "return_state", "go_backwards", "stateful", "unroll")


def ints_for_bools(path):
    """Rewrite the BOOL_KEYS booleans of every layer config in path's
    model_config as ints, in place (same attribute type: variable-length ASCII)."""
    import json

    with h5py.File(path, "r+") as f:
        cfg = json.loads(f.attrs["model_config"])
        for layer in cfg["config"]["layers"]:
            c = layer["config"]
            for k in BOOL_KEYS:
                if isinstance(c.get(k), bool):
                    c[k] = int(c[k])
        f.attrs["model_config"] = json.dumps(cfg).encode("utf8")


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
    "tfops": (
        build_tfops,
        "TensorFlow ops as TFOpLambda / SlicingOpLambda: x + 3, x * 2.0, relu6, concat, reshape, transpose, "
        "expand_dims, squeeze, reduce_mean, matmul (tensor keyword b), x[:, 1:3], add / maximum (tensor keyword y)",
    ),
    "tfops_multi": (
        build_tfops_multi,
        "TFOpLambda with several outputs (split, unstack), a constant first argument (_CONSTANT_VALUE), "
        "where (tensor keyword x), stack, gather, clip_by_value",
    ),
    "keras3_ops": (
        build_keras3_ops,
        "Keras 3 constants in node args (__tensor__, __numpy__) of Add / Multiply; ops.concatenate",
    ),
    "keras3_unloadable": (
        build_keras3_unloadable,
        "config only: keras.ops calls (Add, Relu6, GetItem, Split, ...), Embedding mask_zero -> LSTM "
        "(NotEqual op, mask keyword), Attention score_mode dot: Keras 3 writes them to .h5 but cannot load them",
    ),
    "kwargs_tensor": (
        build_kwargs_tensor,
        "tensors as keyword arguments: MultiHeadAttention value / key / attention_mask from other branches, "
        "return_attention_scores (both outputs used), Dense(inputs=x)",
    ),
    "rnn": (
        build_rnn,
        "LSTM, GRU reset_after True / False, SimpleRNN, return_sequences on / off, Embedding "
        "(mask_zero in Keras 2) -> LSTM",
    ),
    "seq2seq": (
        build_seq2seq,
        "return_state outputs as initial_state (encoder-decoder LSTM, GRU), Bidirectional return_state "
        "(5 outputs), TimeDistributed(Dense), two outputs",
    ),
    "rnn_wrappers": (
        build_rnn_wrappers,
        "Bidirectional merge_mode concat / sum, TimeDistributed(Dense), TimeDistributed(Conv2D), "
        "ConvLSTM2D with and without return_sequences",
    ),
    "attention": (
        build_attention,
        "Attention (dot in Keras 2, concat, causal), AdditiveAttention, a transformer block "
        "(MultiHeadAttention, LayerNormalization)",
    ),
    "bool_ints": (
        build_bool_ints,
        "ints where Keras writes booleans (use_bias 0, center 0, scale 1, return_sequences 1, ...): "
        "written by Keras, then rewritten with h5py",
    ),
}
WEIGHTS_ONLY = {"weights_only"}
# Fixtures only one Keras can write (the others are written by both).
ONLY = {"tfops": "k2", "tfops_multi": "k2", "keras3_ops": "k3", "keras3_unloadable": "k3"}
# Fixtures whose writer cannot load them: only configs/DIALECT/NAME.json is kept.
CONFIG_ONLY = {"keras3_unloadable"}
# Fixtures whose builder trains the model (fit): their weights differ by run.
TRAINED = {"optimizer"}
# name -> function(path) applied to the saved file before anything reads it
AFTER_SAVE = {"bool_ints": ints_for_bools}
# name -> {dialect: strings its model_config must contain}: the form it is for
FORMS = {
    "tfops": {"k2": ['"class_name": "TFOpLambda"', '"class_name": "SlicingOpLambda"', '"y": 3,',
                     '"y": ["dense_b", 0, 0]', '"b": ["tf.compat.v1.squeeze", 0, 0]']},
    "tfops_multi": {"k2": ['["tf.split", 0, 1, {}]', '["tf.unstack", 0, 1, {}]', '["_CONSTANT_VALUE", -1, 3.0, {"y": [',
                           '"x": ["dense", 0, 0]']},
    "keras3_ops": {"k3": ['"class_name": "__tensor__"', '"class_name": "__numpy__"']},
    "keras3_unloadable": {"k3": ['"class_name": "Relu6"', '"class_name": "GetItem"', '"class_name": "NotEqual"',
                                 '"mask": {"class_name": "__keras_tensor__"', '"score_mode": "dot"']},
    "kwargs_tensor": {"k2": ['"value": ["v_proj", 0, 0], "key": ["k_proj", 0, 0]',
                             '"attention_mask": ["mask_in", 0, 0]', '["mha", 0, 1, {}]'],
                      "k3": ['"kwargs": {"value": {"class_name": "__keras_tensor__"', '"attention_mask": {',
                             '"args": [], "kwargs": {"inputs": {', '"keras_history": ["mha", 0, 1]']},
    "rnn": {"k2": ['"mask_zero": true', '"reset_after": false'], "k3": ['"reset_after": false']},
    "seq2seq": {"k2": ['["tgt", 0, 0, {}], ["encoder", 0, 1, {}], ["encoder", 0, 2, {}]', '["bi_state", 0, 4, {}]'],
                "k3": ['"kwargs": {"initial_state": [{', '"keras_history": ["bi_state", 0, 4]']},
    "rnn_wrappers": {"k2": ['"merge_mode": "sum"', '"class_name": "ConvLSTM2D"'],
                     "k3": ['"merge_mode": "sum"', '"class_name": "ConvLSTM2D"']},
    "attention": {"k2": ['"score_mode": "dot"', '"use_causal_mask": true'], "k3": ['"use_causal_mask": true']},
    "bool_ints": {d: ['"use_bias": 0', '"center": 0', '"scale": 1', '"return_sequences": 1', '"go_backwards": 1',
                      '"trainable": false'] for d in ("k2", "k3")},
}


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
        cfg = f.attrs.get("model_config", "")
        for s in FORMS.get(name, {}).get(dialect, []):
            assert s in cfg, "%s: model_config lacks %s" % (path, s)


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


def dialects_of(name):
    return [ONLY[name]] if name in ONLY else list(DIALECTS)


def write_fixture(dialect, name, tmp):
    """Build, save and verify one fixture; returns (path, model). A
    CONFIG_ONLY fixture is saved under tmp and only its config is kept."""
    K = DIALECTS[dialect]
    reset(K)
    model = FIXTURES[name][0](K)
    kept = os.path.join(TESTDATA, dialect, name + ".h5")
    path = os.path.join(tmp, dialect + "_" + name + ".h5") if name in CONFIG_ONLY else kept
    for p in (kept, path):
        if os.path.exists(p):
            os.remove(p)
    if name in WEIGHTS_ONLY:
        save_weights_only(K, model, path)
    else:
        model.save(path)
    if name in AFTER_SAVE:
        AFTER_SAVE[name](path)
    verify(dialect, name, path)
    write_config(dialect, name, path)
    print("wrote %-28s %7d bytes" % (os.path.relpath(path, TESTDATA), os.path.getsize(path)))
    return path, model


def keras_fixture_names():
    """The Keras 3 fixtures that also get a .keras file: every full model."""
    return [n for n in FIXTURES if "k3" in dialects_of(n) and n not in CONFIG_ONLY | WEIGHTS_ONLY]


def write_keras_fixture(name, model=None):
    """Save a Keras 3 fixture model as k3/NAME.keras (Keras 3's native zip)
    and check that Keras loads it with the weights of k3/NAME.h5, bit for bit
    (AFTER_SAVE edits of the .h5 do not apply: they are HDF5 edits; a
    fixture trained by its builder matches in shapes only, as training is
    not bit-reproducible across runs)."""
    if model is None:
        reset(keras)
        model = FIXTURES[name][0](keras)
    path = os.path.join(TESTDATA, "k3", name + ".keras")
    if os.path.exists(path):
        os.remove(path)
    model.save(path)
    got = load(keras, path)
    if name not in AFTER_SAVE:
        want = load(keras, os.path.join(TESTDATA, "k3", name + ".h5"))
        a, b = [w.numpy() for w in got.weights], [w.numpy() for w in want.weights]
        assert len(a) == len(b) and all(x.shape == y.shape for x, y in zip(a, b)), name
        if name not in TRAINED:
            assert all(x.tobytes() == y.tobytes() for x, y in zip(a, b)), name
    print("wrote %-28s %7d bytes" % (os.path.relpath(path, TESTDATA), os.path.getsize(path)))
    return path


def check_fixture(dialect, name, path, models):
    """The fixture's FIXTURES.md row; writes its golden summary."""
    other = "k3" if dialect == "k2" else "k2"
    row = {"what": FIXTURES[name][1], "size": os.path.getsize(path)}
    if name in WEIGHTS_ONLY:
        row.update(native=_cross_weights(dialect, dialect, name, models),
                   cross=_cross_weights(other, dialect, name, models), predict="n/a")
        return row
    K = DIALECTS[dialect]
    golden = os.path.join(TESTDATA, "golden", dialect, name + ".summary.txt")
    if name in CONFIG_ONLY:
        row["size"] = os.path.getsize(os.path.join(TESTDATA, "configs", dialect, name + ".json"))
        try:
            load(K, path)
        except Exception as e:  # noqa: BLE001
            row["native"] = "no: %s: %s" % (type(e).__name__, _first_line(e))
        else:
            raise AssertionError("%s/%s: Keras loads it now: make it a fixture" % (dialect, name))
        if os.path.exists(golden):
            os.remove(golden)
        row["predict"] = "n/a"
    else:
        m = load(K, path)
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
        elif row["predict"] == "yes":
            row["cross"] = "yes (predictions within %.1e of the writer's)" % max_abs_diff(ys, ys2)
        else:
            row["cross"] = "yes"
    return row


def main():
    import tempfile

    if sys.argv[1:] == ["--keras-only"]:
        for name in keras_fixture_names():
            write_keras_fixture(name)
        return
    t0 = time.time()
    rows = {}
    models = {}
    paths = {}
    with tempfile.TemporaryDirectory() as tmp:
        for dialect in DIALECTS:
            os.makedirs(os.path.join(TESTDATA, dialect), exist_ok=True)
            os.makedirs(os.path.join(TESTDATA, "golden", dialect), exist_ok=True)
            for name in FIXTURES:
                if dialect in dialects_of(name):
                    paths[(dialect, name)], models[(dialect, name)] = write_fixture(dialect, name, tmp)
        for name in keras_fixture_names():
            write_keras_fixture(name, models[("k3", name)])

        # Golden summaries, cross-loading and prediction, measured on the written files.
        for (dialect, name), path in paths.items():
            row = rows[(dialect, name)] = check_fixture(dialect, name, path, models)
            print("checked %s/%s: predict=%s cross=%s" % (dialect, name, row["predict"][:40], row["cross"][:60]))

    write_fixtures_md(rows)
    total = sum(r["size"] for r in rows.values())
    print("total fixture size %d bytes; %.1f s" % (total, time.time() - t0))
    assert total < 3 * 1024 * 1024, total


def _first_line(e):
    """The root cause of a Keras error, shortened for a table cell."""
    import re

    s = str(e).strip()
    if "Exception encountered: " in s:  # "Error when deserializing class ..."
        s = s.rsplit("Exception encountered: ", 1)[1]
    s = re.sub(r" at 0x[0-9a-f]+", "", (s.splitlines() or [""])[0])  # "<function dot at 0x7f...>"
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
- `layers_mix`: TF 2.21 on CPU runs the `channels_first` Conv2D in both Kerases only with oneDNN, which
  TensorFlow turns on by default on some CPUs only (not on a 2-core AVX2 machine: "UnimplementedError:
  The Conv2D op currently only supports the NHWC tensor format"); the generator sets
  `TF_ENABLE_ONEDNN_OPTS=1`, so no fixture skips prediction (`PREDICT_SKIP` is empty).
- TensorFlow ops (`tfops`, `tfops_multi`): tf_keras names each layer after the op (`tf.math.add`,
  `tf.compat.v1.squeeze`, `tf.__operators__.getitem`), puts every argument but the first tensor into
  the inbound entry's kwargs (tensors there as `["layer", node, index]`: `{"y": ["dense_b", 0, 0]}`),
  repeats the kwargs in each entry of a list argument (`tf.concat`), and writes a constant first
  argument as `["_CONSTANT_VALUE", -1, 3.0, {...}]`. Keras 3 loads none of them ("Unknown layer: 'TFOpLambda'").
- Keras 3 writes a `keras.ops` call (and `x + 1`) as a layer of the operation's class (`Add`, `Relu6`,
  `GetItem`, `Split`, ...; no `module`) and its `.h5` reader cannot load it back: "Unknown layer:
  'Relu6'", or for the classes that are also layers, "Only input tensors may be passed as positional
  arguments" (`x + 1`) and "too many positional arguments" (`ops.add(a, b)`). What loads: constants
  in a merge layer's input list (`Add()([x, ops.ones(...)])`: `{"class_name": "__tensor__"}`, a numpy
  array: `"__numpy__"`) and `ops.concatenate` (a `Concatenate` with only `name` and `axis`): `keras3_ops`.
  Keras 3 also cannot load its own `Embedding(mask_zero=True)` feeding a layer (the mask becomes a
  `NotEqual` operation passed as the keyword `mask`) nor an `Attention` with the default
  `score_mode="dot"` (read back as the function `ops.dot`: "Invalid value for argument score_mode"):
  `rnn` and `attention` avoid both in Keras 3, and `configs/k3/keras3_unloadable.json` keeps all these.
- `keras3_ops`: the `concatenate` layer that `ops.concatenate` wrote is in the config but has no
  entry in `model_weights/@layer_names` and no group (Keras saved it as an operation), yet Keras 3
  loads it as a layer; and Keras infers `Add()([x, ops.ones((1, 4))])` as (1, 4), not (None, 4): a
  merge layer takes the one known batch size among its inputs.
- Keras 3.15.1 infers `MultiHeadAttention(return_attention_scores=True)` scores as
  (None, heads, query length, *query* length): with a value of another length its own model fails to
  run, so `kwargs_tensor` uses one sequence length.
- Keras 3 keeps call keywords in `kwargs` (`"initial_state": [...]`, `"training": false, "mask": null`
  on RNNs, `Dense(inputs=x)` as `"args": [], "kwargs": {"inputs": ...}`); tf_keras turns an RNN's
  `initial_state` into extra inbound entries (`[["tgt", 0, 0, {}], ["encoder", 0, 1, {}], ...]`)
  and a MultiHeadAttention's positional value into the keyword `value`.
- Ints for booleans (`bool_ints`): both Kerases load `0` / `1` for the keys listed above; both refuse
  `"trainable": 1` ("Expected `trainable` ... to be a boolean"), so the fixture keeps `trainable` boolean.
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
    w("- `lambda.h5` stores Python 3.11 bytecode: it only loads under Python 3.11.\n")
    w("- `bool_ints.h5` is not as Keras wrote it: after `model.save` the generator rewrote with h5py\n")
    w("  (`ints_for_bools`) the booleans of these layer config keys as 0 / 1:\n")
    w("  %s;\n" % ", ".join("`%s`" % k for k in BOOL_KEYS))
    w("  the columns are measured on the rewritten file, and its golden summary is Keras's reading of it.\n")
    w("- `configs/k3/keras3_unloadable.json` is a config without a file: the model_config of a file Keras 3\n")
    w("  writes but cannot load (*native* says why), kept as a parser case and fuzz seed.\n")
    w("- Fixtures written by one Keras only (`tfops`, `tfops_multi`: TensorFlow ops, tf_keras;\n")
    w("  `keras3_ops`: Keras 3 constants) have one row.\n\n")
    w("| file | writer | exercises | bytes | native | other Keras loads it | predict |\n")
    w("|---|---|---|---:|---|---|---|\n")
    for (dialect, name), r in sorted(rows.items(), key=lambda kv: (list(FIXTURES).index(kv[0][1]), kv[0][0])):
        writer = "Keras 2 (tf_keras %s)" % WANT["tf_keras"] if dialect == "k2" else "Keras 3 (keras %s)" % WANT["keras"]
        f = "configs/%s/%s.json" % (dialect, name) if name in CONFIG_ONLY else "%s/%s.h5" % (dialect, name)
        w("| `%s` | %s | %s | %d | %s | %s | %s |\n" % (
            f, writer, r["what"], r["size"], r["native"], r["cross"], r["predict"]))
    total = sum(r["size"] for r in rows.values())
    w("\nTotal: %d bytes.\n" % total)
    w(NOTES)
    with open(os.path.join(TESTDATA, "FIXTURES.md"), "w") as fh:
        fh.write(out.getvalue())


if __name__ == "__main__":
    main()
