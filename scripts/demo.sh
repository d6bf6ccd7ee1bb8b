#!/usr/bin/env bash
# The walkthrough from the README: a Keras 3 ResNet50 (random weights, made
# by Keras in .venv and cached in .cache/demo) taken from 224x224x3 and 1000
# classes to 128x128x3 and 2 classes, one output written again as Keras 3's
# native .keras, then each output loaded by Keras.
set -euo pipefail
cd "$(dirname "$0")/.."
MS=bin/modelsurg
PY=.venv/bin/python
D=.cache/demo
mkdir -p "$D"
export TF_CPP_MIN_LOG_LEVEL=3 CUDA_VISIBLE_DEVICES=""

step() { printf '\n$ %s\n' "$*"; "$@" 2>&1; }

if [ ! -f "$D/resnet50.h5" ]; then
  echo "making $D/resnet50.h5 with Keras 3 (ResNet50, weights=None, seed 1234) ..."
  $PY tests/interop/gen_apps.py --dialect k3 --model resnet50 --out "$D/resnet50.h5" >/dev/null 2>"$D/gen.log" ||
    { cat "$D/gen.log" >&2; exit 1; }
fi
rm -f "$D"/resnet50_128.h5 "$D"/flatten_head.h5 "$D"/avg_head.h5 "$D"/avg_head.keras "$D"/nested_128.h5

step $MS summary "$D/resnet50.h5" --first 3 --last 5
step $MS reshape-input "$D/resnet50.h5" --shape 128,128,3 -o "$D/resnet50_128.h5"
step $MS summary "$D/resnet50_128.h5" --first 3 --last 5
step $MS replace-head "$D/resnet50_128.h5" --pooling flatten --dropout 0.5 --classes 2 -o "$D/flatten_head.h5"
step $MS summary "$D/flatten_head.h5" --last 4
step $MS replace-head "$D/resnet50_128.h5" --pooling avg --classes 2 -o "$D/avg_head.h5"
step $MS summary "$D/avg_head.h5" --last 3
step $MS strip "$D/avg_head.h5" -o "$D/avg_head.keras"
step $MS reshape-input "$D/resnet50.h5" --nest --shape 128,128,3 -o "$D/nested_128.h5"
step $MS summary "$D/nested_128.h5"

# The pictures in the README's plot section (docs/img/), written quietly so
# the walkthrough above stays as it is: the top of the model before and
# after replace-head, and the input end before and after reshape-input.
IMG=docs/img
mkdir -p "$IMG"
for ext in svg png; do
  $MS plot "$D/resnet50_128.h5" --last 8 -o "$IMG/resnet50_top.$ext" --force
  $MS plot "$D/resnet50_128.h5" "$D/flatten_head.h5" --highlight --last 9 -o "$IMG/resnet50_top_replace_head.$ext" --force
  $MS plot "$D/resnet50.h5" "$D/resnet50_128.h5" --highlight --first 6 -o "$IMG/resnet50_input_reshape.$ext" --force
done

printf '\nThe last Dense layer: Flatten head %s parameters, GlobalAveragePooling head %s.\n' \
  "$($MS summary "$D/flatten_head.h5" --format json | $PY -c 'import json,sys; print(format(json.load(sys.stdin)["layers"][-1]["params"], ","))')" \
  "$($MS summary "$D/avg_head.h5" --format json | $PY -c 'import json,sys; print(format(json.load(sys.stdin)["layers"][-1]["params"], ","))')"

printf '\nKeras 3 loads each output and predicts on a random batch:\n'
# TensorFlow's start-up chatter goes to stderr; the verdicts go to stdout.
$PY - "$D"/resnet50_128.h5 "$D"/flatten_head.h5 "$D"/avg_head.h5 "$D"/avg_head.keras "$D"/nested_128.h5 2>"$D/keras.log" <<'PYEOF'
import sys, warnings
warnings.filterwarnings("ignore")
import numpy as np, keras
ok = True
for path in sys.argv[1:]:
    name = path.split("/")[-1]
    try:
        m = keras.saving.load_model(path, compile=False)
        x = np.random.default_rng(0).random((2, 128, 128, 3), dtype=np.float32)
        y = m.predict(x, verbose=0)
        print("  %-16s loads, predicts %s, finite: %s" % (name, tuple(y.shape), bool(np.isfinite(y).all())))
    except Exception as e:
        ok = False
        print("  %-16s FAILS: %s: %s" % (name, type(e).__name__, str(e).splitlines()[0]))
sys.exit(0 if ok else 1)
PYEOF
