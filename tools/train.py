"""Trains glimpse-shapes on Java-generated Shapes-VQA data. Resumable: state is checkpointed
every --ckpt-every steps and picked up on restart. Seeded; one thread (the fastest for this model size)."""
import argparse
import math
import os
import random
import time

import numpy as np
import torch
import torch.nn.functional as F

from glimpse_model import Config, GlimpseVlm, SUFFICIENCY_KS, encode_words, ANS, BOS, EOS
from scene_questions import sample_questions
from shapes_data import ShapesData
from vlm_forward import visual_tokens, lm_inputs, greedy_answers

POOL_SIDES = [2, 3, 4, 6, 8]


def mode_for_step(rng):
    r = rng.random()
    if r < 0.45:
        return "full", 0
    if r < 0.65:
        return "pool", POOL_SIDES[rng.integers(len(POOL_SIDES))]
    if r < 0.90:
        # log-uniform prefix length 1..32: every prefix is trained, short ones as often as long
        return "prefix", int(min(32, max(1, round(math.exp(rng.uniform(0, math.log(32)))))))
    return "subset", int(rng.integers(8, 144))


def texts(model, data, idx, with_answer=True):
    """(text after the image, prompt length inside it, prefix before the image or None)."""
    if getattr(model.c, "layout", "ifirst") == "qfirst":
        text, lens = data.answer_text(idx, with_answer)
        return text, lens, data.question_prefix(idx)
    text, lens = data.text(idx, with_answer)
    return text, lens, None


def patch_loss(model, data, idx, feats):
    logits = model.patch_probe(feats)                       # [B, N, 15]
    labels = data.patch_labels(idx, model.c.grid, model.c.patch)
    loss = 0.0
    for lo, hi, col in ((0, 7, 0), (7, 12, 1), (12, 15, 2), (15, 25, 3)):
        loss = loss + F.cross_entropy(logits[..., lo:hi].reshape(-1, hi - lo), labels[..., col].reshape(-1))
    return loss


def lm_loss(model, data, idx, mode, param, gen):
    feats = model.vision(data.pixels(idx))[0]
    aux = patch_loss(model, data, idx, feats)
    vis, origins, span = visual_tokens(model, None, mode, param, gen, features=feats)
    text, prompt_lens, prefix = texts(model, data, idx)
    embeds, mask, positions = lm_inputs(model, vis, origins, span, text, prefix)
    logits = model.lm(embeds, mask, positions)[0]
    start = vis.shape[1] + (1 if prefix is None else prefix.shape[1])
    pred = logits[:, start: start + text.shape[1] - 1]   # the row holding text[j] predicts text[j+1]
    target = text[:, 1:]
    j = torch.arange(target.shape[1]).unsqueeze(0)
    weight = ((j >= (prompt_lens.unsqueeze(1) - 1)) & (target != 0)).float()
    ce = F.cross_entropy(pred.reshape(-1, pred.shape[-1]), target.reshape(-1), reduction="none")
    return (ce * weight.reshape(-1)).sum() / weight.sum(), aux


def lm_loss_multi(model, data, idx, mode, param, gen, rng, per_image):
    """Image-first layout with several question/answer segments after one image's visual tokens.
    Each segment sees <bos>, the visual tokens and itself (block mask) and starts at position
    1 + span, so every segment is exactly what inference sees; the image is encoded once."""
    feats = model.vision(data.pixels(idx))[0]
    aux = patch_loss(model, data, idx, feats)
    vis, origins, span = visual_tokens(model, None, mode, param, gen, features=feats)
    b, n = vis.shape[0], vis.shape[1]
    rows, segs, poss, preds = [], [], [], []
    for i in idx:
        s = data.samples[i]
        qa = [(s["question"], s["answer"])]
        qa += [x for x in sample_questions(s["objects"], per_image - 1, rng) if x[0] != s["question"]]
        toks, seg, pos, pred = [], [], [], []
        for k, (q, a) in enumerate(qa[:per_image]):
            qt, at = encode_words(q) + [ANS], encode_words(a) + [EOS]
            toks += qt + at
            seg += [k + 1] * (len(qt) + len(at))
            pos += list(range(len(qt) + len(at)))
            pred += [0] * len(qt) + [1] * len(at)
        rows.append(toks), segs.append(seg), poss.append(pos), preds.append(pred)
    t = max(len(r) for r in rows)
    text = torch.zeros(b, t, dtype=torch.long)
    seg = torch.zeros(b, t, dtype=torch.long)
    pos = torch.zeros(b, t, dtype=torch.long)
    pred = torch.zeros(b, t)
    for j in range(b):
        m = len(rows[j])
        text[j, :m] = torch.tensor(rows[j])
        seg[j, :m] = torch.tensor(segs[j])
        pos[j, :m] = torch.tensor(poss[j])
        pred[j, :m] = torch.tensor(preds[j], dtype=torch.float)
    embeds = torch.cat([model.lm.embed(torch.full((b, 1), BOS, dtype=torch.long)), vis, model.lm.embed(text)], dim=1)
    positions = torch.cat([torch.zeros(b, 1, dtype=torch.long), 1 + origins, 1 + span + pos], dim=1)
    length = 1 + n + t
    full_seg = torch.cat([torch.zeros(b, 1 + n, dtype=torch.long), seg], dim=1)       # 0 = shared prefix
    q_seg, k_seg = full_seg.unsqueeze(2), full_seg.unsqueeze(1)
    causal = torch.tril(torch.ones(length, length, dtype=torch.bool)).unsqueeze(0)
    prefix_key = (torch.arange(length) < 1 + n).view(1, 1, -1)
    same = (q_seg == k_seg) & (q_seg > 0)
    mask = causal & (prefix_key | same)
    mask[:, :, 0] = True                                                     # padding rows see <bos>: no empty softmax
    logits = model.lm(embeds, torch.ones(b, length, dtype=torch.long), positions,
                      mask_override=mask.unsqueeze(1))[0]
    out = logits[:, n: n + t]
    target_w = pred.clone()
    target_w[:, 0] = 0
    ce = F.cross_entropy(out.reshape(-1, out.shape[-1]), text.reshape(-1), reduction="none")
    # row (n + j) holds text[j-1] (row n is the last visual token) and predicts text[j]
    return (ce * target_w.reshape(-1)).sum() / target_w.sum(), aux


def evaluate(model, data, count, mode="full", param=0, batch=64):
    model.eval()
    hits, per_family = 0, {}
    with torch.no_grad():
        for start in range(0, count, batch):
            idx = list(range(start, min(count, start + batch)))
            vis, origins, span = visual_tokens(model, data.pixels(idx), mode, param)
            prompt, lens, prefix = texts(model, data, idx, with_answer=False)
            answers = greedy_answers(model, vis, origins, span, prompt, lens, prefix=prefix)
            for i, a in zip(idx, answers):
                ok = a == data.answer_ids[i]
                fam = data.samples[i]["family"]
                h, t = per_family.get(fam, (0, 0))
                per_family[fam] = (h + ok, t + 1)
                hits += ok
    model.train()
    return hits / count, {k: round(h / t, 3) for k, (h, t) in sorted(per_family.items())}


def train_sufficiency(model, data, samples, steps, log):
    """KARL-style labels from the model's own answers: does the k-register prefix give the answer
    the full grid gives? The head sees only image features (one pass, no question)."""
    model.eval()
    feats_all, labels_all = [], []
    with torch.no_grad():
        for start in range(0, samples, 64):
            idx = list(range(start, min(samples, start + 64)))
            pixels = data.pixels(idx)
            prompt, lens, prefix = texts(model, data, idx, with_answer=False)
            vis, origins, span = visual_tokens(model, pixels, "full", 0)
            full = greedy_answers(model, vis, origins, span, prompt, lens, prefix=prefix)
            feats = model.vision(pixels)[0]
            regs = model.resampler(feats)[0]
            cols = []
            for k in SUFFICIENCY_KS:
                ans = greedy_answers(model, regs[:, :k], torch.arange(k).expand(len(idx), -1), model.c.registers,
                                     prompt, lens, prefix=prefix)
                cols.append([float(a == f) for a, f in zip(ans, full)])
            feats_all.append(feats)
            labels_all.append(torch.tensor(cols).T)
    feats_all = torch.cat(feats_all)
    labels_all = torch.cat(labels_all)
    log(f"sufficiency labels: mean agreement per k {labels_all.mean(0).tolist()}")
    head_params = list(model.resampler.sufficiency.parameters())
    opt = torch.optim.AdamW(head_params, lr=2e-3, weight_decay=0.01)
    g = torch.Generator().manual_seed(0)
    for step in range(steps):
        idx = torch.randint(0, feats_all.shape[0], (128,), generator=g)
        logits = model.resampler.sufficiency_logits(feats_all[idx])
        loss = F.binary_cross_entropy_with_logits(logits, labels_all[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 200 == 0:
            log(f"sufficiency step {step} bce {loss.item():.4f}")
    model.train()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--heldout", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=3600)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--ckpt-every", type=int, default=200)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--suff-samples", type=int, default=4096)
    ap.add_argument("--suff-steps", type=int, default=1500)
    ap.add_argument("--refit-sufficiency", action="store_true",
                    help="fit the sufficiency head again after resuming (the LM changed)")
    ap.add_argument("--qa-per-image", type=int, default=6,
                    help="question/answer segments sharing one image (image-first layout only)")
    ap.add_argument("--aux-weight", type=float, default=1.0, help="weight of the per-patch color/shape/size/region loss")
    ap.add_argument("--layout", choices=["qfirst", "ifirst"], default="ifirst",
                    help="qfirst: <bos> question image <ans> (visual tokens see the question); ifirst: <bos> image question <ans>")
    args = ap.parse_args()

    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    log_file = open(os.path.join(args.out, "train.log"), "a")

    def log(msg):
        line = time.strftime("%H:%M:%S ") + msg
        print(line, flush=True)
        log_file.write(line + "\n")
        log_file.flush()

    data = ShapesData(args.data)
    heldout = ShapesData(args.heldout)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    c = Config()
    c.layout = args.layout
    if args.layout == "qfirst":
        args.qa_per_image = 1
    model = GlimpseVlm(c)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05, betas=(0.9, 0.98))
    ckpt_path = os.path.join(args.out, "checkpoint.pt")
    step, suff_done = 0, False
    if os.path.exists(ckpt_path):
        state = torch.load(ckpt_path)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, suff_done = state["step"], state.get("suff_done", False)
        log(f"resumed at step {step}")
        if args.refit_sufficiency and step < args.steps:
            suff_done = False

    def save():
        tmp = ckpt_path + ".tmp"
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                    "suff_done": suff_done, "config": c.to_dict()}, tmp)
        os.replace(tmp, ckpt_path)

    model.train()
    t0, warmup = time.time(), 200
    while step < args.steps:
        rng = np.random.default_rng(args.seed * 1_000_003 + step)
        lr = args.lr * min(1.0, (step + 1) / warmup) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * step / args.steps)))
        for g in opt.param_groups:
            g["lr"] = lr
        idx = sorted(rng.choice(len(data), size=args.batch, replace=False).tolist())
        mode, param = mode_for_step(rng)
        gen = torch.Generator().manual_seed(int(rng.integers(1 << 31)))
        if args.qa_per_image > 1:
            loss, aux = lm_loss_multi(model, data, idx, mode, param, gen, rng, args.qa_per_image)
        else:
            loss, aux = lm_loss(model, data, idx, mode, param, gen)
        opt.zero_grad()
        (loss + args.aux_weight * aux).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        if step % 50 == 0:
            log(f"step {step} loss {loss.item():.4f} aux {aux.item():.4f} mode {mode}:{param} lr {lr:.2e} {(time.time() - t0) / 50:.3f}s/step")
            t0 = time.time()
        if step % args.ckpt_every == 0 or step == args.steps:
            save()
        if step % args.eval_every == 0 or step == args.steps:
            acc, fam = evaluate(model, heldout, 512)
            log(f"eval step {step} full acc {acc:.3f} {fam}")
    if not suff_done:
        train_sufficiency(model, data, args.suff_samples, args.suff_steps, log)
        suff_done = True
        save()
    log("training done")


if __name__ == "__main__":
    main()
