#!/usr/bin/env python3
"""Generate large keras.applications models as .h5 or .keras files (random weights).

Used by the interop suite (conftest.py) to fill the git-ignored cache
.cache/apps/{k2,k3}/NAME.h5, and by hand or by benchmarks:

    gen_apps.py --dialect k3 --model resnet50 --out /tmp/resnet50.h5
    gen_apps.py --dialect k2 --model vgg16 --include-top --out /tmp/vgg16_top.h5
    gen_apps.py --dialect k2 --all --out-dir .cache/apps/k2    # every missing default model
    gen_apps.py --dialect k2 --all --models resnet50,vgg16 --out-dir .cache/apps/k2
    gen_apps.py --dialect k3 --model resnet50 --out /tmp/resnet50.keras  # Keras 3's native zip
    gen_apps.py --dialect k3 --all --format keras --out-dir .cache/apps/k3  # NAME.keras

k2 = Keras 2 (tf_keras), k3 = Keras 3 (keras). Always weights=None (no
downloads), fixed seed, so a model's weights depend only on the versions.
Files are written to a temporary name in the same directory and renamed, so an
interrupted run never leaves a truncated cache entry.
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

SEED = 1234

# name -> (application function name, default include_top)
APPS = {
    "resnet50": ("ResNet50", True),
    "vgg16": ("VGG16", False),
    "mobilenetv2": ("MobileNetV2", True),
    "efficientnetb0": ("EfficientNetB0", True),
    "densenet121": ("DenseNet121", True),
    "inceptionv3": ("InceptionV3", True),
    # tf_keras's helper layers: LayerScale (ConvNeXt), CustomScaleLayer
    # (InceptionResNetV2). Made only on request (test_convert.py asks for
    # them by name): not every app test needs them.
    "convnexttiny": ("ConvNeXtTiny", True),
    "inceptionresnetv2": ("InceptionResNetV2", True),
}
# The set the interop suite uses (VGG16 with include_top=True is only made on
# request: it is 528 MB; so are the models after InceptionV3 above).
DEFAULT_APPS = ["resnet50", "vgg16", "mobilenetv2", "efficientnetb0", "densenet121", "inceptionv3"]


def keras_module(dialect):
    import warnings

    warnings.filterwarnings("ignore")
    if dialect == "k2":
        import tf_keras

        return tf_keras
    if dialect == "k3":
        import keras

        return keras
    raise ValueError("dialect must be k2 or k3, not %r" % dialect)


def file_name(model, include_top=None, ext=".h5"):
    """Cache file name: NAME.h5, or NAME_top.h5 / NAME_notop.h5 when
    include_top differs from the default (ext ".keras": NAME.keras, ...)."""
    fn, default_top = APPS[model]
    if include_top is None or include_top == default_top:
        return model + ext
    return model + ("_top" if include_top else "_notop") + ext


def build(dialect, model, include_top=None):
    K = keras_module(dialect)
    fn, default_top = APPS[model]
    top = default_top if include_top is None else include_top
    K.backend.clear_session()
    K.utils.set_random_seed(SEED)
    return getattr(K.applications, fn)(weights=None, include_top=top)


def generate(dialect, model, out, include_top=None):
    """Build the model and save it to out (atomically). Returns seconds taken."""
    t0 = time.time()
    m = build(dialect, model, include_top)
    out = os.path.abspath(out)
    d = os.path.dirname(out)
    os.makedirs(d, exist_ok=True)
    # Keras 3 decides the format by the suffix: keep .h5 (or .keras) at the end.
    ext = ".keras" if out.endswith(".keras") else ".h5"
    if ext == ".keras" and dialect != "k3":
        raise ValueError(".keras is Keras 3's format: use --dialect k3")
    tmp = os.path.join(d, ".tmp-%d-%s" % (os.getpid(), os.path.basename(out)))
    if not tmp.endswith(ext):
        tmp += ext
    try:
        m.save(tmp)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    del m
    return time.time() - t0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dialect", required=True, choices=["k2", "k3"])
    ap.add_argument("--model", choices=sorted(APPS))
    ap.add_argument("--include-top", dest="include_top", action="store_true", default=None,
                    help="force include_top=True (e.g. VGG16 with its 4096-unit head)")
    ap.add_argument("--no-include-top", dest="include_top", action="store_false",
                    help="force include_top=False")
    ap.add_argument("--out", help="output .h5 or .keras path (with --model)")
    ap.add_argument("--format", choices=["h5", "keras"], default="h5",
                    help="with --all: write NAME.h5 or (k3 only) NAME.keras")
    ap.add_argument("--all", action="store_true", help="generate every missing default model into --out-dir")
    ap.add_argument("--out-dir", help="directory for --all (files NAME.h5)")
    ap.add_argument("--models", help="with --all: comma-separated subset of the default models")
    ap.add_argument("--force", action="store_true", help="with --all: regenerate existing files")
    a = ap.parse_args(argv)
    if a.all:
        if not a.out_dir or a.model or a.out:
            ap.error("--all needs --out-dir and no --model/--out")
        names = a.models.split(",") if a.models else DEFAULT_APPS
        for name in names:
            if name not in APPS:
                ap.error("unknown model %r (have %s)" % (name, ", ".join(sorted(APPS))))
            out = os.path.join(a.out_dir, file_name(name, ext="." + a.format))
            if os.path.exists(out) and not a.force:
                continue
            dt = generate(a.dialect, name, out)
            print("%s %s %.1fs %d bytes" % (a.dialect, out, dt, os.path.getsize(out)), flush=True)
        return 0
    if not a.model or not a.out:
        ap.error("--model and --out are required (or --all --out-dir DIR)")
    dt = generate(a.dialect, a.model, a.out, a.include_top)
    print("%s %s %.1fs %d bytes" % (a.dialect, a.out, dt, os.path.getsize(a.out)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
