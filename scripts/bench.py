#!/usr/bin/env python3
"""Benchmark: modelsurg against `cp` and against the Keras script a user
would write instead, as whole processes, in one run on one machine.

    .venv/bin/python scripts/bench.py [--rounds 9] [--readme README.md]

Generates (if missing, with Keras 3, weights=None) ResNet50 with top (~98 MB)
and VGG16 with top (~528 MB, one 411 MB tensor), both also as Keras 3's
native .keras zip (model.save("x.keras")), and NASNetMobile (~770 layers,
for plot) into .cache/apps/k3/, and ResNet50's 2-class head (modelsurg
replace-head, in the run's temporary directory) for transfer-weights and
diff, and casts ResNet50 to float16 (modelsurg cast; its output is half the
size of the input, which cp and dd copy whole), and converts the Keras 2
(tf_keras, into .cache/apps/k2/) ResNet50 and EfficientNetB0 to Keras 3's
.keras (modelsurg convert), then runs every command ROUNDS times,
interleaved (round 1 of each, round 2 of each, ...), and reports the median wall time of each and its peak RSS
(GNU time's %M, in a first run of its own), and the ratios modelsurg/cp,
modelsurg/(cp + fsync) and Keras/modelsurg. Each command starts on a synced
disk (no write-back of the command before it pending). cp + fsync is `dd conv=fsync`:
modelsurg syncs its output before renaming it into place, which cp does
not. With --readme, the table between the BENCH markers in that file is
replaced by the new one.
"""

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = REPO / "bin" / "modelsurg"
PY = sys.executable
APPS = REPO / ".cache" / "apps" / "k3"
APPS_K2 = REPO / ".cache" / "apps" / "k2"

KERAS_ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")

# What a user would write instead of modelsurg (Keras 3).
KERAS_RESHAPE = """
import sys, keras
src, out = sys.argv[1], sys.argv[2]
m = keras.saving.load_model(src, compile=False)
new = keras.applications.ResNet50(weights=None, input_shape=(128, 128, 3))
new.set_weights(m.get_weights())
new.save(out)
"""
KERAS_HEAD = """
import sys, keras
src, out, cut = sys.argv[1], sys.argv[2], sys.argv[3]
m = keras.saving.load_model(src, compile=False)
x = keras.layers.GlobalAveragePooling2D(name="avg_pool_new")(m.get_layer(cut).output)
y = keras.layers.Dense(2, activation="softmax", name="predictions_new")(x)
keras.Model(m.input, y).save(out)
"""
KERAS_EXTRACT = """
import sys, keras
src, out, names = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
m = keras.saving.load_model(src, compile=False)
keras.Model(m.inputs, [m.get_layer(n).output for n in names]).save(out)
"""
KERAS_RENAME = """
import sys, keras
src, out = sys.argv[1], sys.argv[2]
m = keras.saving.load_model(src, compile=False)
for l in m.layers:
    l.name = "backbone_" + l.name
m.save(out)
"""
KERAS_FREEZE = """
import sys, keras
src, out, until = sys.argv[1], sys.argv[2], sys.argv[3]
m = keras.saving.load_model(src, compile=False)
below = {l.name for l in keras.Model(m.inputs, m.get_layer(until).output).layers}
for l in m.layers:
    if l.name in below and not isinstance(l, keras.layers.BatchNormalization):
        l.trainable = False
m.save(out)
"""
KERAS_SUMMARY = """
import sys, keras
keras.saving.load_model(sys.argv[1], compile=False).summary()
"""
KERAS_TRANSFER = """
import sys, keras
src, to, out = sys.argv[1], sys.argv[2], sys.argv[3]
m = keras.saving.load_model(to, compile=False)
m.load_weights(src, by_name=True, skip_mismatch=True)
m.save(out)
"""
KERAS_DIFF = """
import sys, keras, numpy as np
a, b = (keras.saving.load_model(p, compile=False) for p in sys.argv[1:3])
la, lb = {l.name: l for l in a.layers}, {l.name: l for l in b.layers}
print("removed", sorted(la.keys() - lb.keys()), "added", sorted(lb.keys() - la.keys()))
for n in [n for n in la if n in lb]:
    if la[n].get_config() != lb[n].get_config():
        print("config", n)
    for i, (x, y) in enumerate(zip(la[n].get_weights(), lb[n].get_weights())):
        if x.shape != y.shape:
            print("weight", n, i, x.shape, y.shape)
        elif not np.array_equal(x, y):
            print("weight", n, i, np.abs(x - y).max())
"""
KERAS_CAST = """
import sys, keras
src, out = sys.argv[1], sys.argv[2]
m = keras.saving.load_model(src, compile=False)
cfg = m.get_config()
for l in cfg["layers"]:
    if l["class_name"] != "InputLayer":
        p = "mixed_float16" if l["class_name"] == "BatchNormalization" else "float16"
        l["config"]["dtype"] = keras.saving.serialize_keras_object(keras.DTypePolicy(p))
new = keras.Model.from_config(cfg)
for a, b in zip(m.layers, new.layers):
    bn = isinstance(a, keras.layers.BatchNormalization)
    b.set_weights([w if bn else w.astype("float16") for w in a.get_weights()])
new.save(out)
"""
# Without modelsurg, a Keras 2 file reaches Keras 3 by rebuilding the
# architecture there (same input shape and classes) and copying the weights.
KERAS_CONVERT = """
import sys, tf_keras, keras
src, out, app = sys.argv[1], sys.argv[2], sys.argv[3]
m = tf_keras.models.load_model(src, compile=False)
new = getattr(keras.applications, app)(weights=None, input_shape=m.input_shape[1:], classes=m.output_shape[-1])
for l in new.layers:
    if l.weights:
        l.set_weights(m.get_layer(l.name).get_weights())
new.save(out)
"""


def ensure_model(name, out, dialect="k3"):
    if out.exists():
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    args = [PY, str(REPO / "tests" / "interop" / "gen_apps.py"), "--dialect", dialect, "--model", name, "--out", str(out)]
    if name == "vgg16":
        args.append("--include-top")
    print("generating", out, file=sys.stderr)
    subprocess.run(args, check=True, env=KERAS_ENV)


# extract's outputs: ResNet50's last three stages (timm's features_only)
FEATS = "conv3_block4_out,conv4_block6_out,conv5_block3_out"


# NASNetMobile (~770 layers) for `plot`; gen_apps.py does not make it.
KERAS_NASNET = """
import os, sys, keras
keras.utils.set_random_seed(1234)
tmp = sys.argv[1] + ".tmp.h5"
keras.applications.NASNetMobile(weights=None).save(tmp)
os.replace(tmp, sys.argv[1])
"""


def ensure_nasnet(out):
    if out.exists():
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    print("generating", out, file=sys.stderr)
    subprocess.run([PY, "-c", KERAS_NASNET, str(out)], check=True, env=KERAS_ENV)


def run_timed(argv, env=None, ok=(0,)):
    """Run argv; return its wall time in seconds. An exit status not in ok
    stops the bench (diff exits 1 when the files differ). The disk is synced
    first, untimed: no command waits on the write-back of the one before
    (cp leaves its 100 MB dirty, and a dd after it measured up to 60%
    slower than one after a sync)."""
    os.sync()
    t0 = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    dt = time.perf_counter() - t0
    if p.returncode not in ok:
        raise SystemExit("command failed (%d): %s\n%s" % (p.returncode, " ".join(map(str, argv)),
                                                         p.stderr.decode(errors="replace")[-2000:]))
    return dt


def peak_rss(argv, env=None, ok=(0,)):
    """Run argv under GNU time; return its peak RSS in MiB. The RSS is the
    command's own (wait4's rusage would also count the memory of the Python
    process it was forked from). It is a run of its own: time's fork and
    exec would add a few ms to the wall time of a short command."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        run_timed(["/usr/bin/time", "-f", "%M", "-o", tf.name, *argv], env, ok)
        return int(tf.read().strip().splitlines()[-1]) / 1024.0


# transfer-weights and diff take two models: ResNet50 and its 2-class head.
PAIR = "ResNet50 → 2-class head"


def pair_jobs(ms, dd, resnet, head, out):
    """The rows of transfer-weights (FROM ResNet50, TO its 2-class head, as
    one fine-tunes a new head from pretrained weights) and of diff (ResNet50
    against the head); cp and dd copy TO, the file transfer-weights rewrites.
    Group "diff" has no cp ratio and may exit 1 (the files differ)."""
    return [
        (PAIR, "cp", ["cp", head, out], "cp"),
        (PAIR, "cp + fsync (dd conv=fsync)", dd(head, out), "sync"),
        (PAIR, "modelsurg transfer-weights", ms("transfer-weights", resnet, head, "-o", out), "ms"),
        (PAIR, "modelsurg diff", ms("diff", resnet, head), "diff"),
        (PAIR, "Keras 3: load_model(TO) + load_weights(FROM, by_name=True, skip_mismatch=True) + save",
         [PY, "-c", KERAS_TRANSFER, resnet, head, out], "keras"),
        (PAIR, "Keras 3: load_model both + get_config and np.array_equal per layer",
         [PY, "-c", KERAS_DIFF, resnet, head], "keras"),
    ]


# cast's rows have their own model label, so that --only float16 picks them.
CAST = "ResNet50 → float16 (output half the size)"


def cast_jobs(ms, dd, resnet, out):
    """The rows of cast --dtype float16 on ResNet50 and of the Keras 3 script
    for the same edit (BatchNormalization kept float32 in both). The output
    is half the size of the input, which cp and dd copy whole."""
    return [
        (CAST, "cp", ["cp", resnet, out], "cp"),
        (CAST, "cp + fsync (dd conv=fsync)", dd(resnet, out), "sync"),
        (CAST, "modelsurg cast --dtype float16", ms("cast", resnet, "--dtype", "float16", "-o", out), "ms"),
        (CAST, "Keras 3: load_model + get_config with DTypePolicy float16 (BN mixed_float16)"
               " + from_config + set_weights(astype float16) + save",
         [PY, "-c", KERAS_CAST, resnet, out], "keras"),
    ]


# convert's sources: tf_keras files, weights=None (gen_apps.py --dialect k2);
# the model labels end in "(tf_keras) → Keras 3", so --only tf_keras picks them.
CONVERT_APPS = [("resnet50", "ResNet50"), ("efficientnetb0", "EfficientNetB0")]


def convert_jobs(ms, dd, outk):
    """The rows of convert --to keras3 (a Keras 2 .h5 to a Keras 3 .keras)
    and of the Python route for the same result, for each CONVERT_APPS
    model; cp and dd copy the source."""
    jobs = []
    for name, app in CONVERT_APPS:
        src = APPS_K2 / (name + ".h5")
        ensure_model(name, src, "k2")
        model = app + " (tf_keras) → Keras 3"
        jobs += [
            (model, "cp", ["cp", src, outk], "cp"),
            (model, "cp + fsync (dd conv=fsync)", dd(src, outk), "sync"),
            (model, "modelsurg convert --to keras3 -o out.keras", ms("convert", src, "--to", "keras3", "-o", outk), "ms"),
            (model, "tf_keras load_model + Keras 3 rebuild (keras.applications) + set_weights per layer + save",
             [PY, "-c", KERAS_CONVERT, src, outk, app], "keras"),
        ]
    return jobs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--keras-rounds", type=int, default=3, help="rounds for the (slow) Keras scripts")
    ap.add_argument("--readme", help="update the table in this README")
    ap.add_argument("--only", help="run only the rows whose model contains this text (e.g. .keras, 2-class, float16, tf_keras)")
    a = ap.parse_args()

    resnet = APPS / "resnet50.h5"
    vgg = APPS / "vgg16_top.h5"
    ensure_model("resnet50", resnet)
    ensure_model("vgg16", vgg)
    resnet_k = APPS / "resnet50.keras"
    vgg_k = APPS / "vgg16_top.keras"
    ensure_model("resnet50", resnet_k)
    ensure_model("vgg16", vgg_k)
    nasnet = APPS / "nasnetmobile.h5"
    ensure_nasnet(nasnet)

    tmp = Path(tempfile.mkdtemp(prefix="modelsurg-bench-", dir=REPO / ".cache"))
    out = tmp / "out.h5"
    outk = tmp / "out.keras"
    svg, png = tmp / "out.svg", tmp / "out.png"
    head = tmp / "resnet50_head2.h5"

    def ms(*args):
        return [str(BIN), *map(str, args), "--force"] if "-o" in args else [str(BIN), *map(str, args)]

    def dd(src, dst):
        # the durable copy: modelsurg syncs its output before renaming it
        return ["dd", "if=%s" % src, "of=%s" % dst, "bs=4M", "conv=fsync", "status=none"]

    jobs = [
        # (model, label, argv, group) - group pairs each command with its baseline
        ("ResNet50", "cp", ["cp", resnet, out], "cp"),
        ("ResNet50", "cp + fsync (dd conv=fsync)", dd(resnet, out), "sync"),
        ("ResNet50", "modelsurg reshape-input --shape 128,128,3", ms("reshape-input", resnet, "--shape", "128,128,3", "-o", out), "ms"),
        ("ResNet50", "modelsurg replace-head --classes 2", ms("replace-head", resnet, "--classes", "2", "-o", out), "ms"),
        ("ResNet50", "modelsurg summary", ms("summary", resnet), "ms"),
        ("ResNet50", "modelsurg extract --output (3 stages)", ms("extract", resnet, "--output", FEATS, "-o", out), "ms"),
        ("ResNet50", "modelsurg rename --prefix backbone_", ms("rename", resnet, "--prefix", "backbone_", "-o", out), "ms"),
        ("ResNet50", "modelsurg freeze --until conv4_block6_out --except-batchnorm",
         ms("freeze", resnet, "--until", "conv4_block6_out", "--except-batchnorm", "-o", out), "ms"),
        ("ResNet50", "Keras 3: load_model + ResNet50(input_shape=128) + save", [PY, "-c", KERAS_RESHAPE, resnet, out], "keras"),
        ("ResNet50", "Keras 3: load_model + new head + save", [PY, "-c", KERAS_HEAD, resnet, out, "conv5_block3_out"], "keras"),
        ("ResNet50", "Keras 3: load_model(...).summary()", [PY, "-c", KERAS_SUMMARY, resnet], "keras"),
        ("ResNet50", "Keras 3: load_model + Model(inputs, [get_layer(n).output ...]) + save", [PY, "-c", KERAS_EXTRACT, resnet, out, FEATS], "keras"),
        ("ResNet50", "Keras 3: load_model + layer.name = prefix + name + save", [PY, "-c", KERAS_RENAME, resnet, out], "keras"),
        ("ResNet50", "Keras 3: load_model + layer.trainable = False below a layer + save",
         [PY, "-c", KERAS_FREEZE, resnet, out, "conv4_block6_out"], "keras"),
        ("VGG16 (top)", "cp", ["cp", vgg, out], "cp"),
        ("VGG16 (top)", "cp + fsync (dd conv=fsync)", dd(vgg, out), "sync"),
        ("VGG16 (top)", "modelsurg strip", ms("strip", vgg, "-o", out), "ms"),
        ("VGG16 (top)", "modelsurg reshape-input --nest --shape 224,224,3", ms("reshape-input", vgg, "--nest", "--shape", "224,224,3", "-o", out), "ms"),
        ("VGG16 (top)", "modelsurg replace-head --classes 2", ms("replace-head", vgg, "--classes", "2", "-o", out), "ms"),
        ("VGG16 (top)", "modelsurg summary", ms("summary", vgg), "ms"),
        ("VGG16 (top)", "Keras 3: load_model(...).summary()", [PY, "-c", KERAS_SUMMARY, vgg], "keras"),
        # plot: the whole graph laid out by Graphviz's dot (group "plot": no ratio)
        ("ResNet50", "modelsurg plot -o out.svg", ms("plot", resnet, "-o", svg), "plot"),
        ("ResNet50", "modelsurg plot -o out.png", ms("plot", resnet, "-o", png), "plot"),
        ("ResNet50", "modelsurg plot --last 8 -o out.png", ms("plot", resnet, "--last", "8", "-o", png), "plot"),
        ("NASNetMobile", "modelsurg summary", ms("summary", nasnet), "plot"),
        ("NASNetMobile", "modelsurg plot -o out.svg", ms("plot", nasnet, "-o", svg), "plot"),
        ("NASNetMobile", "modelsurg plot -o out.png", ms("plot", nasnet, "-o", png), "plot"),
        # Keras 3's .keras zip, in and out
        ("ResNet50 .keras", "cp", ["cp", resnet_k, outk], "cp"),
        ("ResNet50 .keras", "cp + fsync (dd conv=fsync)", dd(resnet_k, outk), "sync"),
        ("ResNet50 .keras", "modelsurg reshape-input --shape 128,128,3", ms("reshape-input", resnet_k, "--shape", "128,128,3", "-o", outk), "ms"),
        ("ResNet50 .keras", "modelsurg replace-head --classes 2", ms("replace-head", resnet_k, "--classes", "2", "-o", outk), "ms"),
        ("ResNet50 .keras", "modelsurg summary", ms("summary", resnet_k), "ms"),
        ("ResNet50 .keras", "Keras 3: load_model + ResNet50(input_shape=128) + save", [PY, "-c", KERAS_RESHAPE, resnet_k, outk], "keras"),
        ("ResNet50 .keras", "Keras 3: load_model + new head + save", [PY, "-c", KERAS_HEAD, resnet_k, outk, "conv5_block3_out"], "keras"),
        ("ResNet50 .keras", "Keras 3: load_model(...).summary()", [PY, "-c", KERAS_SUMMARY, resnet_k], "keras"),
        ("VGG16 (top) .keras", "cp", ["cp", vgg_k, outk], "cp"),
        ("VGG16 (top) .keras", "cp + fsync (dd conv=fsync)", dd(vgg_k, outk), "sync"),
        ("VGG16 (top) .keras", "modelsurg strip", ms("strip", vgg_k, "-o", outk), "ms"),
        ("VGG16 (top) .keras", "modelsurg replace-head --classes 2", ms("replace-head", vgg_k, "--classes", "2", "-o", outk), "ms"),
        ("VGG16 (top) .keras", "modelsurg summary", ms("summary", vgg_k), "ms"),
        *pair_jobs(ms, dd, resnet, head, out),
        *cast_jobs(ms, dd, resnet, out),
        *convert_jobs(ms, dd, outk),
    ]
    run_timed(ms("replace-head", resnet, "--classes", "2", "-o", head))
    if a.only:
        jobs = [j for j in jobs if a.only in j[0]]
    results = {i: [] for i in range(len(jobs))}
    rss = {}
    for r in range(a.rounds):
        for i, (model, label, argv, group) in enumerate(jobs):
            if group == "keras" and r >= a.keras_rounds:
                continue
            env = KERAS_ENV if group == "keras" else None
            ok = (0, 1) if group == "diff" else (0,)
            argv = [str(x) for x in argv]
            if r == 0:
                rss[i] = peak_rss(argv, env, ok)
                for o in (out, outk):
                    if o.exists():
                        o.unlink()
            results[i].append(run_timed(argv, env, ok))
            for o in (out, outk):
                if o.exists():
                    o.unlink()
        print("round %d/%d done" % (r + 1, a.rounds), file=sys.stderr)
    shutil.rmtree(tmp, ignore_errors=True)

    med = {i: (statistics.median(v), rss[i], len(v)) for i, v in results.items()}
    cp_time = {model: med[i][0] for i, (model, label, _, g) in enumerate(jobs) if g == "cp"}
    sync_time = {model: med[i][0] for i, (model, label, _, g) in enumerate(jobs) if g == "sync"}
    ms_time = {(model, label.split(":")[0].replace("modelsurg ", "").split()[0]): med[i][0]
               for i, (model, label, _, g) in enumerate(jobs) if g in ("ms", "diff")}

    def keras_vs(model, label):
        if "summary" in label:
            return ms_time.get((model, "summary"))
        if "ResNet50(input_shape" in label:
            return ms_time.get((model, "reshape-input"))
        if "new head" in label:
            return ms_time.get((model, "replace-head"))
        if "get_layer(n).output" in label:
            return ms_time.get((model, "extract"))
        if "layer.name" in label:
            return ms_time.get((model, "rename"))
        if "layer.trainable" in label:
            return ms_time.get((model, "freeze"))
        if "load_weights" in label:
            return ms_time.get((model, "transfer-weights"))
        if "np.array_equal" in label:
            return ms_time.get((model, "diff"))
        if "DTypePolicy" in label:
            return ms_time.get((model, "cast"))
        if "Keras 3 rebuild" in label:
            return ms_time.get((model, "convert"))
        return None

    lines = [
        "| model | command | median wall | peak RSS | ratio |",
        "|---|---|---:|---:|---|",
    ]
    for i, (model, label, _, group) in enumerate(jobs):
        t, rss, n = med[i]
        ratio = ""
        if group == "ms" and "summary" not in label:
            ratio = "%.2f× cp, %.2f× cp + fsync" % (t / cp_time[model], t / sync_time[model])
        elif group == "keras":
            base = keras_vs(model, label)
            if base:
                ratio = "Keras is %.0f× slower" % (t / base)
        lines.append("| %s | %s | %.3f s | %.0f MiB | %s |" % (model, label, t, rss, ratio))
    machine = "%s, %d cores, Python %s, %s" % (platform.machine(), os.cpu_count(), platform.python_version(), platform.platform(terse=True))
    table = "\n".join(lines) + "\n\nMeasured by `make bench` (%d rounds, Keras scripts %d; median wall time; peak RSS from one more run under GNU time) on %s.\n" % (
        a.rounds, a.keras_rounds, machine)
    print(table)
    if a.readme and not a.only:
        p = Path(a.readme)
        s = p.read_text()
        start, end = "<!-- BENCH:START -->\n", "<!-- BENCH:END -->"
        if start in s and end in s:
            s = s[: s.index(start) + len(start)] + table + s[s.index(end):]
            p.write_text(s)


if __name__ == "__main__":
    main()
