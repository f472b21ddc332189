"""Writes MODEL_CARD.md from the PyTorch and Java evaluations of the same held-out samples."""
import argparse
import json
import os


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=int, default=0)
    ap.add_argument("--steps", type=int, default=3600, help="length of the learning-rate schedule")
    ap.add_argument("--stop", type=int, default=0, help="the step training stopped at (0: the schedule's end)")
    ap.add_argument("--train-minutes", type=int, default=0)
    ap.add_argument("--run", help="the training run's directory (default WORK/run-v3)")
    args = ap.parse_args()
    py = json.load(open(os.path.join(args.work, "eval-python.json")))
    jv = json.load(open(os.path.join(args.work, "eval-java.json")))
    preds_py = [json.loads(l) for l in open(os.path.join(args.work, "predictions-python.jsonl"))]
    preds_jv = [json.loads(l) for l in open(os.path.join(args.work, "predictions-java.jsonl"))]
    same = sum(a["answer"] == b["answer"] for a, b in zip(preds_py, preds_jv))
    run = args.run or os.path.join(args.work, "run-v3")
    log = open(os.path.join(run, "train.log")).read().splitlines()
    suff_path = os.path.join(run, "sufficiency.json")
    suff = json.load(open(suff_path)) if os.path.exists(suff_path) else None
    py_clips = json.load(open(os.path.join(args.work, "eval-python-clips.json")))
    jv_clips = json.load(open(os.path.join(args.work, "eval-java-clips.json")))
    clip_fams = sorted(jv_clips["families"])
    fams = sorted(jv["families"])
    modes = py["modes"]
    lines = []
    w = lines.append
    w("# glimpse-shapes")
    w("")
    w("A small vision-language model trained by Glimpse's own script on synthetic Shapes-VQA data, so")
    w("that the embedded default really answers questions and accuracy against visual-token budget can")
    w("be measured. It is an instrument, not a general VLM: it knows 96x96 scenes of coloured shapes")
    w("and the seven question families of Shapes-VQA, and clips of up to eight such frames with the four")
    w("question families of Shapes-Video, nothing else.")
    w("")
    w("## Architecture")
    w("")
    w("| part | shape |")
    w("|---|---|")
    w("| vision encoder | ViT, 8x8 patches over 96x96 (12x12 = 144 patch tokens) + CLS, width 96, 4 layers, 3 heads; linear projector to 128 (linear, so pooling projected features equals projecting pooled ones) |")
    w("| exported attention | post-softmax attention and keys of ViT layer 2 (the penultimate, as VisionZip uses layer -2) |")
    w("| resampler | 32 registers, 2 layers: causal self-attention among registers + cross-attention to the grid (FlexTok-style: register i never sees registers > i, so every prefix is a valid encoding) |")
    w("| sufficiency head (graded) | from the grid features alone (mean, max and standard deviation over tokens; 2 hidden layers of 128), the probability that each of 11 candidate counts reproduces the full grid's answer: register prefixes 1, 2, 4, 8, 16, 32 and pooled sides 2, 3, 4, 6, 8 (KARL-style: one pass, no question); an output of `resampler.onnx` |")
    w("| language model | decoder-only, width 128, 4 layers, 4 heads, FFN 512, learned positions (1280) taken from `position_ids`, vocabulary of 70 words |")
    w("| prompt | `<bos> frame one {image 1} frame two {image 2} ... {question} <ans>` then the answer and `<eos>`; compact positions (every token takes the next one, so pruned tokens free theirs) |")
    w("| lm_probe | the first 2 LM layers: FFN activations (input of the down projection) and attention of layer 1 |")
    w("| core-neuron decoder | `decoder_model_core.onnx`: the decoder with each layer's FFN as inputs, and `ffn_weights.bin` (every layer's up weight, bias and transposed down weight, 2 MB) — decode steps over each layer's core neurons (`generation.core_neurons`; the agreement with the dense model is measured by `glimpse eval --agreement --core-neurons 0.4`) |")
    w("| static-cache decoder | `decoder_model_static.onnx`: one decode step over a fixed-capacity past, returning only the new keys and values, so the runner keeps a decode batch's keys and values in place |")
    w("")
    w("About 2.0 M parameters; the bundle is about 18 MB.")
    w("")
    w("## Training")
    w("")
    w("`tools/train-default-model.sh` (one command, seeded, resumable):")
    w("")
    w("1. `glimpse shapes generate`: 120,000 training images (seed 1), 1,024 dev images (seed 4242), 2,000 held-out images (seed 20261128); `--frames 4-8`: 10,000 training clips (seed 2), 256 dev clips (seed 4243), 600 held-out clips (seed 20261129). Held-out seeds are never used in training.")
    w("2. `tools/recover_checkpoint.py` recovers v2 — the model of commit 84c6c1d, made by that commit's version of this script from v1 (commit 162ca0a, 3,600 steps from random weights) — from its ONNX files in the repository's history (checked: it scores 91.8% on 256 dev samples, as its training log said).")
    ran = f"{args.stop:,} steps of a {args.steps:,}-step schedule" if args.stop else f"{args.steps:,} steps"
    w(f"3. `tools/train.py`: {ran} from v2, AdamW (lr 6e-4, warm-up 100, cosine), one thread; 40% of the steps take 32 images, 60% take 8 clips. An image batch uses one input mode so one model serves them all: full grid 45%, grid average-pooled to n x n with n in {1,2,3,4,6,8} 20% (TokenFLEX), a register prefix of log-uniform length 1..32 25% (nested dropout), a random subset of 8..143 grid tokens 10%. A clip batch is of one kind, because a batch pads to its longest sequence: every frame the full grid (30%), every frame of a clip one pooled side (20%) or one bilinear resize to QuoTA's h x w for a share of 1..143 tokens (10%) — what a uniform split gives — or each frame its own mode (40%: full 25%, pooled 30%, resize 15%, subset 15%, prefix 15% — what QuoTA's per-frame budgets give).")
    w("   What made clips learnable (v2, trained on clips the way it trained on images, stayed near 39% on them):")
    w("   - clip steps train the LM only: the vision encoder, which learns what is where from single images, runs without its backward pass, so a clip step costs less and more clips fit the budget;")
    w("   - a curriculum: at first every clip is pooled to 2x2 or 3x3 per frame, and the share of such clips falls to zero over the first 900 steps. On these short sequences the LM learns within a few hundred clip steps to find the frames an object is in (a clip-only probe from v2: 'first appears' 28% to 91% and 'only in the last frame' 64% to 93% in 900 steps at 2x2), before it meets the full grid;")
    w("   - sixteen question/answer segments per clip instead of eight.")
    w("   Kept from v1 and v2:")
    w("   - several question/answer segments share each sample's visual tokens in one sequence (six per image, sixteen per clip: the generator's question plus more derived from the object list or the clip's tracks by `tools/scene_questions.py`, by the Java generator's rules); a block mask lets each segment see only the shared prefix and itself, and each starts at the position inference uses, so the model sees exactly the inference layout several times per sample;")
    w("   - an auxiliary loss (weight 1.0) asks a linear probe on the projected patch features for the colour, shape, size and region of the object covering each patch (pixel coverage by the renderer's rule); the probe is dropped at export.")
    w("4. `tools/fit_sufficiency.py` then fits the graded head alone: for 2,048 images the VLM never trained on (seed 7), six questions each are answered on the full grid, and every candidate count is checked for reproducing each answer (teacher-forced: greedy decoding reproduces an answer exactly when the argmax at every answer position is its next token); the label is the share of the image's questions the candidate reproduces, learned with a soft binary cross-entropy. Then the head is fitted to the rule that uses it: ADAPTIVE takes the cheapest candidate whose prediction reaches a threshold, which favours predictions that erred upwards, so on the quarter of the images the head did not train on, each quality target from 0.5 to 1.0 gets the lowest threshold at which the rule's picks reproduce that share of the answers; the table is `config.json` `sufficiency.selection`.")
    w("5. `tools/export.py` writes every ONNX file (opset 17, checked with `onnx.checker`); `tools/evaluate.py` and `glimpse eval` score the held-out samples.")
    w("6. `glimpse bundle calibrate --tokens pooled --write` fits the complexity proxy's calibration table (ADAPTIVE without the head) on 600 training samples and writes it into `config.json`.")
    if args.minutes:
        w("")
        import ast
        kinds = {"image": [], "clip": []}
        for l in log:
            if "s/step {" in l:
                for k, v in ast.literal_eval(l[l.index("{"):]).items():
                    kinds[k].append(v)
        mean = {k: sum(v) / len(v) for k, v in kinds.items() if v}
        w(f"The whole run took {args.minutes} minutes on the 2-core development machine (training {args.train_minutes}); "
          f"an image step averaged {mean.get('image', 0):.2f} s and a clip step {mean.get('clip', 0):.2f} s (one thread).")
    if suff:
        w("")
        w("Sufficiency labels (mean share of answers reproduced, per candidate): "
          + ", ".join(f"{k}{p}: {v:.3f}" for (k, p, _), v in zip(suff["candidates"], suff["mean_labels"])))
    w("")
    w("## Accuracy on 2,000 held-out samples (seed 20261128)")
    w("")
    w("Exact match of the generated words. Java = through the real chain (`glimpse eval`: PNG → OpenCV →")
    w("ONNX Runtime vision encoder → pruner → ONNX Runtime decoder with KV cache); PyTorch = `tools/evaluate.py` on the same samples.")
    w("")
    header = "| input mode | overall | " + " | ".join(fams) + " |"
    w(header)
    w("|---" * (len(fams) + 2) + "|")
    w(f"| full grid, 144 tokens (Java) | {100 * jv['accuracy']:.1f} | "
      + " | ".join(f"{100 * jv['families'][f]['accuracy']:.1f}" for f in fams) + " |")
    for label, m in modes.items():
        w(f"| {label} (PyTorch) | {100 * m['accuracy']:.1f} | "
          + " | ".join(f"{100 * m['families'].get(f, 0):.1f}" for f in fams) + " |")
    w("")
    full_py = modes["full"]["accuracy"]   # the "full" mode label
    w(f"Java and PyTorch on full tokens: {100 * jv['accuracy']:.2f}% vs {100 * full_py:.2f}% "
      f"(difference {100 * abs(jv['accuracy'] - full_py):.2f} points); the two give the same answer on "
      f"{same} of {len(preds_py)} samples.")
    w(f"Java 95% Wilson interval: {100 * jv['accuracy_ci95'][0]:.1f}-{100 * jv['accuracy_ci95'][1]:.1f}%.")
    w("")
    w("Reproduce the Java row: `./glimpse eval --count 2000 --seed 20261128`.")
    w("")
    w("## Accuracy on 600 held-out clips of 4-8 frames (seed 20261129)")
    w("")
    w("| input mode | overall | " + " | ".join(clip_fams) + " |")
    w("|---" * (len(clip_fams) + 2) + "|")
    w(f"| every frame full, 144 tokens each (Java) | {100 * jv_clips['accuracy']:.1f} | "
      + " | ".join(f"{100 * jv_clips['families'][f]['accuracy']:.1f}" for f in clip_fams) + " |")
    for label, m in py_clips["modes"].items():
        w(f"| every frame {label} (PyTorch) | {100 * m['accuracy']:.1f} | "
          + " | ".join(f"{100 * m['families'].get(f, 0):.1f}" for f in clip_fams) + " |")
    w("")
    w("Reproduce the Java row: `./glimpse eval --frames 4-8 --count 600 --seed 20261129`.")
    w("")
    w("## Limits")
    w("")
    w("- Counting and nearest-neighbour questions are the hardest families; see the table. Against v2 (93.6% on the same "
      "2,000 samples: nearest neighbour 86.2%, counting 71.3%, position 97.5%), v3 gained counting and clips (39.3% then) "
      "and lost nearest neighbour.")
    w("- Words outside the 70-word vocabulary become `<unk>`; questions must follow the Shapes-VQA and Shapes-Video templates to be answered meaningfully.")
    w("- At most eight images (frames) per request: the prompt names them `frame one` .. `frame eight`.")
    w("- Images are resized to 96x96; the model has only seen Shapes-VQA renderings.")
    weakest = min(clip_fams, key=lambda f: jv_clips["families"][f]["accuracy"])
    w(f"- Clips: {100 * jv_clips['accuracy']:.1f}% on held-out clips through the Java chain; the weakest family is "
      f"'{weakest}' ({100 * jv_clips['families'][weakest]['accuracy']:.1f}%).")
    if suff and "selection" in suff:
        rows = {r["target"]: r for r in suff["selection"]}
        w("- ADAPTIVE's thresholds (`config.json` `sufficiency.selection`) are measured on the quarter of the head's images "
          "it did not train on: " + "; ".join(f"target {t}: threshold {rows[t]['threshold']:.3f}, "
          f"{100 * rows[t]['reproduced']:.1f}% of answers reproduced with {rows[t]['tokens']:.1f} tokens"
          for t in (0.9, 0.95, 0.99) if t in rows) + ". A target is a share of answers that equal the full grid's, "
          "not of correct answers (docs/tokenization.md).")
    open(args.out, "w").write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
