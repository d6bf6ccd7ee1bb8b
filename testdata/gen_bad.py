#!/usr/bin/env python3
"""Generate the bad-input corpus under testdata/bad/.

Each case is a small file that modelsurg must refuse with one clear error
line (or, for a valid model that a surgery cannot handle, refuse that
surgery), never a crash, an HDF5 error stack or a half-written output.
The CLI tests in cmd/modelsurg/testdata/script/bad_*.txtar run every case.

Most cases are a byte copy of a committed Keras fixture (testdata/k2,
testdata/k3) damaged in one place with h5py; a few are not HDF5 at all.
Needs only h5py and numpy (no Keras). Run from the repository root:

    .venv/bin/python testdata/gen_bad.py

It rewrites testdata/bad/*.h5, testdata/bad/*.keras (damaged Keras 3 .keras
archives, from k3/sequential_cnn.keras) and testdata/bad/CASES.md.
The output is deterministic: running it twice gives the same bytes.
This is test tooling only: modelsurg itself never runs Python.
"""

import io
import json
import os
import shutil
import struct
import sys
import zipfile
import zlib

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(ROOT, "bad")

CASES = []  # (name, description), in generation order


def case(name, description):
    def register(fn):
        CASES.append((name, description, fn))
        return fn

    return register


def fixture(rel):
    return os.path.join(ROOT, rel)


def copy(rel, dst):
    shutil.copyfile(fixture(rel), dst)


def get_config(f):
    v = f.attrs["model_config"]
    if isinstance(v, bytes):
        v = v.decode("utf8")
    return json.loads(v)


def set_config(f, cfg):
    # allow_nan: json.dumps writes NaN as Python's json module does (and as
    # a buggy writer would); the reader must refuse it, not crash.
    f.attrs["model_config"] = json.dumps(cfg, allow_nan=True)


def edit_config(rel, dst, fn):
    """Copy fixture rel to dst and apply fn to its parsed model_config."""
    copy(rel, dst)
    with h5py.File(dst, "r+") as f:
        cfg = get_config(f)
        fn(cfg)
        set_config(f, cfg)


def layer(cfg, name):
    for lay in cfg["config"]["layers"]:
        if lay.get("name", lay["config"].get("name")) == name:
            return lay
    raise KeyError(name)


def input_shape_key(lay):
    c = lay["config"]
    return "batch_shape" if "batch_shape" in c else "batch_input_shape"


def set_input_dim(rel, dst, dim):
    def fn(cfg):
        inp = cfg["config"]["layers"][0]
        key = input_shape_key(inp)
        inp["config"][key][1] = dim

    edit_config(rel, dst, fn)


def set_layer_names(g, names):
    g.attrs["layer_names"] = np.array([n.encode("utf8") for n in names], dtype=object)


def layer_names(g):
    return [n.decode("utf8") if isinstance(n, bytes) else n for n in g.attrs["layer_names"]]


def replace_dataset(g, name, data):
    """Replace dataset name in group g by data, keeping its place."""
    del g[name]
    g.create_dataset(name, data=data)


# --- not a Keras HDF5 file at all -------------------------------------------


@case("text.h5", "a text file named .h5")
def _(dst):
    with open(dst, "wb") as f:
        f.write(b"this is not a model, just some notes\n")


@case("empty.h5", "an empty file")
def _(dst):
    open(dst, "wb").close()


@case("png.h5", "a 1x1 PNG image named .h5")
def _(dst):
    def chunk(kind, data):
        c = kind + data
        return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c))

    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
    png += chunk(b"IEND", b"")
    with open(dst, "wb") as f:
        f.write(png)


@case("keras_zip.h5", "a Keras 3 .keras archive (zip) named .h5")
def _(dst):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in [("metadata.json", '{"keras_version": "3.15.1"}'), ("config.json", '{"class_name": "Sequential"}')]:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            z.writestr(info, data)
    with open(dst, "wb") as f:
        f.write(buf.getvalue())


@case("truncated_half.h5", "the first half of k2/sequential_cnn.h5 (a copy cut short)")
def _(dst):
    data = open(fixture("k2/sequential_cnn.h5"), "rb").read()
    with open(dst, "wb") as f:
        f.write(data[: len(data) // 2])


@case("truncated_header.h5", "the first 48 bytes of k2/sequential_cnn.h5: the HDF5 signature and part of the superblock")
def _(dst):
    data = open(fixture("k2/sequential_cnn.h5"), "rb").read()
    with open(dst, "wb") as f:
        f.write(data[:48])


@case("plain_hdf5.h5", "a valid HDF5 file holding one dataset and no Keras attributes")
def _(dst):
    with h5py.File(dst, "w") as f:
        f.create_dataset("data", data=np.arange(12, dtype="<f4").reshape(3, 4))


@case("no_model_config.h5", "k2/sequential_cnn.h5 without its model_config attribute")
def _(dst):
    copy("k2/sequential_cnn.h5", dst)
    with h5py.File(dst, "r+") as f:
        del f.attrs["model_config"]


# --- model_config that is not a model ---------------------------------------


@case("config_not_json.h5", "model_config cut in the middle: not JSON")
def _(dst):
    copy("k2/sequential_cnn.h5", dst)
    with h5py.File(dst, "r+") as f:
        f.attrs["model_config"] = json.dumps(get_config(f))[:300]


@case("config_not_model.h5", "model_config is JSON but a list, not a model")
def _(dst):
    copy("k2/sequential_cnn.h5", dst)
    with h5py.File(dst, "r+") as f:
        f.attrs["model_config"] = "[1, 2, 3]"


@case("config_no_class.h5", "model_config is a JSON object with no class_name")
def _(dst):
    copy("k2/sequential_cnn.h5", dst)
    with h5py.File(dst, "r+") as f:
        f.attrs["model_config"] = '{"weights": "model.npz", "epochs": 3}'


@case("config_unknown_class.h5", "top-level class_name MyResNet (a subclassed model)")
def _(dst):
    edit_config("k3/lambda.h5", dst, lambda cfg: cfg.update(class_name="MyResNet"))


@case("config_not_string.h5", "model_config is an integer array attribute")
def _(dst):
    copy("k2/sequential_cnn.h5", dst)
    with h5py.File(dst, "r+") as f:
        f.attrs["model_config"] = np.arange(4, dtype="<i4")


# --- a broken layer graph -----------------------------------------------------


@case("inbound_missing_k2.h5", 'k2/lambda.h5: layer "out" is called on "ghost", which does not exist')
def _(dst):
    def fn(cfg):
        layer(cfg, "out")["inbound_nodes"] = [[["ghost", 0, 0, {}]]]

    edit_config("k2/lambda.h5", dst, fn)


@case("inbound_missing_k3.h5", 'k3/lambda.h5: layer "out" is called on "ghost" (keras_history), which does not exist')
def _(dst):
    def fn(cfg):
        node = layer(cfg, "out")["inbound_nodes"][0]
        node["args"][0]["config"]["keras_history"] = ["ghost", 0, 0]

    edit_config("k3/lambda.h5", dst, fn)


@case("inbound_node_missing.h5", 'k2/lambda.h5: layer "out" reads node 7 of "affine_lambda", which is called once')
def _(dst):
    def fn(cfg):
        layer(cfg, "out")["inbound_nodes"] = [[["affine_lambda", 7, 0, {}]]]

    edit_config("k2/lambda.h5", dst, fn)


@case("output_missing.h5", 'k3/lambda.h5: output_layers names "ghost"')
def _(dst):
    edit_config("k3/lambda.h5", dst, lambda cfg: cfg["config"].update(output_layers=[["ghost", 0, 0]]))


@case("cycle.h5", 'k2/lambda.h5: "dense" is called on "out": dense -> affine_lambda -> out -> dense')
def _(dst):
    def fn(cfg):
        layer(cfg, "dense")["inbound_nodes"] = [[["out", 0, 0, {}]]]

    edit_config("k2/lambda.h5", dst, fn)


@case("duplicate_names.h5", 'k3/lambda.h5: the Lambda layer renamed "dense", the name of another layer')
def _(dst):
    def fn(cfg):
        lam = layer(cfg, "affine_lambda")
        lam["name"] = lam["config"]["name"] = "dense"
        node = layer(cfg, "out")["inbound_nodes"][0]
        node["args"][0]["config"]["keras_history"] = ["dense", 0, 0]

    edit_config("k3/lambda.h5", dst, fn)


# --- weights that do not match the config -------------------------------------


@case("group_missing.h5", 'k2/sequential_cnn.h5: the weights group of "dense" deleted, and its layer_names entry too')
def _(dst):
    copy("k2/sequential_cnn.h5", dst)
    with h5py.File(dst, "r+") as f:
        g = f["model_weights"]
        del g["dense"]
        set_layer_names(g, [n for n in layer_names(g) if n != "dense"])


@case("layer_names_ghost.h5", 'k2/sequential_cnn.h5: the weights group of "dense" deleted, still listed in layer_names')
def _(dst):
    copy("k2/sequential_cnn.h5", dst)
    with h5py.File(dst, "r+") as f:
        del f["model_weights/dense"]


@case("weight_missing.h5", 'k3/sequential_cnn.h5: the dataset dense/kernel deleted, still listed in weight_names')
def _(dst):
    copy("k3/sequential_cnn.h5", dst)
    with h5py.File(dst, "r+") as f:
        del f["model_weights/dense/sequential_cnn/dense/kernel"]


@case("weights_unknown_layer.h5", 'k2/sequential_cnn.h5: a weights group "ghost" with a kernel, listed in layer_names, no such layer')
def _(dst):
    copy("k2/sequential_cnn.h5", dst)
    with h5py.File(dst, "r+") as f:
        g = f["model_weights"]
        gg = g.create_group("ghost")
        gg.attrs["weight_names"] = np.array([b"ghost/kernel:0"], dtype=object)
        gg.create_dataset("ghost/kernel:0", data=np.zeros((2, 2), dtype="<f4"))
        set_layer_names(g, layer_names(g) + ["ghost"])


@case("weight_shape.h5", 'k2/sequential_cnn.h5: the kernel of Dense "dense" is (32, 5), the config gives (64, 5)')
def _(dst):
    copy("k2/sequential_cnn.h5", dst)
    with h5py.File(dst, "r+") as f:
        replace_dataset(f["model_weights/dense/dense"], "kernel:0", np.zeros((32, 5), dtype="<f4"))


@case("weight_rank.h5", 'k3/sequential_cnn.h5: the kernel of Conv2D "conv" is (27, 4), the config gives (3, 3, 3, 4)')
def _(dst):
    copy("k3/sequential_cnn.h5", dst)
    with h5py.File(dst, "r+") as f:
        replace_dataset(f["model_weights/conv/sequential_cnn/conv"], "kernel", np.zeros((27, 4), dtype="<f4"))


@case("weight_int.h5", 'k2/sequential_cnn.h5: the kernel of Conv2D "conv" stored as int32 (Keras casts it on load)')
def _(dst):
    copy("k2/sequential_cnn.h5", dst)
    with h5py.File(dst, "r+") as f:
        g = f["model_weights/conv/conv"]
        replace_dataset(g, "kernel:0", np.asarray(g["kernel:0"][()] * 100, dtype="<i4"))


@case("weight_string.h5", 'k3/sequential_cnn.h5: the bias of Conv2D "conv" stored as strings')
def _(dst):
    copy("k3/sequential_cnn.h5", dst)
    with h5py.File(dst, "r+") as f:
        replace_dataset(f["model_weights/conv/sequential_cnn/conv"], "bias", np.array([b"w", b"x", b"y", b"z"]))


@case("weight_bfloat16.h5", 'k3/sequential_cnn.h5: the bias of Conv2D "conv" stored as 2-byte opaque values, as Keras 3 writes bfloat16 to .h5 (neither Keras loads it back)')
def _(dst):
    copy("k3/sequential_cnn.h5", dst)
    with h5py.File(dst, "r+") as f:
        g = f["model_weights/conv/sequential_cnn/conv"]
        half = (g["bias"][()].astype("<f4").view("<u4") >> 16).astype("<u2")
        replace_dataset(g, "bias", half.view("V2"))


@case("weight_names_not_strings.h5", 'k2/sequential_cnn.h5: the weight_names of "dense" are integers')
def _(dst):
    copy("k2/sequential_cnn.h5", dst)
    with h5py.File(dst, "r+") as f:
        f["model_weights/dense"].attrs["weight_names"] = np.array([1, 2], dtype="<i4")


# --- absurd dimensions and numbers in the config ------------------------------


@case("dim_zero.h5", "k2/sequential_cnn.h5: input shape (None, 0, 8, 3)")
def _(dst):
    set_input_dim("k2/sequential_cnn.h5", dst, 0)


@case("dim_negative.h5", "k3/sequential_cnn.h5: input shape (None, -8, 8, 3)")
def _(dst):
    set_input_dim("k3/sequential_cnn.h5", dst, -8)


@case("dim_huge.h5", "k2/sequential_cnn.h5: input shape (None, 2**41, 8, 3)")
def _(dst):
    set_input_dim("k2/sequential_cnn.h5", dst, 2**41)


@case("dim_nan.h5", "k3/sequential_cnn.h5: input shape (None, NaN, 8, 3)")
def _(dst):
    set_input_dim("k3/sequential_cnn.h5", dst, float("nan"))


@case("dim_fraction.h5", "k2/sequential_cnn.h5: input shape (None, 8.5, 8, 3)")
def _(dst):
    set_input_dim("k2/sequential_cnn.h5", dst, 8.5)


@case("dim_string.h5", 'k3/sequential_cnn.h5: input shape (None, "8", 8, 3)')
def _(dst):
    set_input_dim("k3/sequential_cnn.h5", dst, "8")


@case("units_huge.h5", 'k2/sequential_cnn.h5: Dense "dense" with units 2**50')
def _(dst):
    edit_config("k2/sequential_cnn.h5", dst, lambda cfg: layer(cfg, "dense")["config"].update(units=2**50))


@case("units_negative.h5", 'k3/sequential_cnn.h5: Dense "dense" with units -5')
def _(dst):
    edit_config("k3/sequential_cnn.h5", dst, lambda cfg: layer(cfg, "dense")["config"].update(units=-5))


@case("kernel_zero.h5", 'k2/sequential_cnn.h5: Conv2D "conv" with kernel_size (0, 0)')
def _(dst):
    edit_config("k2/sequential_cnn.h5", dst, lambda cfg: layer(cfg, "conv")["config"].update(kernel_size=[0, 0]))


# --- layers modelsurg cannot see through, on a surgery's path -----------------


def lambda_layer(name):
    """The Lambda layer of k2/lambda.h5 (marshalled bytecode), renamed."""
    with h5py.File(fixture("k2/lambda.h5"), "r") as f:
        lam = layer(get_config(f), "affine_lambda")
    return {"class_name": "Lambda", "config": dict(lam["config"], name=name)}


@case("lambda_on_path.h5", 'k2/sequential_cnn.h5 with a Lambda "scale" (bytecode) between "pool" and "flatten"')
def _(dst):
    def fn(cfg):
        layers = cfg["config"]["layers"]
        at = layers.index(layer(cfg, "flatten"))
        layers.insert(at, lambda_layer("scale"))

    copy("k2/sequential_cnn.h5", dst)
    with h5py.File(dst, "r+") as f:
        cfg = get_config(f)
        fn(cfg)
        set_config(f, cfg)
        g = f["model_weights"]
        sg = g.create_group("scale")
        sg.attrs["weight_names"] = np.array([], dtype="<f8")
        names = layer_names(g)
        names.insert(names.index("flatten"), "scale")
        set_layer_names(g, names)


@case("custom_layer.h5", 'k3/sequential_cnn.h5 with "pool" of a custom class MyPool (registered_name Custom>MyPool)')
def _(dst):
    def fn(cfg):
        pool = layer(cfg, "pool")
        pool.update(class_name="MyPool", module="my_package.layers", registered_name="Custom>MyPool")

    edit_config("k3/sequential_cnn.h5", dst, fn)


# --- layer names HDF5 reads as paths -------------------------------------------


@case("layer_name_dot.h5", 'k2/sequential_cnn.h5: the weightless layer "pool" renamed ".", which HDF5 reads as the weights group itself: Keras loads it, but no writer can give it a group')
def _(dst):
    copy("k2/sequential_cnn.h5", dst)
    with h5py.File(dst, "r+") as f:
        cfg = get_config(f)
        layer(cfg, "pool")["config"]["name"] = "."
        for lay in cfg["config"]["layers"]:
            if lay.get("name") == "pool":
                lay["name"] = "."
        set_config(f, cfg)
        g = f["model_weights"]
        del g["pool"]
        set_layer_names(g, ["." if n == "pool" else n for n in layer_names(g)])


# --- .keras archives (zip) --------------------------------------------------

KERAS_SRC = "k3/sequential_cnn.keras"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def keras_members(rel=KERAS_SRC):
    """The members of a committed .keras fixture, in archive order."""
    with zipfile.ZipFile(fixture(rel)) as z:
        return [(i.filename, z.read(i.filename)) for i in z.infolist()]


def edited_weights(edit):
    """The members of the committed .keras fixture, model.weights.h5 changed
    by edit(h5py.File)."""
    out = []
    for name, data in keras_members():
        if name == "model.weights.h5":
            buf = io.BytesIO(data)
            with h5py.File(buf, "r+") as f:
                edit(f)
            data = buf.getvalue()
        out.append((name, data))
    return out


def write_zip(dst, members, method=zipfile.ZIP_STORED):
    """A zip of (name, bytes) members, dated as Keras dates them."""
    with zipfile.ZipFile(dst, "w") as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = method
            z.writestr(info, data)


def patch_sizes(dst, member, size):
    """Make member declare size bytes (stored and unpacked) in its local
    and central headers, leaving its bytes as they are."""
    with zipfile.ZipFile(dst) as z:
        info = z.getinfo(member)
    with open(dst, "r+b") as f:
        raw = bytearray(f.read())
    struct.pack_into("<II", raw, info.header_offset + 18, size, size)
    at = raw.index(b"PK\x01\x02")
    while True:
        n = struct.unpack_from("<H", raw, at + 28)[0]
        if raw[at + 46:at + 46 + n].decode() == member:
            struct.pack_into("<II", raw, at + 20, size, size)
            break
        at = raw.index(b"PK\x01\x02", at + 4)
    with open(dst, "wb") as f:
        f.write(raw)


@case("keras_no_config.keras", "k3/sequential_cnn.keras without its config.json")
def _(dst):
    write_zip(dst, [m for m in keras_members() if m[0] != "config.json"])


@case("keras_no_weights.keras", "k3/sequential_cnn.keras without its model.weights.h5")
def _(dst):
    write_zip(dst, [m for m in keras_members() if m[0] != "model.weights.h5"])


@case("keras_truncated.keras", "the first half of k3/sequential_cnn.keras (no central directory)")
def _(dst):
    data = open(fixture(KERAS_SRC), "rb").read()
    with open(dst, "wb") as f:
        f.write(data[: len(data) // 2])


@case("keras_member_truncated.keras", "k3/sequential_cnn.keras whose model.weights.h5 declares 4096 bytes more than the archive holds")
def _(dst):
    write_zip(dst, keras_members())
    size = dict(keras_members())["model.weights.h5"]
    patch_sizes(dst, "model.weights.h5", len(size) + 4096)


@case("keras_deflated.keras", "k3/sequential_cnn.keras with every member deflated (Keras stores them)")
def _(dst):
    write_zip(dst, keras_members(), zipfile.ZIP_DEFLATED)


@case("keras_weight_missing.keras", 'k3/sequential_cnn.keras without the group of layer "conv" (layers/conv2d) in model.weights.h5')
def _(dst):
    def edit(f):
        del f["layers/conv2d"]

    write_zip(dst, edited_weights(edit))


@case("keras_weights_unowned.keras", 'k3/sequential_cnn.keras whose model.weights.h5 also holds layers/dense_7/vars/0, which no layer of config.json owns')
def _(dst):
    def edit(f):
        f.create_dataset("layers/dense_7/vars/0", data=np.zeros((2, 2), "float32"))

    write_zip(dst, edited_weights(edit))


@case("keras_traversal.keras", 'k3/sequential_cnn.keras with one more member named "../evil.json"')
def _(dst):
    write_zip(dst, keras_members() + [("../evil.json", b"{}")])


@case("keras_bomb.keras", "k3/sequential_cnn.keras whose config.json declares 2 GiB (a zip bomb's declared length)")
def _(dst):
    write_zip(dst, keras_members())
    patch_sizes(dst, "config.json", 0x80000000)


@case("keras_opaque.keras", 'k3/sequential_cnn.keras whose variable layers/conv2d/vars/1 is 2-byte opaque values without the "dtype": "bfloat16" attribute Keras 3 reads them by')
def _(dst):
    def edit(f):
        g = f["layers/conv2d/vars"]
        half = (g["1"][()].astype("<f4").view("<u4") >> 16).astype("<u2")
        replace_dataset(g, "1", half.view("V2"))

    write_zip(dst, edited_weights(edit))


@case("keras_sharded.keras", "config.json and metadata.json with sharded weights: model.weights.json and one shard")
def _(dst):
    members = dict(keras_members())
    manifest = json.dumps({"weight_map": {"layers/conv2d/vars": "model_00000.weights.h5"}}).encode()
    write_zip(dst, [("metadata.json", members["metadata.json"]), ("config.json", members["config.json"]),
                    ("model.weights.json", manifest), ("model_00000.weights.h5", members["model.weights.h5"])])


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        if name.endswith(".h5") or name.endswith(".keras"):
            os.remove(os.path.join(OUT, name))
    lines = [
        "# Bad inputs",
        "",
        "Generated by `testdata/gen_bad.py`; do not edit by hand. Each case is run by",
        "`cmd/modelsurg/testdata/script/bad_*.txtar`.",
        "",
        "| file | what is wrong | bytes |",
        "|---|---|---:|",
    ]
    total = 0
    for name, description, fn in CASES:
        dst = os.path.join(OUT, name)
        fn(dst)
        size = os.path.getsize(dst)
        total += size
        lines.append(f"| `{name}` | {description} | {size} |")
    lines += ["", f"{len(CASES)} cases, {total} bytes."]
    with open(os.path.join(OUT, "CASES.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(CASES)} cases ({total} bytes) to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
