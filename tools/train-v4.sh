#!/usr/bin/env bash
# Default model v4, in progress (issue: a default model at LLaVA-1.5's visual scale), LLaVA's recipe:
#   data    the detail distribution (Java): 192 x 192 scenes, 576 patches;
#   stage 1 the vision encoder alone on per-patch targets (tools/pretrain_vision.py);
#   stage 2 the encoder frozen, its features cached once; the LM and resampler trained on them, most
#           steps on reduced inputs (pooled, QuoTA resizes, prefixes, subsets), 15% on the full grid.
# Every stage resumes where it stopped: run the script again. Between sessions (whose work directory is
# gone) stage 1 resumes from tools/v4-resume/stage1, which a session commits when it stops:
#   mkdir -p tools/v4-resume/stage1 && cp tools/work-v4/stage1/{vision.pt,pretrain.log} tools/v4-resume/stage1/ Clips at the detail scale, the
# question-aware sufficiency head, export and evaluation follow in later commits; when v4 ships this
# becomes tools/train-default-model.sh.
#
#   tools/train-v4.sh                   # WORK=tools/work-v4
# Needs Debian's python3-torch, python3-numpy (run with /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/.."
WORK="${WORK:-tools/work-v4}"
PY="${PYTHON:-/usr/bin/python3}"
STAGE1_STEPS="${STAGE1_STEPS:-4000}"
STAGE2_STEPS="${STAGE2_STEPS:-4000}"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1   # one process per core
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"

[ -f app/target/glimpse.jar ] || ./mvnw -q -B -DskipTests package
gen() { [ -f "$WORK/$1/meta.json" ] || ./glimpse shapes generate --distribution detail --count "$2" --seed "$3" --out "$WORK/$1"; }
gen data 30000 11
gen dev 512 4244

# a later session resumes stage 1 from the checkpoint the last one committed (tools/v4-resume)
if [ ! -f "$WORK/stage1/vision.pt" ] && [ -f tools/v4-resume/stage1/vision.pt ]; then
    mkdir -p "$WORK/stage1" && cp tools/v4-resume/stage1/* "$WORK/stage1/"
fi
(cd tools && "$PY" pretrain_vision.py --data "$WORK/data" --heldout "$WORK/dev" --out "$WORK/stage1" \
    --steps "$STAGE1_STEPS")

(cd tools && "$PY" train.py --data "$WORK/data" --heldout "$WORK/dev" --out "$WORK/stage2" \
    --init "$WORK/stage1/vision.pt" --freeze-vision --feature-cache "$WORK/cache" \
    --steps "$STAGE2_STEPS" --lr 1e-3 --warmup 200 --batch 32 --eval-every 500)
