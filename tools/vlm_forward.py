"""Shared forward logic: visual tokens per input mode, the LM sequence layout, greedy answers.

Sequence layout (the Java runner reproduces it, config.json "positions": "compact"):
<bos>, then per image "frame <n>" (n in words, 1-based) and its visual tokens, then the question and
<ans>. Positions are compact: every token, visual or text, takes the next position, so tokens a
pruner drops or pooling merges free their positions too (as LLaVA-style pruning, which drops tokens
before the LM, renumbers the rest). Several question/answer segments may share one prefix in training:
each sees the prefix and itself and starts at the position inference gives it.
"""
import torch

from glimpse_model import BOS, EOS, PAD, VOCAB, FRAME_WORDS, TOKEN_ID, pool_grid


def reduce_frames(model, feats, modes, generator=None):
    """Grid features of T frames [T, N, H] and one (mode, param) per frame -> each frame's visual tokens
    [n_t, H]: "full" grid, "pool" n (TokenFLEX n x n average pooling), "prefix" k (first k registers),
    "subset" k (k random grid tokens in grid order), "resize" k (the grid resized bilinearly to QuoTA's h x w for
    a share of k tokens, as the pruner's GridShrinker does). Frames sharing a mode run batched."""
    c = model.c
    out = [None] * len(modes)
    prefix = [t for t, (m, _) in enumerate(modes) if m == "prefix"]
    if prefix:
        regs = model.resampler(feats[prefix])[0]
        for j, t in enumerate(prefix):
            out[t] = regs[j, :modes[t][1]]
    for side in {p for m, p in modes if m == "pool"}:
        group = [t for t, (m, p) in enumerate(modes) if m == "pool" and p == side]
        pooled = pool_grid(feats[group], c.grid, side)
        for j, t in enumerate(group):
            out[t] = pooled[j]
    for t, (m, p) in enumerate(modes):
        if m == "full":
            out[t] = feats[t]
        elif m == "resize":
            h, w = quota_shape(p, c.grid, c.grid)
            x = feats[t].transpose(0, 1).reshape(1, -1, c.grid, c.grid)
            x = torch.nn.functional.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)
            out[t] = x.reshape(-1, h * w).transpose(0, 1)
        elif m == "subset":
            scores = torch.rand(feats.shape[1], generator=generator)
            out[t] = feats[t][torch.sort(torch.topk(scores, p).indices).values]
        elif out[t] is None:
            raise ValueError(m)
    return out


def quota_shape(k, rows, cols):
    """QuoTA's h x w for a share of k tokens (GridShrinker.shape): h = w = floor(sqrt(k)), then the height grows
    by one if it still fits, else the width."""
    side = max(1, int(k ** 0.5))
    h, w = min(rows, side), min(cols, side)
    if (h + 1) * w <= k and h + 1 <= rows:
        h += 1
    elif h * (w + 1) <= k and w + 1 <= cols:
        w += 1
    return h, w


def frame_marker(i):
    return [TOKEN_ID["frame"], TOKEN_ID[FRAME_WORDS[i + 1]]]


def prefix_embeddings(model, frames):
    """<bos> then "frame n" + tokens per frame: [P, H]."""
    embed = model.lm.embed
    parts = [embed(torch.tensor([BOS]))]
    for i, tokens in enumerate(frames):
        parts.append(embed(torch.tensor(frame_marker(i))))
        parts.append(tokens)
    return torch.cat(parts, dim=0)


def assemble(model, prefixes, segments):
    """prefixes: per sample [P_i, H]; segments: per sample a list of token-id lists sharing that prefix.
    Returns embeds [B, L, H], positions [B, L], mask [B, 1, L, L] (bool) and, per sample, the row where
    each segment starts (row of its first token)."""
    b = len(prefixes)
    h = prefixes[0].shape[1]
    lengths = [p.shape[0] + sum(len(s) for s in segs) for p, segs in zip(prefixes, segments)]
    length = max(lengths)
    embeds = torch.zeros(b, length, h)
    positions = torch.zeros(b, length, dtype=torch.long)
    seg_id = torch.full((b, length), -1, dtype=torch.long)       # -1 pad, 0 prefix, k segment k
    starts = []
    for j, (p, segs) in enumerate(zip(prefixes, segments)):
        n = p.shape[0]
        embeds[j, :n] = p
        positions[j, :n] = torch.arange(n)
        seg_id[j, :n] = 0
        row, rows = n, []
        for k, s in enumerate(segs):
            t = len(s)
            embeds[j, row:row + t] = model.lm.embed(torch.tensor(s))
            positions[j, row:row + t] = n + torch.arange(t)
            seg_id[j, row:row + t] = k + 1
            rows.append(row)
            row += t
        starts.append(rows)
    q, k = seg_id.unsqueeze(2), seg_id.unsqueeze(1)
    causal = torch.tril(torch.ones(length, length, dtype=torch.bool)).unsqueeze(0)
    mask = causal & ((k == 0) | ((q == k) & (q > 0)))
    mask[:, :, 0] = True                                    # padding rows see <bos>: no empty softmax
    return embeds, positions, mask.unsqueeze(1), starts


@torch.no_grad()
def greedy_answers(model, prefixes, questions, max_new=4):
    """questions: per sample token ids ending with <ans>. Greedy decode; lists of ids (without <eos>)."""
    b = len(prefixes)
    texts = [list(q) for q in questions]
    out = [[] for _ in range(b)]
    done = [False] * b
    for _ in range(max_new):
        embeds, positions, mask, starts = assemble(model, prefixes, [[t] for t in texts])
        logits = model.lm(embeds, torch.ones(embeds.shape[:2], dtype=torch.long), positions, mask_override=mask)[0]
        for i in range(b):
            if done[i]:
                continue
            nxt = logits[i, starts[i][0] + len(texts[i]) - 1].argmax(-1).item()
            if nxt == EOS:
                done[i] = True
            else:
                out[i].append(nxt)
                texts[i].append(nxt)
        if all(done):
            break
    return out


def words(ids):
    return " ".join(VOCAB[i] for i in ids)
