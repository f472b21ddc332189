"""Fits the graded sufficiency head (KARL-style, one pass from the image) after the VLM is trained.

Labels are measured, not assumed: for each training image, several questions are answered on the full
grid (greedy) and then checked under every candidate count of CANDIDATES (register prefixes and pooled
sides). A candidate reproduces an answer exactly when, fed the full grid's answer, its argmax at every
answer position is that answer's next token (greedy decoding would then produce it), so one
teacher-forced pass per candidate measures all questions at once. The label is the share of the image's
questions a candidate reproduces; the head learns it with a soft binary cross-entropy.

Then the head is fitted to the rule that uses it. ADAPTIVE takes the cheapest candidate whose prediction
reaches a threshold, which picks, among many candidates, the ones whose prediction erred upwards: a head
whose predictions are right on average still falls short of the target it is asked for. So on images the
fit did not see, each target of TARGETS gets the lowest threshold at which the rule's choices reproduce at
least that share of the answers (written to sufficiency.json; export.py puts the table into config.json as
sufficiency.selection, and the tokenizer interpolates it for targets in between).

With --query (v4) the head sees the question too (QuerySufficiencyHead): labels are per question (does the
candidate reproduce this question's full-grid answer), and the thresholds are set on held-out questions.

  fit_sufficiency.py --checkpoint run/checkpoint.pt --data data --out run/sufficiency.pt [--query]
  fit_sufficiency.py ... --out run/sufficiency.pt --labels-from run/sufficiency_query-labels.pt   # no new labels
"""
import argparse
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

TARGETS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.925, 0.95, 0.97, 0.98, 0.99, 1.0)

from glimpse_model import (CANDIDATES, QuerySufficiencyHead, SufficiencyHead, candidates_for, encode_words,
                           load_checkpoint, ANS, EOS, PAD)
from scene_questions import sample_questions
from shapes_data import ShapesData
from vlm_forward import assemble, greedy_answers, prefix_embeddings, reduce_frames


@torch.no_grad()
def reproduces(model, feats, mode, questions, answers):
    """[B, Q] bool: does the candidate's greedy answer equal the given (full-grid) answer, per question."""
    b = feats.shape[0]
    tokens = reduce_frames(model, feats, [mode] * b)
    prefixes = [prefix_embeddings(model, [t]) for t in tokens]
    segments = [[q + a + [EOS] for q, a in zip(questions[j], answers[j])] for j in range(b)]
    embeds, positions, mask, starts = assemble(model, prefixes, segments)
    logits = model.lm(embeds, torch.ones(embeds.shape[:2], dtype=torch.long), positions, mask_override=mask)[0]
    pred = logits.argmax(-1)
    out = torch.zeros(b, len(questions[0]), dtype=torch.bool)
    for j in range(b):
        for k, (row, q, a) in enumerate(zip(starts[j], questions[j], answers[j])):
            target = torch.tensor(a + [EOS])
            out[j, k] = bool((pred[j, row + len(q) - 1: row + len(q) - 1 + len(target)] == target).all())
    return out


def choose(p, threshold, candidates=CANDIDATES):
    """ADAPTIVE's rule (ImageTokenizerEngine.adaptive): per row, the cheapest candidate whose probability
    reaches the threshold, at equal cost the more probable first; none: the full grid (index -1)."""
    picks = []
    for row in p.tolist():
        pick = -1
        for i in sorted(range(len(candidates)), key=lambda i: (candidates[i][2], -row[i])):
            if row[i] >= threshold:
                pick = i
                break
        picks.append(pick)
    return picks


def realised(picks, labels, full_tokens, candidates=CANDIDATES):
    shares = [1.0 if k < 0 else labels[j, k].item() for j, k in enumerate(picks)]
    tokens = [full_tokens if k < 0 else candidates[k][2] for k in picks]
    return sum(shares) / len(shares), sum(tokens) / len(tokens)


def selection_thresholds(p, labels, full_tokens=144, candidates=CANDIDATES):
    """Per target of TARGETS, the lowest threshold (steps of 0.005) at which the rule's picks on these images
    reproduce at least the target's share of answers, with what they reproduce and the tokens they spend.
    Thresholds never fall as targets rise."""
    rows, floor = [], 0.0
    for t in TARGETS:
        theta = floor
        while True:
            share, tokens = realised(choose(p, theta, candidates), labels, full_tokens, candidates)
            if share >= t or theta >= 1.0:
                break
            theta = round(theta + 0.005, 3)
        rows.append((t, theta, share, tokens))
        floor = theta
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--data", required=True, help="single-image training data")
    ap.add_argument("--out", required=True)
    ap.add_argument("--images", type=int, default=2048)
    ap.add_argument("--questions", type=int, default=6)
    ap.add_argument("--steps", type=int, default=1000, help="head steps (held-out error rises after about 1,000)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--query", action="store_true", help="the question-aware head: labels per question")
    ap.add_argument("--labels-from", help="the image-only head: average a --query run's per-question labels "
                                          "(its -labels.pt) per image instead of measuring them again")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model = load_checkpoint(args.checkpoint)
    data = ShapesData(args.data)
    rng = np.random.default_rng(args.seed)
    # images the VLM trained on are fine: the head learns the VLM's behaviour, not the answers
    reuse = bool(args.labels_from) and not args.query
    idx_all = [] if reuse else sorted(rng.choice(len(data), size=args.images, replace=False).tolist())
    t0 = time.time()
    feats_all, labels_all = [], []
    # the labels cost minutes; they are reused only for the same checkpoint step and sampling
    stem = os.path.splitext(args.out)[0]   # run/sufficiency(.pt, .json, -labels.pt); --query: run/sufficiency_query
    cache = stem + "-labels.pt"
    key = [model.trained_step, args.data, args.images, args.questions, args.seed, args.query]
    candidates = candidates_for(model.c)
    full_tokens = model.c.grid * model.c.grid
    question_ids = []
    cached = torch.load(cache) if os.path.exists(cache) else None
    if isinstance(cached, dict) and cached["key"] == key:
        feats_all, labels_all = [cached["features"]], [cached["labels"]]
        question_ids = cached.get("questions", [])
        idx_all = []
    elif reuse:
        # the same measurement: a share of an image's questions is the mean of its per-question labels
        q = torch.load(args.labels_from)
        if q["key"][0] != model.trained_step or not q["key"][5]:
            raise SystemExit(f"{args.labels_from} is not a --query run of step {model.trained_step}")
        per_image = q["key"][3]
        feats_all = [q["features"].float()]
        labels_all = [q["labels"].reshape(-1, per_image, len(candidates)).mean(1)]
        args.images, args.questions = q["key"][2], per_image
        key = [model.trained_step, args.data, args.images, args.questions, args.seed, args.query]
        idx_all = []
    with torch.no_grad():
        for start in range(0, len(idx_all), 64):
            idx = idx_all[start:start + 64]
            feats = model.vision(data.pixels(idx))[0]
            questions = []
            for i in idx:
                s = data.samples[i]
                qa = [(s["question"], s["answer"])] + sample_questions(s["objects"], args.questions, rng)
                qs = list(dict.fromkeys(q for q, _ in qa))[:args.questions]
                while len(qs) < args.questions:
                    qs.append(qs[len(qs) % max(1, len(qs))])
                questions.append([encode_words(q) + [ANS] for q in qs])
            flat_q = [q for qs in questions for q in qs]
            full_grid = reduce_frames(model, feats, [("full", 0)] * len(idx))
            prefixes = [prefix_embeddings(model, [full_grid[j]]) for j in range(len(idx)) for _ in range(args.questions)]
            flat_a = greedy_answers(model, prefixes, flat_q)
            answers = [flat_a[j * args.questions:(j + 1) * args.questions] for j in range(len(idx))]
            cols = [reproduces(model, feats, (kind, param), questions, answers).float()
                    for kind, param, _ in candidates]   # each [images, questions]
            per_question = torch.stack(cols, dim=2)       # [images, questions, candidates]
            feats_all.append(feats.half() if args.query else feats)
            if args.query:
                labels_all.append(per_question.reshape(-1, len(candidates)))
                question_ids.extend(q[:-1] for qs in questions for q in qs)   # the words, without <ans>
            else:
                labels_all.append(per_question.mean(1))
            print(f"labels {start + len(idx)}/{len(idx_all)} {time.time() - t0:.0f}s", flush=True)
    feats_all, labels_all = torch.cat(feats_all), torch.cat(labels_all)
    torch.save({"key": key, "features": feats_all, "labels": labels_all, "questions": question_ids}, cache)
    mean = [round(x, 4) for x in labels_all.mean(0).tolist()]
    print("sufficiency labels: mean share reproduced per candidate", dict(zip([f"{k}{p}" for k, p, _ in candidates], mean)))
    torch.manual_seed(args.seed)
    if args.query:
        head = QuerySufficiencyHead(model.c.width, model.c.vocab, len(candidates))
        longest = max(len(q) for q in question_ids)
        qids = torch.full((len(question_ids), longest), PAD, dtype=torch.long)
        for r, q in enumerate(question_ids):
            qids[r, :len(q)] = torch.tensor(q)
        qmask = (qids != PAD).long()
        image_of = torch.arange(len(question_ids)) // args.questions

        def predict(rows):
            return head(feats_all[image_of[rows]].float(), qids[rows], qmask[rows])
    else:
        head = SufficiencyHead(model.c.width, candidates=len(candidates))

        def predict(rows):
            return head(feats_all[rows])
    opt = torch.optim.AdamW(head.parameters(), lr=2e-3, weight_decay=0.01)
    n = labels_all.shape[0]
    image = torch.arange(n) // (args.questions if args.query else 1)
    held = image % 4 == 0          # one in four images checks the fit and sets the thresholds
    train_idx = torch.nonzero(~held).squeeze(1)
    held_idx = torch.nonzero(held).squeeze(1)
    g = torch.Generator().manual_seed(args.seed)
    for step in range(args.steps):
        pick = train_idx[torch.randint(0, train_idx.numel(), (128,), generator=g)]
        loss = F.binary_cross_entropy_with_logits(predict(pick), labels_all[pick])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 500 == 0 or step == args.steps - 1:
            with torch.no_grad():
                p = torch.sigmoid(predict(held_idx))
                mae = (p - labels_all[held_idx]).abs().mean().item()
            print(f"head step {step} bce {loss.item():.4f} held-out mean |p - label| {mae:.4f}", flush=True)
    with torch.no_grad():
        rows = selection_thresholds(torch.sigmoid(predict(held_idx)), labels_all[held_idx], full_tokens, candidates)
    for t, theta, share, tokens in rows:
        print(f"target {t}: threshold {theta:.3f} reproduces {share:.4f} with {tokens:.1f} tokens on held-out images")
    torch.save(head.state_dict(), args.out + ".tmp")
    os.replace(args.out + ".tmp", args.out)
    with open(stem + ".json", "w") as f:
        import json
        selection = [{"target": t, "threshold": theta, "reproduced": round(share, 4), "tokens": round(tokens, 2)}
                     for t, theta, share, tokens in rows]
        json.dump({"images": args.images, "questions": args.questions, "mean_labels": mean, "query": args.query,
                   "candidates": [list(c) for c in candidates], "selection": selection,
                   "seconds": round(time.time() - t0)}, f)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
