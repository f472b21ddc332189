#!/usr/bin/env bash
# Reproduces models/glimpse-shapes: generate images and clips (Java), train (resumable), fit the graded
# sufficiency head, export, evaluate with PyTorch and through the Java chain, calibrate the complexity
# proxy, write the model card. Seeded. Needs Debian's python3-torch, python3-onnx, python3-pil and
# libopenblas0-pthread (apt-get install them; run with /usr/bin/python3).
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
HELDOUT_CLIP_SEED=20261129   # never used in training
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1   # one thread is fastest on this size of model (measured)
mkdir -p "$WORK" "$OUT"
WORK="$(cd "$WORK" && pwd)"
OUT="$(cd "$OUT" && pwd)"
start=$(date +%s)

[ -f app/target/glimpse.jar ] || ./mvnw -q -B -DskipTests package
[ -f "$WORK/data/meta.json" ]      || ./glimpse shapes generate --count 120000 --seed 1 --out "$WORK/data"
[ -f "$WORK/dev/meta.json" ]       || ./glimpse shapes generate --count 1024 --seed 4242 --out "$WORK/dev"
[ -f "$WORK/heldout/meta.json" ]   || ./glimpse shapes generate --count 2000 --seed $HELDOUT_SEED --out "$WORK/heldout"
[ -f "$WORK/video/meta.json" ]     || ./glimpse shapes generate --count 10000 --seed 2 --frames 4-8 --out "$WORK/video"
[ -f "$WORK/video-dev/meta.json" ] || ./glimpse shapes generate --count 256 --seed 4243 --frames 4-8 --out "$WORK/video-dev"
[ -f "$WORK/video-heldout/meta.json" ] \
    || ./glimpse shapes generate --count 600 --seed $HELDOUT_CLIP_SEED --frames 4-8 --out "$WORK/video-heldout"

# resumes from $WORK/run/checkpoint.pt when present
(cd tools && "$PY" train.py --data "$WORK/data" --video "$WORK/video" --heldout "$WORK/dev" \
    --video-heldout "$WORK/video-dev" --out "$WORK/run" --steps "$STEPS")
trained=$(date +%s)
[ -f "$WORK/run/sufficiency.pt" ] || (cd tools && "$PY" fit_sufficiency.py --checkpoint "$WORK/run/checkpoint.pt" \
    --data "$WORK/data" --out "$WORK/run/sufficiency.pt" | tee "$WORK/sufficiency.log")

(cd tools && "$PY" export.py --checkpoint "$WORK/run/checkpoint.pt" --out "$OUT")
# the PyTorch evaluations (one thread) run beside the Java evaluations and calibration (the other core)
(cd tools && "$PY" evaluate.py --checkpoint "$WORK/run/checkpoint.pt" --data "$WORK/heldout" \
    --out "$WORK/eval-python.json" --predictions "$WORK/predictions-python.jsonl" \
    && "$PY" evaluate.py --checkpoint "$WORK/run/checkpoint.pt" --data "$WORK/video-heldout" --modes full,pool4 \
    --out "$WORK/eval-python-clips.json" --predictions "$WORK/predictions-python-clips.jsonl") &
pytorch_eval=$!
./glimpse eval --bundle "$OUT" --count 2000 --seed $HELDOUT_SEED --threads 1 \
    --out "$WORK/eval-java.json" --predictions "$WORK/predictions-java.jsonl"
./glimpse eval --bundle "$OUT" --count 600 --seed $HELDOUT_CLIP_SEED --frames 4-8 --threads 1 \
    --out "$WORK/eval-java-clips.json" --predictions "$WORK/predictions-java-clips.jsonl"
./glimpse bundle calibrate --bundle "$OUT" --tokens pooled --threads 1 --write > "$WORK/calibration.json"
wait $pytorch_eval
"$PY" tools/model_card.py --work "$WORK" --out "$OUT/MODEL_CARD.md" --steps "$STEPS" \
    --minutes $(( ($(date +%s) - start) / 60 )) --train-minutes $(( (trained - start) / 60 ))
echo "done in $(( ($(date +%s) - start) / 60 )) minutes: $OUT"
