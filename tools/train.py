"""Trains glimpse-shapes on Java-generated Shapes-VQA images and Shapes-Video clips. Resumable: state is
checkpointed every --ckpt-every steps and picked up on restart. Seeded."""
import argparse
import math
import os
import random
import time

import numpy as np
import torch
import torch.nn.functional as F

from glimpse_model import Config, GlimpseVlm, encode_words, ANS, EOS, VOCAB
from scene_questions import sample_questions, sample_clip_questions
from shapes_data import ShapesData
from vlm_forward import reduce_frames, prefix_embeddings, assemble, greedy_answers

POOL_SIDES = [1, 2, 3, 4, 6, 8]
GRID = 12            # the grid the mode tables draw for; main() sets it from the model (24 for v4)
REGISTERS = 32


def pool_sides():
    """The pooled sides trained: v1-v3's on a 12 x 12 grid, and 12 x 12 too on a 24 x 24 one."""
    return POOL_SIDES + ([12] if GRID >= 24 else [])


def log_uniform_prefix(rng):
    """Register prefix length 1..registers, log-uniform: short prefixes are trained as often as long ones."""
    return int(min(REGISTERS, max(1, round(math.exp(rng.uniform(0, math.log(REGISTERS)))))))


def draw(rng, table):
    """One entry of table [(share, make)] chosen by its share; make(rng) draws the mode and its parameter."""
    x, edge = rng.random(), 0.0
    for share, make in table:
        edge += share
        if x < edge:
            return make(rng)
    return table[-1][1](rng)


FULL = (lambda rng: ("full", 0))
POOLED = (lambda rng: ("pool", pool_sides()[rng.integers(len(pool_sides()))]))
PREFIX = (lambda rng: ("prefix", log_uniform_prefix(rng)))
SUBSET = (lambda rng: ("subset", int(rng.integers(8, GRID * GRID))))
RESIZE = (lambda rng: ("resize", int(rng.integers(1, GRID * GRID))))
# an image batch: one mode for all its images
IMAGE_MODES = [(0.45, FULL), (0.2, POOLED), (0.25, PREFIX), (0.1, SUBSET)]
# on 576 patches a full-grid step costs the LM about ten pooled ones: TokenFLEX's recipe, most steps on
# reduced inputs (pooled, QuoTA resizes, prefixes, subsets) with a share of full grids
IMAGE_MODES_576 = [(0.15, FULL), (0.35, POOLED), (0.2, PREFIX), (0.15, SUBSET), (0.15, RESIZE)]
# while the LM is still learning to find what a question names, every image step keeps the answer in view: the
# full grid or 12 x 12 pooling (2 x 2 cells, where a one-patch object still shows), both grounded
IMAGE_MODES_ANSWERABLE = [(0.5, FULL), (0.5, lambda rng: ("pool", 12))]
# a frame of a clip batch whose frames each get their own mode; a frame's subset or QuoTA resize keeps at most what
# the frame brings (frame_tokens), so sixteen frames stay within the positions
FRAME_SUBSET = (lambda rng: ("subset", int(rng.integers(8, frame_tokens()))))
FRAME_RESIZE = (lambda rng: ("resize", int(rng.integers(1, frame_tokens()))))
FRAME_MODES = [(0.25, lambda rng: frame_full()), (0.3, POOLED), (0.15, FRAME_RESIZE), (0.15, FRAME_SUBSET),
               (0.15, PREFIX)]


def frame_tokens():
    """What one frame of a clip brings at full resolution: the grid on 144 patches, 12 x 12 pooled on 576."""
    return 144 if GRID >= 24 else GRID * GRID


def frame_full():
    """What a clip's frame enters as at full resolution: its whole grid on 144 patches; on 576, pooled to
    12 x 12 (as LLaVA-OneVision pools video frames), so that sixteen frames fit the positions."""
    return ("pool", 12) if GRID >= 24 else ("full", 0)


def clip_batch_modes(rng, small_share):
    """The modes of one clip batch, a function of each clip's frame count. One kind per batch, because a batch
    pads to its longest sequence and one full-grid clip would make the whole batch cost as much: with
    probability small_share (a curriculum that starts at 1 and falls to 0) every frame is pooled to 2x2 or 3x3,
    short sequences on which the LM first learns to find an object's frames before it meets the full grid;
    otherwise every frame gets the full grid (30%), every frame of a clip one pooled side (20%) or one QuoTA
    resize (10%) (what a uniform split gives), or each frame its own mode (40%: what QuoTA's per-frame budgets
    give)."""
    if rng.random() < small_share:
        return lambda n: [("pool", int(rng.integers(2, 4)))] * n
    r = rng.random()
    if r < 0.3:
        return lambda n: [frame_full()] * n
    if r < 0.5:
        return lambda n: [POOLED(rng)] * n
    if r < 0.6:
        return lambda n: [FRAME_RESIZE(rng)] * n
    return lambda n: [draw(rng, FRAME_MODES) for _ in range(n)]


def run_log(directory, name):
    """A function that prints a timestamped line and appends it to directory/name."""
    log_file = open(os.path.join(directory, name), "a")

    def log(msg):
        line = time.strftime("%H:%M:%S ") + msg
        print(line, flush=True)
        log_file.write(line + "\n")
        log_file.flush()
    return log


def cosine_lr(base, step, steps, warmup):
    """Linear warm-up, then a cosine from base down to 5% of it at the schedule's end."""
    return base * min(1.0, (step + 1) / warmup) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * step / steps)))


def patch_loss(model, feats, labels):
    logits = model.patch_probe(feats)                       # [T, N, 25]
    loss = 0.0
    for lo, hi, col in ((0, 7, 0), (7, 12, 1), (12, 15, 2), (15, 25, 3)):
        loss = loss + F.cross_entropy(logits[..., lo:hi].reshape(-1, hi - lo), labels[..., col].reshape(-1))
    return loss


def questions_for(data, i, per_sample, rng):
    s = data.samples[i]
    qa = [(s["question"], s["answer"])]
    if data.video:
        more = sample_clip_questions(s["tracks"], s["frames"], per_sample - 1, rng)
    else:
        more = sample_questions(s["objects"], per_sample - 1, rng, data.canvas)
    return (qa + [x for x in more if x[0] != s["question"]])[:per_sample]


class FeatureCache:
    """The frozen vision encoder's grid features of every training image, computed once (resumably, in
    chunks) into an fp16 memmap: with the encoder frozen an image step costs the LM alone (LLaVA's second
    stage). 576 x 128 fp16 per image: 147 KB."""

    def __init__(self, model, data, directory, log, chunk=64):
        os.makedirs(directory, exist_ok=True)
        n, c = len(data), model.c
        shape = (n, c.grid * c.grid, c.width)
        path = os.path.join(directory, "features.f16")
        self.feats = np.memmap(path, dtype=np.float16, mode="r+" if os.path.exists(path) else "w+", shape=shape)
        done_path = os.path.join(directory, "done.txt")
        done = int(open(done_path).read()) if os.path.exists(done_path) else 0
        if done < n:
            log(f"caching encoder features: {done} of {n} done")
        with torch.no_grad():
            while done < n:
                idx = list(range(done, min(n, done + chunk)))
                f = model.vision(data.pixels([data.frame_ids(i)[0] for i in idx]))[0]
                self.feats[idx[0]:idx[-1] + 1] = f.numpy().astype(np.float16)
                self.feats.flush()
                done = idx[-1] + 1
                open(done_path, "w").write(str(done))
                if done % (chunk * 50) == 0 or done == n:
                    log(f"cached {done} of {n}")

    def get(self, idx):
        return torch.from_numpy(np.asarray(self.feats[idx], dtype=np.float32))


COLOR_ID = {c: 1 + i for i, c in enumerate(ShapesData.COLORS)}
SHAPE_ID = {}
for _i, _s in enumerate(ShapesData.SHAPES):
    SHAPE_ID[_s] = SHAPE_ID[_s + "s"] = 1 + _i


def relevant_patches(question, labels):
    """The patches a question is about: those whose object has every colour and shape the question names
    (its target; for 'closest' the object it is measured from). labels: [N, 4] per-patch (colour, shape, ...)
    of shapes_data.patch_labels. Empty when the question names nothing present ('is there ...' answered no)."""
    words = question.split()
    colors = [COLOR_ID[w] for w in words if w in COLOR_ID]
    shapes = [SHAPE_ID[w] for w in words if w in SHAPE_ID]
    on = labels[:, 0] > 0
    for c in colors:
        on &= labels[:, 0] == c
    for sh in shapes:
        on &= labels[:, 1] == sh
    return on if colors or shapes else torch.zeros_like(on)


def visual_relevance(relevant, mode, grid):
    """A grid's patch mask [N] as the visual tokens of one mode see it: itself for the full grid, a pooled cell
    when any patch in it is relevant; None for the modes whose tokens mix places (registers, resizes, subsets)."""
    m, p = mode
    if m == "full":
        return relevant.float()
    if m == "pool":
        x = relevant.float().reshape(1, 1, grid, grid)
        return F.adaptive_max_pool2d(x, p).reshape(-1)
    return None


def grounding_loss(probs, starts, spans, relevance, prefix_start):
    """Grounding: the head-mean attention of the layer the pruner's query model reads, from each question's
    <ans> row, puts its visual mass on the patches the question is about: -log(relevant mass / visual mass).
    probs [B, heads, L, L]; relevance per sample a list per segment of a mask over that sample's visual
    tokens (or None). The LM otherwise finds retrieval over 576 tokens only slowly (its training loss stayed
    flat at the priors for 2,000 steps); the supervision also makes the query-aware pruners' scores point at
    what the question asks about."""
    samples, rows, masks = [], [], []
    for j, (seg_rows, sp) in enumerate(zip(starts, spans)):
        for row, (lq, _), rel in zip(seg_rows, sp, relevance[j]):
            if rel is not None and rel.sum() > 0:
                samples.append(j)
                rows.append(row + lq - 1)
                masks.append(rel)
    if not samples:
        return torch.zeros(())
    # one gather for every segment (an index per segment would scatter a probs-sized gradient each)
    n = masks[0].shape[0]
    att = probs[torch.tensor(samples), :, torch.tensor(rows), prefix_start:prefix_start + n].mean(1)   # [T, n]
    rel = torch.stack(masks)
    return -torch.log((att * rel).sum(-1) / att.sum(-1).clamp(min=1e-9) + 1e-6).mean()


def batch_loss(model, data, idx, modes_for, per_sample, rng, gen, cache=None, ground_layer=None):
    """Several question/answer segments share each sample's visual prefix (block mask): the image or clip
    is encoded once and the LM sees exactly the inference layout once per segment. With a feature cache
    (the encoder frozen) single images take their features from it."""
    frame_ids = [data.frame_ids(i) for i in idx]
    if cache is not None and not data.video:
        feats = cache.get(idx)
        aux = torch.zeros(())
    elif data.video:
        # clips train the LM only: the vision encoder learns what is where from single images, and a clip step
        # without its backward pass through eight frames' ViT is cheaper, so more clips fit the budget
        with torch.no_grad():
            feats = model.vision(data.pixels([f for fs in frame_ids for f in fs]))[0]
        aux = torch.zeros(())
    else:
        feats = model.vision(data.pixels([f for fs in frame_ids for f in fs]))[0]
        labels = data.patch_labels([o for i in idx for o in data.frame_objects(i)], model.c.grid, model.c.patch)
        aux = patch_loss(model, feats, labels)
    modes = [m for fs in frame_ids for m in modes_for(len(fs))]
    tokens = reduce_frames(model, feats, modes, gen)
    ground = ground_layer is not None and not data.video and visual_relevance(
        torch.zeros(model.c.grid ** 2, dtype=torch.bool), modes[0], model.c.grid) is not None
    if ground:
        patch = data.patch_labels([data.frame_objects(i)[0] for i in idx], model.c.grid, model.c.patch)
    prefixes, segments, spans, relevance = [], [], [], []
    t = 0
    for j, (i, fs) in enumerate(zip(idx, frame_ids)):
        prefixes.append(prefix_embeddings(model, tokens[t:t + len(fs)]))
        t += len(fs)
        segs, sp, rel = [], [], []
        for q, a in questions_for(data, i, per_sample, rng):
            qt, at = encode_words(q) + [ANS], encode_words(a) + [EOS]
            segs.append(qt + at)
            sp.append((len(qt), len(at)))
            rel.append(visual_relevance(relevant_patches(q, patch[j]), modes[j], model.c.grid) if ground else None)
        segments.append(segs)
        spans.append(sp)
        relevance.append(rel)
    embeds, positions, mask, starts = assemble(model, prefixes, segments)
    logits, _, probs, _ = model.lm(embeds, torch.ones(embeds.shape[:2], dtype=torch.long), positions,
                                   mask_override=mask, probs_layer=ground_layer)
    # a single image's prefix is <bos> "frame" "one" and then its visual tokens
    g = grounding_loss(probs, starts, spans, relevance, 3) if ground else torch.zeros(())
    target = torch.full(embeds.shape[:2], -100, dtype=torch.long)
    for j in range(len(idx)):
        for row, seg, (lq, la) in zip(starts[j], segments[j], spans[j]):
            # the row holding token m of the segment predicts token m + 1: answer tokens are predicted from
            # the <ans> row on
            target[j, row + lq - 1: row + lq - 1 + la] = torch.tensor(seg[lq:lq + la])
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1), ignore_index=-100)
    return ce, aux, g


def evaluate(model, data, count, modes_for=lambda n: [("full", 0)] * n, batch=32):
    count = min(count, len(data))
    model.eval()
    hits, per_family = 0, {}
    with torch.no_grad():
        for start in range(0, count, batch):
            idx = list(range(start, min(count, start + batch)))
            frame_ids = [data.frame_ids(i) for i in idx]
            feats = model.vision(data.pixels([f for fs in frame_ids for f in fs]))[0]
            tokens = reduce_frames(model, feats, [m for fs in frame_ids for m in modes_for(len(fs))])
            prefixes, t = [], 0
            for fs in frame_ids:
                prefixes.append(prefix_embeddings(model, tokens[t:t + len(fs)]))
                t += len(fs)
            answers = greedy_answers(model, prefixes, [data.question_ids[i] + [ANS] for i in idx])
            for i, a in zip(idx, answers):
                ok = a == data.answer_ids[i]
                fam = data.samples[i]["family"]
                h, n = per_family.get(fam, (0, 0))
                per_family[fam] = (h + ok, n + 1)
                hits += ok
    model.train()
    return hits / count, {k: round(h / n, 3) for k, (h, n) in sorted(per_family.items())}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="single-image training data")
    ap.add_argument("--video", help="clip training data (none: images only)")
    ap.add_argument("--heldout", required=True, help="single-image dev data")
    ap.add_argument("--video-heldout", help="clip dev data")
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=3600, help="length of the learning-rate schedule")
    ap.add_argument("--stop-at", type=int, default=0, help="stop after this many steps of the schedule (0: at --steps)")
    ap.add_argument("--video-share", type=float, default=0.6, help="share of steps that train on clips")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--video-batch", type=int, default=8)
    ap.add_argument("--curriculum", type=int, default=900,
                    help="steps over which the share of clips pooled to 2x2 or 3x3 falls from 1 to 0")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--ckpt-every", type=int, default=100)
    ap.add_argument("--eval-every", type=int, default=1000)
    ap.add_argument("--qa-per-image", type=int, default=6, help="question/answer segments sharing one image")
    ap.add_argument("--qa-per-clip", type=int, default=16, help="question/answer segments sharing one clip")
    ap.add_argument("--aux-weight", type=float, default=1.0, help="weight of the per-patch color/shape/size/region loss")
    ap.add_argument("--init", help="start from these weights (recover_checkpoint.py, or stage 1's vision.pt, whose"
                    " config the model takes) instead of random ones")
    ap.add_argument("--freeze-vision", action="store_true",
                    help="train the LM and resampler only, on the encoder's cached features (LLaVA's second stage)")
    ap.add_argument("--feature-cache", help="with --freeze-vision: where the training images' features are cached")
    ap.add_argument("--train-projector", action="store_true",
                    help="with --freeze-vision: the vision projector trains with the LM (no feature cache)")
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--answerable-until", type=int, default=0,
                    help="until this step, image steps use only inputs that keep the answer (full grid, 12 x 12 pooling)")
    ap.add_argument("--ground-weight", type=float, default=0.0,
                    help="weight of the grounding loss on the query model's attention layer (full and pooled image steps)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    log = run_log(args.out, "train.log")

    data, heldout = ShapesData(args.data), ShapesData(args.heldout)
    video = ShapesData(args.video) if args.video else None
    video_heldout = ShapesData(args.video_heldout) if args.video_heldout else None
    video_share = args.video_share if video is not None else 0.0
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    init = torch.load(args.init) if args.init else None
    c = Config.from_dict(init["config"]) if init is not None and "config" in init else Config()
    if init is not None and "lm.embed.weight" not in init["model"]:
        c.vocab = len(VOCAB)   # stage 1 trained no LM: it takes today's vocabulary
    c.layout = "ifirst"
    c.positions = "compact"
    global GRID, REGISTERS
    GRID, REGISTERS = c.grid, c.registers
    image_modes = IMAGE_MODES_576 if c.grid >= 24 else IMAGE_MODES
    model = GlimpseVlm(c)
    if args.freeze_vision:
        for p in list(model.vision.parameters()) + list(model.patch_probe.parameters()):
            p.requires_grad_(False)
        if args.train_projector:   # LLaVA's stage 2 trains the projector with the LM
            if args.feature_cache:
                raise SystemExit("--train-projector reads the encoder live: drop --feature-cache")
            for p in model.vision.proj.parameters():
                p.requires_grad_(True)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.05,
                            betas=(0.9, 0.98))
    ckpt_path = os.path.join(args.out, "checkpoint.pt")
    step = 0
    if os.path.exists(ckpt_path):
        state = torch.load(ckpt_path)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step = state["step"]
        log(f"resumed at step {step}")
    elif init is not None:
        from pretrain_vision import load_trained   # stage 1's checkpoint holds the encoder alone
        load_trained(model, init["model"])
        log(f"starting from {args.init}")
    cache = None
    if args.freeze_vision and args.feature_cache:
        model.eval()
        cache = FeatureCache(model, data, args.feature_cache, log)

    def save():
        tmp = ckpt_path + ".tmp"
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "config": c.to_dict()}, tmp)
        os.replace(tmp, ckpt_path)

    model.train()
    t0, warmup, times = time.time(), args.warmup, {"image": [], "clip": []}
    stop = args.stop_at or args.steps
    while step < stop:
        rng = np.random.default_rng(args.seed * 1_000_003 + step)
        lr = cosine_lr(args.lr, step, args.steps, warmup)
        for g in opt.param_groups:
            g["lr"] = lr
        gen = torch.Generator().manual_seed(int(rng.integers(1 << 31)))
        started = time.time()
        if rng.random() < video_share:
            kind = "clip"
            idx = sorted(rng.choice(len(video), size=args.video_batch, replace=False).tolist())
            small = max(0.0, 1.0 - step / args.curriculum) if args.curriculum > 0 else 0.0
            loss, aux, ground = batch_loss(model, video, idx, clip_batch_modes(rng, small), args.qa_per_clip, rng, gen)
        else:
            kind = "image"
            idx = sorted(rng.choice(len(data), size=args.batch, replace=False).tolist())
            mode = draw(rng, IMAGE_MODES_ANSWERABLE if step < args.answerable_until and c.grid >= 24 else image_modes)
            loss, aux, ground = batch_loss(model, data, idx, lambda n: [mode] * n, args.qa_per_image, rng, gen, cache,
                                   c.probe_layers - 1 if args.ground_weight > 0 else None)
        opt.zero_grad()
        (loss + args.aux_weight * aux + args.ground_weight * ground).backward()
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
        opt.step()
        times[kind].append(time.time() - started)
        step += 1
        if step % 50 == 0:
            mean = {k: round(sum(v) / len(v), 3) for k, v in times.items() if v}
            log(f"step {step} loss {loss.item():.4f} aux {aux.item():.4f} ground {ground.item():.3f} {kind} lr {lr:.2e} s/step {mean}")
            times = {"image": [], "clip": []}
        if step % args.ckpt_every == 0 or step == stop:
            save()
        if step % args.eval_every == 0 or step == stop:
            acc, fam = evaluate(model, heldout, 256)
            log(f"eval step {step} image full acc {acc:.3f} {fam}")
            if video_heldout is not None:
                acc, fam = evaluate(model, video_heldout, 64, lambda n: [frame_full()] * n)
                log(f"eval step {step} clip full acc {acc:.3f} {fam}")
    log("training done")


if __name__ == "__main__":
    main()
