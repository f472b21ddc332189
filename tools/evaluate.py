"""Evaluates a checkpoint with PyTorch on Java-generated samples (images or clips), per input mode and family.
The same samples go through the Java chain (`glimpse eval`), and the two must agree within 1 point.

  evaluate.py --checkpoint run/checkpoint.pt --data heldout --out eval.json --predictions preds.jsonl
"""
import argparse
import json

import torch

from glimpse_model import ANS, load_checkpoint
from shapes_data import ShapesData
from vlm_forward import reduce_frames, prefix_embeddings, greedy_answers, words

# every frame of a sample gets the same (mode, param)
MODES = {"full": ("full", "full", 0), "pool6": ("pooled 6x6 (36 tokens)", "pool", 6),
         "reg16": ("16 registers", "prefix", 16), "pool4": ("pooled 4x4 (16 tokens)", "pool", 4),
         "reg8": ("8 registers", "prefix", 8)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--predictions")
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--modes", default="full,pool6,pool4,reg16", help="comma-separated: " + ",".join(MODES))
    args = ap.parse_args()
    torch.set_num_threads(1)
    model = load_checkpoint(args.checkpoint)
    data = ShapesData(args.data)
    n = min(args.count or len(data), len(data))
    report = {"samples": n, "data": args.data, "modes": {}}
    preds = []
    batch = 16 if data.video else 64
    for label, mode, param in (MODES[m] for m in args.modes.split(",")):
        hits, fam = 0, {}
        with torch.no_grad():
            for start in range(0, n, batch):
                idx = list(range(start, min(n, start + batch)))
                frame_ids = [data.frame_ids(i) for i in idx]
                feats = model.vision(data.pixels([f for fs in frame_ids for f in fs]))[0]
                tokens = reduce_frames(model, feats, [(mode, param)] * feats.shape[0])
                prefixes, t = [], 0
                for fs in frame_ids:
                    prefixes.append(prefix_embeddings(model, tokens[t:t + len(fs)]))
                    t += len(fs)
                answers = greedy_answers(model, prefixes, [data.question_ids[i] + [ANS] for i in idx])
                for i, a in zip(idx, answers):
                    s = data.samples[i]
                    text = words(a)
                    ok = text == s["answer"]
                    hits += ok
                    h, c = fam.get(s["family"], (0, 0))
                    fam[s["family"]] = (h + ok, c + 1)
                    if mode == "full":
                        preds.append({"question": s["question"], "family": s["family"], "expected": s["answer"],
                                      "answer": text})
        report["modes"][label] = {"accuracy": hits / n,
                                  "families": {k: h / c for k, (h, c) in sorted(fam.items())}}
        print(f"{label}: {hits / n:.4f} " + " ".join(f"{k}={h / c:.3f}" for k, (h, c) in sorted(fam.items())), flush=True)
    json.dump(report, open(args.out, "w"), indent=2)
    if args.predictions:
        with open(args.predictions, "w") as f:
            for p in preds:
                f.write(json.dumps(p) + "\n")


if __name__ == "__main__":
    main()
