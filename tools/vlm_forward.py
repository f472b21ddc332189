"""Shared forward logic: visual tokens per input mode, the LM sequence layout, greedy answers.

Sequence layout (the Java runner reproduces it): <bos> at position 0; visual token j at position
1 + origin(j) where origin is its index in the mode's unpruned span; the text continues at
1 + span. Kept tokens therefore keep their original positions.
"""
import torch

from glimpse_model import BOS, EOS, PAD, VOCAB, pool_grid


def visual_tokens(model, pixels, mode, param, generator=None, features=None):
    """Returns (tokens [B,n,H], origins [B,n] long, span)."""
    c = model.c
    feats = model.vision(pixels)[0] if features is None else features
    b, n_grid = feats.shape[0], feats.shape[1]
    if mode == "full":
        return feats, torch.arange(n_grid).expand(b, -1), n_grid
    if mode == "pool":
        return pool_grid(feats, c.grid, param), torch.arange(param * param).expand(b, -1), param * param
    if mode == "prefix":
        regs = model.resampler(feats)[0][:, :param]
        return regs, torch.arange(param).expand(b, -1), c.registers
    if mode == "subset":
        scores = torch.rand(b, n_grid, generator=generator)
        keep = torch.sort(torch.topk(scores, param, dim=1).indices, dim=1).values
        tokens = torch.gather(feats, 1, keep.unsqueeze(-1).expand(-1, -1, feats.shape[2]))
        return tokens, keep, n_grid
    raise ValueError(mode)


def lm_inputs(model, vis, origins, span, text, prefix=None):
    """text: tokens after the image. prefix: left-padded [B, P] tokens before the image
    (<bos> + question in the question-first layout), or None for just <bos>."""
    b, n = vis.shape[0], vis.shape[1]
    t = text.shape[1]
    if prefix is None:
        prefix = torch.full((b, 1), BOS, dtype=torch.long)
    pmask = (prefix != PAD).long()
    plen = pmask.sum(1, keepdim=True)                      # real prefix tokens per sample
    ppos = (torch.cumsum(pmask, 1) - 1).clamp(min=0)
    embeds = torch.cat([model.lm.embed(prefix), vis, model.lm.embed(text)], dim=1)
    positions = torch.cat([ppos, plen + origins, plen + span + torch.arange(t).expand(b, -1)], dim=1)
    mask = torch.cat([pmask, torch.ones(b, n, dtype=torch.long), (text != PAD).long()], dim=1)
    return embeds, mask, positions


@torch.no_grad()
def greedy_answers(model, vis, origins, span, prompt, prompt_lens, max_new=4, prefix=None):
    """Greedy decode of every sample; returns lists of token ids (without <eos>)."""
    b = vis.shape[0]
    n = vis.shape[1] + (0 if prefix is None else prefix.shape[1] - 1)
    text = torch.cat([prompt, torch.full((b, max_new), PAD, dtype=torch.long)], dim=1)
    lens = prompt_lens.clone()
    done = torch.zeros(b, dtype=torch.bool)
    out = [[] for _ in range(b)]
    for _ in range(max_new):
        embeds, mask, positions = lm_inputs(model, vis, origins, span, text, prefix)
        logits = model.lm(embeds, mask, positions)[0]
        nxt = logits[torch.arange(b), n + lens].argmax(-1)
        for i in range(b):
            if not done[i]:
                if nxt[i].item() == EOS:
                    done[i] = True
                else:
                    out[i].append(nxt[i].item())
                    text[i, lens[i]] = nxt[i]
                    lens[i] += 1
        if done.all():
            break
    return out


def words(ids):
    return " ".join(VOCAB[i] for i in ids)
