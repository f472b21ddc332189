#!/usr/bin/env bash
# A realistic-scale, untrained, seeded bundle for throughput work, with LLaVA-1.5's visual shape:
# 24 x 24 = 576 patches per image, and its balance of cost — the LM's prefill over the 576 visual
# tokens costs about 20x the ViT's (LLaVA-1.5-7B: ~20x). Small enough in layers and width to run
# on a 2-core CPU. Not committed (about 600 MB); made again in about two minutes:
#
#   tools/make-bench-model.sh [OUT]        # default: tools/work/bench-model
#
# Cost model (docs/design/cost-model.md, multiply-adds): ViT 8 layers, width 256, over 576 patches
# = 5.0 G; LM 10 layers, width 1024, FFN 4096, over ~600 tokens = 83 G (17x). Until encoder reduction
# the ViT was 2 layers of width 512 (4.3 G, 19x): deeper at about the same cost, as LLaVA's 24-layer ViT
# is, so that its eight one-block stages have points between them to reduce tokens at.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-tools/work/bench-model}"
PY="${PYTHON:-/usr/bin/python3}"
mkdir -p "$(dirname "$OUT")"
(cd tools && OPENBLAS_NUM_THREADS=1 "$PY" export.py --untrained --seed 13 --width 1024 --layers 10 \
    --patches 576 --vit-width 256 --vit-layers 8 --out "$(cd .. && mkdir -p "$OUT" && cd "$OUT" && pwd)")
echo "bench model: $OUT"
