"""Stage 1 of default model v4 (LLaVA's recipe: the encoder first, then the language model on its frozen
outputs): trains the vision encoder alone on detail scenes (192 x 192, 24 x 24 patches) with the dense
per-patch targets — colour, shape, size and region of the object under each patch — that v1-v3 used as an
auxiliary loss. Every patch is a label, so a step teaches the encoder what is where over 576 positions at
the cost of one ViT pass, without the language model. Resumable (checkpoint every --ckpt-every steps);
seeded. The checkpoint holds a whole GlimpseVlm (its LM untrained) so stage 2 starts from it."""
import argparse
import os
import time

import numpy as np
import torch

from glimpse_model import Config, GlimpseVlm
from shapes_data import ShapesData
from train import cosine_lr, patch_loss, run_log


def v4_config():
    """The v4 sizes: v3's widths at 576 patches (the ViT is the cost that grows with the grid); 64 resampler
    registers (a FlexTok prefix up to 64 of 576, the papers' smallest budget); positions for up to 16 frames
    of 12 x 12 pooled tokens."""
    c = Config(image_size=192, patch=8, registers=64, max_positions=4096)
    c.layout = "ifirst"
    c.positions = "compact"
    return c


def load_trained(model, weights):
    """Loads a checkpoint that may hold only the encoder and probe; anything else it lacks must be the LM's or
    the resampler's, which keep their seeded initial values."""
    missing, unexpected = model.load_state_dict(weights, strict=False)
    stray = [k for k in missing if not k.startswith(("lm.", "resampler."))]
    if unexpected or stray:
        raise ValueError(f"checkpoint does not fit the model: unexpected {unexpected[:5]}, missing {stray[:5]}")


def patch_accuracy(model, data, count, batch=32):
    """Share of object-covered patches whose colour and shape the probe names right (background excluded)."""
    model.eval()
    right, total = 0, 0
    with torch.no_grad():
        for start in range(0, min(count, len(data)), batch):
            idx = list(range(start, min(count, len(data), start + batch)))
            feats = model.vision(data.pixels([data.frame_ids(i)[0] for i in idx]))[0]
            labels = data.patch_labels([data.frame_objects(i)[0] for i in idx], model.c.grid, model.c.patch)
            logits = model.patch_probe(feats)
            color = logits[..., 0:7].argmax(-1)
            shape = logits[..., 7:12].argmax(-1)
            on = labels[..., 0] > 0
            right += ((color == labels[..., 0]) & (shape == labels[..., 1]) & on).sum().item()
            total += on.sum().item()
    model.train()
    return right / max(1, total)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="detail training images (glimpse shapes generate --distribution detail)")
    ap.add_argument("--heldout", required=True, help="detail dev images")
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=6000, help="length of the learning-rate schedule")
    ap.add_argument("--stop-at", type=int, default=0, help="stop after this many steps (0: at --steps)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--ckpt-every", type=int, default=100)
    ap.add_argument("--eval-every", type=int, default=500)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    log = run_log(args.out, "pretrain.log")

    data, heldout = ShapesData(args.data), ShapesData(args.heldout)
    torch.manual_seed(args.seed)
    c = v4_config()
    model = GlimpseVlm(c)
    params = list(model.vision.parameters()) + list(model.patch_probe.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.05, betas=(0.9, 0.98))
    ckpt_path = os.path.join(args.out, "vision.pt")
    step = 0
    if os.path.exists(ckpt_path):
        state = torch.load(ckpt_path)
        load_trained(model, state["model"])
        opt.load_state_dict(state["opt"])
        step = state["step"]
        log(f"resumed at step {step}")

    def save():
        """Only what stage 1 trains (encoder and probe, 6 MB with the optimizer): small enough to commit so the
        next session resumes; the untrained LM and resampler come from the seed."""
        tmp = ckpt_path + ".tmp"
        trained = {k: v for k, v in model.state_dict().items() if k.startswith(("vision.", "patch_probe."))}
        torch.save({"model": trained, "opt": opt.state_dict(), "step": step, "config": c.to_dict()}, tmp)
        os.replace(tmp, ckpt_path)

    model.train()
    stop = args.stop_at or args.steps
    times = []
    while step < stop:
        rng = np.random.default_rng(args.seed * 1_000_003 + step)
        lr = cosine_lr(args.lr, step, args.steps, args.warmup)
        for g in opt.param_groups:
            g["lr"] = lr
        started = time.time()
        idx = sorted(rng.choice(len(data), size=args.batch, replace=False).tolist())
        feats = model.vision(data.pixels([data.frame_ids(i)[0] for i in idx]))[0]
        labels = data.patch_labels([data.frame_objects(i)[0] for i in idx], c.grid, c.patch)
        loss = patch_loss(model, feats, labels)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        times.append(time.time() - started)
        step += 1
        if step % 50 == 0:
            log(f"step {step} patch loss {loss.item():.4f} lr {lr:.2e} s/step {sum(times) / len(times):.2f}")
            times = []
        if step % args.ckpt_every == 0 or step == stop:
            save()
        if step % args.eval_every == 0 or step == stop:
            log(f"eval step {step} object patches named right (colour and shape) {patch_accuracy(model, heldout, 256):.3f}")
    log("stage 1 done")


if __name__ == "__main__":
    main()
