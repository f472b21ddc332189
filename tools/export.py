"""Exports a glimpse-shapes checkpoint (or an untrained model of any size) to the bundle layout of
docs/design/model.md and checks every graph with onnx.checker.

  export.py --checkpoint run/checkpoint.pt --out models/glimpse-shapes
  export.py --untrained --width 1024 --layers 24 --patches 576 --out /tmp/big-bundle
"""
import argparse
import json
import math
import os

import onnx
import torch
import torch.nn as nn

from glimpse_model import (Config, GlimpseVlm, SufficiencyHead, QuerySufficiencyHead, VOCAB, SPECIALS, candidates_for,
                           FRAME_WORDS, frames_in_vocab,
                           PAD, UNK, BOS, EOS, IMAGE)

OPSET = 17


class VisionExport(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.v = m.vision

    def forward(self, pixel_values):
        feats, attn, keys, cls = self.v(pixel_values)
        return feats, attn, keys, cls


def block_with_bias(blk, x, bias):
    """One ViT block whose attention logits over token j get bias[:, j] added (ToMe's proportional attention,
    log of the patches a merged token stands for); with zeros it is the block itself. Returns the block's
    output, its attention probabilities and its keys."""
    att = blk.attn
    h = blk.ln1(x)
    q, k, v = att.split(att.q(h)), att.split(att.k(h)), att.split(att.v(h))
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(att.dh) + bias[:, None, None, :]
    probs = torch.softmax(scores, dim=-1)
    out = torch.matmul(probs, v).transpose(1, 2).reshape(x.shape[0], x.shape[1], -1)
    x = x + att.o(out)
    m, _ = blk.mlp(blk.ln2(x))
    return x + m, probs, k


class VisionStageExport(nn.Module):
    """Blocks [first, last) of the ViT as one graph with a dynamic token count, so that the image-tokenizer can
    reduce the tokens between stages (docs/design/encoder-reduction.md). Stage 0 starts from the pixels (patch
    embedding, CLS, positions); a later stage takes the tokens kept or merged so far (CLS first) and
    size_bias [B, n] = log(patches each token stands for). Every stage returns its tokens and its last block's
    attention and keys, which the next reduction reads."""

    def __init__(self, m, first, last):
        super().__init__()
        self.v = m.vision
        self.first, self.last = first, last

    def forward(self, x, size_bias=None):
        if self.first == 0:
            v = self.v
            x = v.patch(x).flatten(2).transpose(1, 2)
            x = torch.cat([v.cls.expand(x.shape[0], -1, -1), x], dim=1) + v.pos
            size_bias = torch.zeros(x.shape[0], x.shape[1])
        probs, keys = None, None
        for blk in self.v.blocks[self.first:self.last]:
            x, probs, keys = block_with_bias(blk, x, size_bias)
        return x, probs, keys


class VisionHeadExport(nn.Module):
    """After the last stage: the final norm and the projector to the LM width, CLS dropped."""

    def __init__(self, m):
        super().__init__()
        self.v = m.vision

    def forward(self, hidden):
        x = self.v.ln(hidden)
        return self.v.proj(x[:, 1:]), x[:, 0]


def stage_bounds(c, blocks_per_stage):
    """[(first, last)] block ranges: stages of blocks_per_stage blocks, the last one taking the remainder."""
    edges = list(range(0, c.vit_layers, blocks_per_stage)) + [c.vit_layers]
    return list(zip(edges[:-1], edges[1:]))


def export_vision_stages(model, out, blocks_per_stage=1):
    """Writes onnx/vision_stage_<i>.onnx and onnx/vision_stage_head.onnx; returns config.json's "stages"."""
    c = model.c
    o = lambda name: os.path.join(out, "onnx", name)
    stages = []
    with torch.no_grad():
        px = torch.randn(2, 3, c.image_size, c.image_size)
        hidden = model.vision.pos.expand(2, -1, -1).clone()
        for i, (first, last) in enumerate(stage_bounds(c, blocks_per_stage)):
            name = f"vision_stage_{i}.onnx"
            tokens = {0: "batch", 1: "tokens"}
            outs = ["hidden", "attentions", "keys"]
            axes = {"hidden": tokens, "attentions": {0: "batch", 2: "tokens", 3: "tokens"},
                    "keys": {0: "batch", 2: "tokens"}}
            if first == 0:
                export(VisionStageExport(model, first, last), (px,), o(name), ["pixel_values"], outs,
                       {"pixel_values": {0: "batch"}, **axes})
            else:
                export(VisionStageExport(model, first, last), (hidden[:, :37], torch.zeros(2, 37)), o(name),
                       ["hidden_in", "size_bias"], outs, {"hidden_in": tokens, "size_bias": tokens, **axes})
            stages.append({"graph": name, "blocks": last - first})
        export(VisionHeadExport(model), (hidden[:, :37],), o("vision_stage_head.onnx"), ["hidden"],
               ["image_features", "cls_hidden"],
               {"hidden": {0: "batch", 1: "tokens"}, "image_features": {0: "batch", 1: "tokens"},
                "cls_hidden": {0: "batch"}})
    return {"stages": stages, "head": "vision_stage_head.onnx"}


class EmbedExport(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.e = m.lm.embed

    def forward(self, input_ids):
        return self.e(input_ids)


class LmExport(nn.Module):
    """A graph over the language model and its layer count (the decoders' common part)."""

    def __init__(self, m):
        super().__init__()
        self.lm = m.lm
        self.n = m.c.layers


class DecoderExport(LmExport):
    def forward(self, inputs_embeds, attention_mask, position_ids, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(self.n)]
        logits, presents, _, _ = self.lm(inputs_embeds, attention_mask, position_ids, past=past)
        out = [logits]
        for k, v in presents:
            out += [k, v]
        return tuple(out)


class CoreDecoderExport(LmExport):
    """The decoder with each layer's FFN given as inputs (CoreMatching's neuron half): the runner passes
    the full weights for the prefill, reads the FFN activations it returns to find each layer's core
    neurons, and passes only those neurons' rows for the decode steps (a smaller FFN per token)."""

    def forward(self, inputs_embeds, attention_mask, position_ids, *flat):
        lm = self.lm
        past = [(flat[2 * i], flat[2 * i + 1]) for i in range(self.n)]
        ffn = flat[2 * self.n:]
        s = inputs_embeds.shape[1]
        total = attention_mask.shape[1]
        q_idx = torch.arange(s) + (total - s)
        k_idx = torch.arange(total)
        causal = k_idx.unsqueeze(0) <= q_idx.unsqueeze(1)
        mask = causal.unsqueeze(0).unsqueeze(0) & (attention_mask > 0).unsqueeze(1).unsqueeze(2)
        x = inputs_embeds + lm.pos(position_ids)
        out, acts = [], []
        for i, blk in enumerate(lm.blocks):
            a, _, kv = blk.attn(blk.ln1(x), mask=mask, past=past[i])
            x = x + a
            up_w, up_b, down_t = ffn[3 * i], ffn[3 * i + 1], ffn[3 * i + 2]
            act = torch.nn.functional.gelu(torch.matmul(blk.ln2(x), up_w.transpose(0, 1)) + up_b)
            x = x + torch.matmul(act, down_t) + blk.mlp.down.bias
            out += [kv[0], kv[1]]
            acts.append(act)
        logits = lm.head(lm.ln(x))
        return (logits, *out, *acts)


def write_ffn_weights(model, path):
    """Per layer: up weight [f, d], up bias [f], down weight transposed [f, d]; float32 little-endian.
    Row n of each belongs to neuron n, so a neuron subset is a gather of whole rows."""
    import numpy as np
    with open(path, "wb") as f:
        for blk in model.lm.blocks:
            for t in (blk.mlp.up.weight, blk.mlp.up.bias, blk.mlp.down.weight.t()):
                f.write(t.detach().contiguous().numpy().astype("<f4").tobytes())


def decoder_io(c, b=2, s=3, past=4):
    """Sample inputs, names and dynamic axes of a decoder graph: embeddings, mask, positions and every
    layer's past keys/values in, logits and presents out (the merged and the core decoder share them)."""
    args, in_names, out_names = [], ["inputs_embeds", "attention_mask", "position_ids"], ["logits"]
    axes = {"inputs_embeds": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "total"},
            "position_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"}}
    args += [torch.randn(b, s, c.width), torch.ones(b, past + s, dtype=torch.long),
             torch.arange(past, past + s).expand(b, -1).contiguous()]
    add_past(c, b, past, args, in_names, out_names, axes, "present", {0: "batch", 2: "past"}, {0: "batch", 2: "total"})
    return args, in_names, out_names, axes


def add_past(c, b, length, args, in_names, out_names, axes, out_prefix, past_axes, out_axes):
    """Every layer's past keys/values in (sample [b, heads, length, dh]) and their outputs {out_prefix}.{i}.key/value."""
    dh = c.width // c.heads
    for i in range(c.layers):
        for kv in ("key", "value"):
            args.append(torch.randn(b, c.heads, length, dh))
            in_names.append(f"past_key_values.{i}.{kv}")
            out_names.append(f"{out_prefix}.{i}.{kv}")
            axes[in_names[-1]] = dict(past_axes)
            axes[out_names[-1]] = dict(out_axes)


def export_core_decoder(model, out):
    c = model.c
    o = lambda name: os.path.join(out, "onnx", name)
    k = 5
    args, in_names, out_names, axes = decoder_io(c)
    for i in range(c.layers):
        for name, shape in (("up_weight", (k, c.width)), ("up_bias", (k,)), ("down_weight_t", (k, c.width))):
            args.append(torch.randn(*shape))
            in_names.append(f"ffn.{i}.{name}")
            axes[in_names[-1]] = {0: f"neurons_{i}"}
    for i in range(c.layers):
        # each layer keeps its own number of core neurons
        out_names.append(f"ffn_activations.{i}")
        axes[out_names[-1]] = {0: "batch", 1: "sequence", 2: f"neurons_{i}"}
    with torch.no_grad():
        export(CoreDecoderExport(model), tuple(args), o("decoder_model_core.onnx"), in_names, out_names, axes)
    write_ffn_weights(model, o("ffn_weights.bin"))


class ResamplerExport(nn.Module):
    """Registers, and the graded sufficiency head's probability per candidate count (config "sufficiency")."""

    def __init__(self, m, head):
        super().__init__()
        self.r = m.resampler
        self.head = head

    def forward(self, image_features):
        regs = self.r(image_features)[0]
        return regs, torch.sigmoid(self.head(image_features))


class QuerySufficiencyExport(nn.Module):
    """ADAPTIVE's question-aware head: grid features and the question's word ids -> each candidate's
    probability of reproducing the full grid's answer to that question (config "sufficiency.query")."""

    def __init__(self, head):
        super().__init__()
        self.head = head

    def forward(self, image_features, question_ids, question_mask):
        return torch.sigmoid(self.head(image_features, question_ids, question_mask))


class StaticDecoderExport(LmExport):
    """One decode step over a fixed-capacity past (Hugging Face's "static cache"): every row attends to its
    past slots [0, C) as its mask says and to its new token, scored apart so that nothing concatenates
    (copies) the past; it returns only the new token's keys and values, which the runner writes into
    the row's next slot of one preallocated buffer. Same weights and arithmetic as the merged decoder."""

    def forward(self, inputs_embeds, attention_mask, position_ids, *past_flat):
        lm = self.lm
        keep = (attention_mask > 0).unsqueeze(1).unsqueeze(2)     # [B, 1, 1, C + 1]
        x = inputs_embeds + lm.pos(position_ids)
        news = []
        for i, blk in enumerate(lm.blocks):
            att = blk.attn
            h = blk.ln1(x)
            q, k, v = att.split(att.q(h)), att.split(att.k(h)), att.split(att.v(h))   # [B, heads, 1, dh]
            kp, vp = past_flat[2 * i], past_flat[2 * i + 1]                          # [B, heads, C, dh]
            scale = 1.0 / math.sqrt(att.dh)
            s_past = torch.matmul(q, kp.transpose(-1, -2)) * scale                  # [B, heads, 1, C]
            s_new = (q * k).sum(-1, keepdim=True) * scale                            # [B, heads, 1, 1]
            scores = torch.cat([s_past, s_new], dim=-1).masked_fill(~keep, -1e9)
            probs = torch.softmax(scores, dim=-1)
            c = kp.shape[2]
            out = torch.matmul(probs[..., :c], vp) + probs[..., c:] * v
            out = out.transpose(1, 2).reshape(x.shape[0], x.shape[1], -1)
            x = x + att.o(out)
            m, _ = blk.mlp(blk.ln2(x))
            x = x + m
            news += [k, v]
        return (lm.head(lm.ln(x)), *news)


def export_static_decoder(model, out):
    c = model.c
    b, cap = 2, 6
    args = [torch.randn(b, 1, c.width), torch.ones(b, cap + 1, dtype=torch.long), torch.tensor([[6], [3]])]
    in_names, out_names = ["inputs_embeds", "attention_mask", "position_ids"], ["logits"]
    axes = {"inputs_embeds": {0: "batch"}, "attention_mask": {0: "batch", 1: "capacity_plus_one"},
            "position_ids": {0: "batch"}, "logits": {0: "batch"}}
    add_past(c, b, cap, args, in_names, out_names, axes, "new", {0: "batch", 2: "capacity"}, {0: "batch"})
    with torch.no_grad():
        export(StaticDecoderExport(model), tuple(args), os.path.join(out, "onnx", "decoder_model_static.onnx"),
               in_names, out_names, axes)


class ProbeExport(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.lm = m.lm
        self.layers = m.c.probe_layers

    def forward(self, inputs_embeds, attention_mask, position_ids):
        _, _, probs, act = self.lm(inputs_embeds, attention_mask, position_ids, layers=self.layers)
        return act, probs


def export(module, args, path, input_names, output_names, dynamic_axes):
    torch.onnx.export(module, args, path, input_names=input_names, output_names=output_names,
                      dynamic_axes=dynamic_axes, opset_version=OPSET, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path))


def tokenizer_json(size):
    vocab = {w: i for i, w in enumerate(VOCAB[:size])}   # an older model's vocabulary is a prefix of today's
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i, t in enumerate(SPECIALS)],
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "WhitespaceSplit"},
        "post_processor": None,
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "<unk>"},
    }


QUERY_DECOUPLING = {
    "slots": {"color": ["red", "green", "blue", "yellow", "purple", "orange"],
              "shape": ["circle", "square", "triangle", "diamond"]},
    "aliases": {"circles": "circle", "squares": "square", "triangles": "triangle", "diamonds": "diamond"},
    "relevance_prompts": [
        {"slots": ["color", "shape"], "prompt": "is there a {color} {shape} ?", "yes": "yes", "no": "no"},
        {"slots": ["color"], "prompt": "how many {color} objects are there ?", "no": "zero"},
        {"slots": ["shape"], "prompt": "how many {shape}s are there ?", "no": "zero"},
    ],
}


def config_json(c, calibration=None, pooled_sides=None, selection=None, query_selection=None, stages=None):
    cfg = {
        "model_type": "glimpse-shapes",
        "architectures": ["GlimpseVlm"],
        "hidden_size": c.width,
        "num_hidden_layers": c.layers,
        "num_attention_heads": c.heads,
        "num_key_value_heads": c.heads,
        "head_dim": c.width // c.heads,
        "intermediate_size": c.ffn,
        "vocab_size": c.vocab,
        "max_position_embeddings": c.max_positions,
        "image_token": "<image>",
        "image_token_id": IMAGE,
        "bos_token_id": BOS,
        "eos_token_id": EOS,
        "pad_token_id": PAD,
        "unk_token_id": UNK,
        "prompt_template": "<bos> {image} {question} <ans>",
        # image i (1-based) is introduced by its marker, so a question can name frames and the LM knows where
        # each image's tokens start whatever their count
        "image_prefixes": [f"frame {FRAME_WORDS[i]}" for i in range(1, frames_in_vocab(c.vocab) + 1)],
        "positions": "compact",
        "position_rule": "every token, text or visual, takes the next position: tokens pruned or pooled away free "
                         "their positions (LLaVA-style pruning renumbers what it keeps)",
        "vision": {"image_size": c.image_size, "patch_size": c.patch, "grid_h": c.grid, "grid_w": c.grid,
                   "hidden_size": c.vit_width, "num_layers": c.vit_layers, "num_heads": c.vit_heads,
                   "attention_layer": c.attn_layer},
        "resampler": {"registers": c.registers},
        # ADAPTIVE's candidates, cheapest first; the resampler's "sufficiency" output has one probability each
        "sufficiency": {"candidates": [{"kind": k, "param": p, "tokens": t} for k, p, t in candidates_for(c)]},
        "probe": {"layers": c.probe_layers, "layer_index": c.probe_layers - 1},
        # v4: a clip's frames at full resolution enter pooled to 12 x 12, as LLaVA-OneVision pools video frames
        **({"video": {"frame_pool_side": 12}} if c.grid >= 24 else {}),
        # the sides training pooled to (train.py pool_sides: 12 x 12 too on a 24 x 24 grid) and the grid itself
        "pooled_sides": pooled_sides or sorted({s for s in [1, 2, 3, 4, 6, 8] + ([12] if c.grid >= 24 else [])
                                                + [c.grid] if s <= c.grid}),
        # QuoTA's query decoupling: the entities a question can name and the model's own yes/no
        # relevance questions about them (the pruner reads the first answer token's probability)
        "query_decoupling": QUERY_DECOUPLING,
    }
    if selection:
        # per quality target, the threshold on the head's probabilities at which ADAPTIVE's picks reproduced
        # that share of full-grid answers on held-out images (fit_sufficiency.py); targets between interpolate
        cfg["sufficiency"]["selection"] = [{"target": r["target"], "threshold": r["threshold"]} for r in selection]
    if query_selection:
        # the question-aware head's thresholds, set per question on held-out images (fit_sufficiency.py --query)
        cfg["sufficiency"]["query"] = {"selection": [{"target": r["target"], "threshold": r["threshold"]}
                                                     for r in query_selection]}
    if calibration is not None:
        cfg["complexity_calibration"] = calibration
    if stages is not None:
        # the encoder as stages the image-tokenizer may reduce tokens between (encoder_reduction)
        cfg["vision"].update(stages)
    return cfg


def preprocessor_json(c):
    return {
        "size": {"height": c.image_size, "width": c.image_size},
        "do_resize": True,
        "resample": "bilinear",
        "do_rescale": True,
        "rescale_factor": 1 / 255.0,
        "do_normalize": True,
        "image_mean": [0.5, 0.5, 0.5],
        "image_std": [0.5, 0.5, 0.5],
    }


def export_bundle(model, head, out, calibration=None, pooled_sides=None, selection=None, query=None, stage_blocks=1):
    """query: (QuerySufficiencyHead, its selection rows), or None for a bundle without the question-aware head."""
    c = model.c
    model.eval()
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    o = lambda name: os.path.join(out, "onnx", name)
    with torch.no_grad():
        px = torch.randn(2, 3, c.image_size, c.image_size)
        export(VisionExport(model), (px,), o("vision_encoder.onnx"), ["pixel_values"],
               ["image_features", "attentions", "keys", "cls_hidden"],
               {"pixel_values": {0: "batch"}, "image_features": {0: "batch"}, "attentions": {0: "batch"},
                "keys": {0: "batch"}, "cls_hidden": {0: "batch"}})
        export(EmbedExport(model), (torch.tensor([[BOS, 10, 11]]),), o("embed_tokens.onnx"), ["input_ids"],
               ["inputs_embeds"], {"input_ids": {0: "batch", 1: "sequence"}, "inputs_embeds": {0: "batch", 1: "sequence"}})
        args, in_names, out_names, axes = decoder_io(c)
        export(DecoderExport(model), tuple(args), o("decoder_model_merged.onnx"), in_names, out_names, axes)
        feats = torch.randn(2, c.grid * c.grid, c.width)
        export(ResamplerExport(model, head.eval()), (feats,), o("resampler.onnx"), ["image_features"], ["registers", "sufficiency"],
               {"image_features": {0: "batch"}, "registers": {0: "batch"}, "sufficiency": {0: "batch"}})
        if query is not None:
            ids = torch.tensor([[10, 11, 12, 13], [14, 15, PAD, PAD]])
            export(QuerySufficiencyExport(query[0].eval()), (feats, ids, (ids != PAD).long()), o("sufficiency_query.onnx"),
                   ["image_features", "question_ids", "question_mask"], ["sufficiency"],
                   {"image_features": {0: "batch"}, "question_ids": {0: "batch", 1: "words"},
                    "question_mask": {0: "batch", 1: "words"}, "sufficiency": {0: "batch"}})
        emb, pos = args[0], args[2]
        export(ProbeExport(model), (emb, torch.ones(*emb.shape[:2], dtype=torch.long), pos), o("lm_probe.onnx"),
               ["inputs_embeds", "attention_mask", "position_ids"], ["ffn_activations", "attentions"],
               {"inputs_embeds": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                "position_ids": {0: "batch", 1: "sequence"}, "ffn_activations": {0: "batch", 1: "sequence"},
                "attentions": {0: "batch", 2: "sequence", 3: "sequence"}})
    export_core_decoder(model, out)
    export_static_decoder(model, out)
    stages = export_vision_stages(model, out, stage_blocks)
    json.dump(tokenizer_json(c.vocab), open(os.path.join(out, "tokenizer.json"), "w"), indent=1)
    json.dump(config_json(c, calibration, pooled_sides, selection, query[1] if query else None, stages),
              open(os.path.join(out, "config.json"), "w"), indent=2)
    json.dump(preprocessor_json(c), open(os.path.join(out, "preprocessor_config.json"), "w"), indent=2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint")
    ap.add_argument("--out", required=True)
    ap.add_argument("--untrained", action="store_true")
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--patches", type=int, default=144, help="vision grid tokens (a square number)")
    ap.add_argument("--vit-width", type=int, default=0, help="untrained: ViT width (default width / 2, at least 96)")
    ap.add_argument("--vit-layers", type=int, default=4, help="untrained: ViT layers")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--stage-blocks", type=int, default=1, help="ViT blocks per encoder stage")
    ap.add_argument("--max-positions", type=int, default=0,
                    help="keep only the first N rows of the position table (every LM graph carries it; v4 trains 4,096"
                         " but its longest input, 16 frames of 12 x 12 with markers and a question, needs under 2,400)")
    ap.add_argument("--stages-only", action="store_true",
                    help="add only the staged vision encoder to the bundle at --out (from --checkpoint) and declare it"
                         " in its config.json")
    ap.add_argument("--core-only", action="store_true",
                    help="add only decoder_model_core.onnx and ffn_weights.bin to the bundle at --out (from --checkpoint)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    selection = None
    query = None
    if args.untrained:
        torch.manual_seed(args.seed)
        grid = int(math.isqrt(args.patches))
        assert grid * grid == args.patches, "--patches must be a square number"
        heads = max(1, args.width // 64)
        vit_width = args.vit_width or max(96, args.width // 2)
        c = Config(image_size=grid * 14, patch=14, vit_width=vit_width, vit_layers=args.vit_layers,
                   vit_heads=max(1, vit_width // 64), width=args.width, layers=args.layers, heads=heads,
                   ffn=4 * args.width, max_positions=max(256, args.patches + 128))
        model = GlimpseVlm(c)
        head = SufficiencyHead(c.width, candidates=len(candidates_for(c)))
        # nothing is trained, so every side that tiles the grid evenly is as good as another
        # (the benchmark pools 576 patches to 12 x 12 = 144 and 8 x 8 = 64)
        sides = [s for s in range(1, grid + 1) if grid % s == 0]
    else:
        state = torch.load(args.checkpoint)
        c = Config.from_dict(state["config"])
        model = GlimpseVlm(c)
        model.load_state_dict(state["model"])
        head = SufficiencyHead(c.width, candidates=len(candidates_for(c)))
        sides = None
        head_path = os.path.join(os.path.dirname(args.checkpoint), "sufficiency.pt")
        fit_path = os.path.join(os.path.dirname(args.checkpoint), "sufficiency.json")
        if os.path.exists(head_path):
            head.load_state_dict(torch.load(head_path))
            if os.path.exists(fit_path):
                selection = json.load(open(fit_path)).get("selection")
        else:
            print("warning: no", head_path, "- the sufficiency head is untrained (run fit_sufficiency.py)")
        query_path = os.path.join(os.path.dirname(args.checkpoint), "sufficiency_query.pt")
        if os.path.exists(query_path):
            qhead = QuerySufficiencyHead(c.width, c.vocab, len(candidates_for(c)))
            qhead.load_state_dict(torch.load(query_path))
            query = (qhead, json.load(open(os.path.join(os.path.dirname(args.checkpoint), "sufficiency_query.json")))
                     .get("selection"))
    if args.max_positions and not args.untrained:
        if args.max_positions > c.max_positions:
            raise SystemExit(f"--max-positions {args.max_positions} exceeds the model's {c.max_positions}")
        with torch.no_grad():
            model.lm.pos = nn.Embedding.from_pretrained(model.lm.pos.weight[:args.max_positions].clone(), freeze=True)
        c.max_positions = args.max_positions
    if args.stages_only:
        model.eval()
        cfg_path = os.path.join(args.out, "config.json")
        cfg = json.load(open(cfg_path))
        cfg["vision"].update(export_vision_stages(model, args.out, args.stage_blocks))
        json.dump(cfg, open(cfg_path, "w"), indent=2)
        print("added the staged vision encoder to", args.out)
        return
    if args.core_only:
        model.eval()
        export_core_decoder(model, args.out)
        export_static_decoder(model, args.out)
        print("added the core-neuron and static-cache decoders to", args.out)
        return
    calib = None
    calib_path = os.path.join(os.path.dirname(args.checkpoint or ""), "calibration.json")
    if args.checkpoint and os.path.exists(calib_path):
        calib = json.load(open(calib_path))
    export_bundle(model, head, args.out, calib, sides, selection, query, args.stage_blocks)
    print("exported", args.out)


if __name__ == "__main__":
    main()
