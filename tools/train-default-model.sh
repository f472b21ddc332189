#!/usr/bin/env bash
# Reproduces models/glimpse-shapes: generate data (Java), train (resumable), export, evaluate with
# PyTorch and through the Java chain, write the model card. Seeded. Needs Debian's python3-torch,
# python3-onnx, python3-pil and libopenblas0-pthread (apt-get install them; run with /usr/bin/python3).
#
#   tools/train-default-model.sh            # WORK=tools/work, STEPS=3600
#   WORK=/scratch STEPS=3600 tools/train-default-model.sh
set -euo pipefail
cd "$(dirname "$0")/.."
WORK="${WORK:-tools/work}"
STEPS="${STEPS:-3600}"
PY="${PYTHON:-/usr/bin/python3}"
OUT="${OUT:-models/glimpse-shapes}"
HELDOUT_SEED=20261128        # never used in training
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1   # one thread is fastest on this size of model (measured)
mkdir -p "$WORK" "$OUT"
WORK="$(cd "$WORK" && pwd)"
OUT="$(cd "$OUT" && pwd)"
start=$(date +%s)

[ -f app/target/glimpse.jar ] || ./mvnw -q -B -DskipTests package
[ -f "$WORK/data/meta.json" ]    || ./glimpse shapes generate --count 120000 --seed 1 --out "$WORK/data"
[ -f "$WORK/dev/meta.json" ]     || ./glimpse shapes generate --count 1024 --seed 4242 --out "$WORK/dev"
[ -f "$WORK/heldout/meta.json" ] || ./glimpse shapes generate --count 2000 --seed $HELDOUT_SEED --out "$WORK/heldout"

# resumes from $WORK/run/checkpoint.pt when present
(cd tools && "$PY" train.py --data "$WORK/data" --heldout "$WORK/dev" --out "$WORK/run" \
    --steps "$STEPS" --layout ifirst --qa-per-image 6 --aux-weight 1.0)

(cd tools && "$PY" export.py --checkpoint "$WORK/run/checkpoint.pt" --out "$OUT")
# the PyTorch evaluation (one thread) runs beside the Java evaluation and calibration (the other core)
(cd tools && "$PY" evaluate.py --checkpoint "$WORK/run/checkpoint.pt" --data "$WORK/heldout" \
    --out "$WORK/eval-python.json" --predictions "$WORK/predictions-python.jsonl") &
pytorch_eval=$!
./glimpse eval --bundle "$OUT" --count 2000 --seed $HELDOUT_SEED --threads 1 \
    --out "$WORK/eval-java.json" --predictions "$WORK/predictions-java.jsonl"
./glimpse bundle calibrate --bundle "$OUT" --tokens pooled --threads 1 --write > "$WORK/calibration.json"
wait $pytorch_eval
"$PY" tools/model_card.py --work "$WORK" --out "$OUT/MODEL_CARD.md" --steps "$STEPS" --minutes $(( ($(date +%s) - start) / 60 ))
echo "done in $(( ($(date +%s) - start) / 60 )) minutes: $OUT"
