#!/usr/bin/env bash
# Reproduces models/glimpse-shapes-v3 (v3, the default model until v4; the tests' fast 144-token bundle): generate images and clips (Java), recover v2's weights from its
# ONNX files in this repository's history, train on images and clips from them (resumable), fit the graded
# sufficiency head, export, evaluate with PyTorch and through the Java chain, calibrate the complexity
# proxy, write the model card. Seeded. Needs Debian's python3-torch, python3-onnx, python3-pil and
# libopenblas0-pthread (apt-get install them; run with /usr/bin/python3), and git.
#
# v2 is the model of commit 84c6c1d, made by that commit's version of this script from v1 (commit 162ca0a,
# 3,600 steps from random weights); docs/design/model.md says why each starts from the one before.
#
#   tools/train-v3.sh            # WORK=tools/work, STEPS=3000, STOP=2000
#   WORK=/scratch STEPS=3000 STOP=0 OUT=/tmp/bundle tools/train-v3.sh   # the whole schedule
set -euo pipefail
cd "$(dirname "$0")/.."
WORK="${WORK:-tools/work}"
STEPS="${STEPS:-3000}"
STOP="${STOP:-2000}"         # where v3 stopped on that schedule, to fit the 90-minute budget (0: run it to the end)
V2_COMMIT=84c6c1d4c994f980998f67528b0b6cb45bf7469b
PY="${PYTHON:-/usr/bin/python3}"
OUT="${OUT:-models/glimpse-shapes-v3}"
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
# the sufficiency head learns the VLM's behaviour on images it never trained on
[ -f "$WORK/suff-data/meta.json" ] || ./glimpse shapes generate --count 2048 --seed 7 --out "$WORK/suff-data"

if [ ! -f "$WORK/v2/v2.pt" ]; then
    mkdir -p "$WORK/v2/bundle/onnx"
    for f in vision_encoder resampler embed_tokens decoder_model_merged; do
        git show "$V2_COMMIT:models/glimpse-shapes/onnx/$f.onnx" > "$WORK/v2/bundle/onnx/$f.onnx"
    done
    (cd tools && "$PY" recover_checkpoint.py --bundle "$WORK/v2/bundle" --out "$WORK/v2/v2.pt" --check "$WORK/dev" \
        --layout compact)
fi

# resumes from $RUN/checkpoint.pt when present
RUN="$WORK/run-v3"
(cd tools && "$PY" train.py --data "$WORK/data" --video "$WORK/video" --heldout "$WORK/dev" \
    --video-heldout "$WORK/video-dev" --out "$RUN" --steps "$STEPS" --stop-at "$STOP" --lr 6e-4 --warmup 100 --init "$WORK/v2/v2.pt")
trained=$(date +%s)
[ -f "$RUN/sufficiency.pt" ] || (cd tools && "$PY" fit_sufficiency.py --checkpoint "$RUN/checkpoint.pt" \
    --data "$WORK/suff-data" --out "$RUN/sufficiency.pt" | tee "$WORK/sufficiency.log")

(cd tools && "$PY" export.py --checkpoint "$RUN/checkpoint.pt" --out "$OUT")
# the PyTorch evaluations (one thread) run beside the Java evaluations and calibration (the other core)
(cd tools && "$PY" evaluate.py --checkpoint "$RUN/checkpoint.pt" --data "$WORK/heldout" \
    --out "$WORK/eval-python.json" --predictions "$WORK/predictions-python.jsonl" \
    && "$PY" evaluate.py --checkpoint "$RUN/checkpoint.pt" --data "$WORK/video-heldout" --modes full,pool4 \
    --out "$WORK/eval-python-clips.json" --predictions "$WORK/predictions-python-clips.jsonl") &
pytorch_eval=$!
./glimpse eval --bundle "$OUT" --count 2000 --seed $HELDOUT_SEED --threads 1 \
    --out "$WORK/eval-java.json" --predictions "$WORK/predictions-java.jsonl"
./glimpse eval --bundle "$OUT" --count 600 --seed $HELDOUT_CLIP_SEED --frames 4-8 --threads 1 \
    --out "$WORK/eval-java-clips.json" --predictions "$WORK/predictions-java-clips.jsonl"
./glimpse bundle calibrate --bundle "$OUT" --tokens pooled --threads 1 --write > "$WORK/calibration.json"
wait $pytorch_eval
"$PY" tools/model_card.py --work "$WORK" --out "$OUT/MODEL_CARD.md" --steps "$STEPS" --stop "$STOP" \
    --minutes $(( ($(date +%s) - start) / 60 )) --train-minutes $(( (trained - start) / 60 ))
echo "done in $(( ($(date +%s) - start) / 60 )) minutes: $OUT"
