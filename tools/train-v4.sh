#!/usr/bin/env bash
# Default model v4, in progress (issue: a default model at LLaVA-1.5's visual scale): the detail
# distribution's data (Java), then stage 1, the vision encoder alone on per-patch targets (resumable).
# Stage 2 (the language model on the frozen encoder's cached outputs, mostly reduced inputs), the
# question-aware sufficiency head, clips, export and evaluation follow in later commits; when v4 ships
# this becomes tools/train-default-model.sh. Run it again to resume where it stopped.
#
#   tools/train-v4.sh                   # WORK=tools/work-v4
# Needs Debian's python3-torch, python3-numpy (run with /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/.."
WORK="${WORK:-tools/work-v4}"
PY="${PYTHON:-/usr/bin/python3}"
STAGE1_STEPS="${STAGE1_STEPS:-6000}"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1   # one process per core
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"

[ -f app/target/glimpse.jar ] || ./mvnw -q -B -DskipTests package
gen() { [ -f "$WORK/$1/meta.json" ] || ./glimpse shapes generate --distribution detail --count "$2" --seed "$3" --out "$WORK/$1"; }
gen data 30000 11
gen dev 512 4244

(cd tools && "$PY" pretrain_vision.py --data "$WORK/data" --heldout "$WORK/dev" --out "$WORK/stage1" \
    --steps "$STAGE1_STEPS")
