#!/usr/bin/env python3
"""Generate the fixtures of modelsurg convert's rules that the main fixture
set (gen_fixtures.py) does not hold, with real Keras:

    testdata/convert/k2/tfops_exact.h5   TF ops of every kind convert rewrites
                                         into a built-in Keras 3 layer
    testdata/convert/k2/tfops_chains.h5  TF ops convert rewrites into several
                                         built-in Keras 3 layers (mean, slices, matmul)
    testdata/convert/k2/slash_names.h5   "/" in layer names, one of them
                                         clashing with another layer once
                                         replaced by "_"
    testdata/convert/k2/nested_twice.h5  a nested model called on two inputs
    testdata/convert/k2/leaky_relu.h5    LeakyReLU (tf-keras writes alpha)
    testdata/convert/k3/leaky_relu.h5    LeakyReLU (Keras 3 writes negative_slope)

and next to each NAME.h5 its model_config as NAME.json (Go tests).
Made with tf_keras 2.21.0 and keras 3.15.1 (the versions `make venv`
installs), weights drawn after a fixed seed. tests/interop/test_convert.py
converts them and compares with Keras. Run from the repository root:

    .venv/bin/python testdata/gen_convert_fixtures.py

Test tooling only: modelsurg never runs Python.
"""

import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
warnings.filterwarnings("ignore")

import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402
import keras  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "convert")
SEED = 20261201


def tfops_exact(K):
    L = K.layers
    x = K.Input((6,), name="x")
    h = L.Dense(8, name="dense_a")(x)
    g = L.Dense(8, name="dense_b")(x)
    d = (3.0 - (h + 3) * 2.0) / 4.0  # add, multiply, constant - x, divide by 2^k
    r = tf.nn.relu6(d)
    r2 = tf.nn.relu(h - 1.5)
    c = tf.concat([r, r2], axis=-1)  # (None, 16)
    t = tf.transpose(tf.reshape(c, (-1, 4, 4)), perm=[0, 2, 1])
    s = tf.squeeze(tf.expand_dims(t, axis=1), axis=1)
    y = L.Concatenate(name="cat")([
        L.Flatten(name="flat")(s), tf.math.add(r, g), tf.maximum(r, g), tf.minimum(r, g),
        tf.math.multiply(r, g), tf.math.subtract(r, g)])
    return K.Model(x, L.Dense(2, name="out")(y), name="tfops_exact")


def tfops_chains(K):
    # TF ops that convert rewrites as several built-in Keras 3 layers: means
    # over leading, trailing and all axes, slices of one axis (a range, an
    # index, with a new axis), matmul with and without transpose_b.
    L = K.layers
    x = K.Input((7, 9, 5), name="x")
    a = K.Input((7, 33), name="a")
    b = K.Input((33, 9), name="b")
    h = L.Dense(5, name="dense")(x)
    parts = [
        tf.reduce_mean(h, axis=[1, 2]), tf.reduce_mean(h, axis=-1, keepdims=True), tf.reduce_mean(h, axis=[1, 2, 3])[:, None],
        h[:, :, 2:6], h[:, 5], h[:, -3:, None], tf.matmul(a, b), tf.matmul(a, a, transpose_b=True),
    ]
    y = L.Concatenate(name="cat")([L.Flatten(name="flat%d" % i)(p) for i, p in enumerate(parts)])
    return K.Model([x, a, b], L.Dense(2, name="out")(y), name="tfops_chains")


def slash_names(K):
    L = K.layers
    x = K.Input((8, 8, 3), name="image")
    y = L.Conv2D(4, 3, name="block1/conv")(x)
    y = L.BatchNormalization(name="block1/bn")(y)
    y = L.Conv2D(4, 1, name="block1_bn")(y)  # "block1/bn" with "_" is taken
    y = L.GlobalAveragePooling2D(name="pool")(y)
    return K.Model(x, L.Dense(2, name="head/dense")(y), name="slash_names")


def nested_twice(K):
    L = K.layers
    i = K.Input((4,), name="inner_in")
    inner = K.Model(i, L.BatchNormalization(name="inner_bn")(L.Dense(4, name="inner_dense")(i)), name="inner")
    a = K.Input((4,), name="a")
    b = K.Input((4,), name="b")
    y = L.Add(name="add")([inner(a), inner(b)])
    return K.Model([a, b], L.Dense(2, name="out")(y), name="nested_twice")


def leaky_relu(K):
    L = K.layers
    x = K.Input((6,), name="x")
    y = L.LeakyReLU(0.2, name="leaky")(L.Dense(4, name="dense")(x))
    return K.Model(x, L.Dense(2, name="out")(y), name="leaky_relu")


def save(K, build, dialect):
    K.utils.set_random_seed(SEED)
    m = build(K)
    path = os.path.join(OUT, dialect, build.__name__ + ".h5")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(path):
        os.remove(path)
    m.save(path)
    with open(path[:-3] + ".json", "w") as f:  # the model_config, for Go tests without HDF5
        import h5py

        with h5py.File(path, "r") as h:
            c = h.attrs["model_config"]
            f.write(c.decode() if isinstance(c, bytes) else c)
    print("wrote", path)


def main():
    for build in (tfops_exact, tfops_chains, slash_names, nested_twice, leaky_relu):
        save(tf_keras, build, "k2")
    save(keras, leaky_relu, "k3")


if __name__ == "__main__":
    main()
