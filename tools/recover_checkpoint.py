"""Recovers a PyTorch checkpoint from a glimpse-shapes bundle's ONNX files (the inverse of export.py), and
widens it for a larger vocabulary and more positions, so a new model can start from a released one.

Every weight of export.py's graphs is an initializer: named after its parameter, or (a Linear's weight,
transposed into a MatMul) named after the node, which carries the module path (/lm/blocks.0/attn/q/MatMul).

  recover_checkpoint.py --bundle v1-bundle --out v1.pt --check dev-data
"""
import argparse

import onnx
import torch
from onnx import numpy_helper

from glimpse_model import ANS, BOS, EOS, Config, GlimpseVlm, SufficiencyHead, encode_words

PREFIX = {"v": "vision", "r": "resampler", "lm": "lm", "e": "lm.embed"}


def weights(path):
    m = onnx.load(path)
    init = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in m.graph.initializer}
    out = {}
    for name, value in init.items():
        head, _, rest = name.partition(".")
        if head in PREFIX and rest:
            out[PREFIX[head] + "." + rest] = value
    for node in m.graph.node:
        if node.op_type == "MatMul":
            for x in node.input:
                if x in init and x.startswith("onnx::"):
                    parts = node.name.strip("/").split("/")[:-1]          # /lm/blocks.0/attn/q/MatMul
                    parts[0] = PREFIX[parts[0]]
                    out[".".join(parts) + ".weight"] = init[x].T.contiguous()
    return out


def recover(bundle):
    state = {}
    for f in ("vision_encoder", "resampler", "embed_tokens", "decoder_model_merged"):
        state.update(weights(f"{bundle}/onnx/{f}.onnx"))
    v = state["lm.pos.weight"].shape[0]
    c = Config(max_positions=v)
    c.vocab = state["lm.embed.weight"].shape[0]
    model = GlimpseVlm(c)
    own = model.state_dict()
    missing = [k for k in own if k not in state and not k.startswith("patch_probe")]
    if missing:
        raise SystemExit(f"not recovered: {missing}")
    model.load_state_dict({k: state.get(k, own[k]) for k in own})
    return model.eval()


@torch.no_grad()
def check(model, data, layout, count=256):
    """Accuracy of the recovered model in its own layout: it must match its model card."""
    from shapes_data import ShapesData
    d = ShapesData(data)
    if layout == "compact":
        from train import evaluate
        return evaluate(model, d, count)[0]
    hits = 0
    for i in range(count):
        feats = model.vision(d.pixels([i]))[0][0]
        q = d.question_ids[i] + [ANS]
        ids, out = list(q), []
        for _ in range(4):
            emb = torch.cat([model.lm.embed(torch.tensor([BOS])), feats, model.lm.embed(torch.tensor(ids))]).unsqueeze(0)
            pos = torch.cat([torch.tensor([0]), 1 + torch.arange(144), 145 + torch.arange(len(ids))]).unsqueeze(0)
            logits = model.lm(emb, torch.ones(emb.shape[:2], dtype=torch.long), pos)[0]
            nxt = logits[0, -1].argmax().item()
            if nxt == EOS:
                break
            out.append(nxt)
            ids.append(nxt)
        hits += out == d.answer_ids[i]
    return hits / count


def widen(model, positions, vocab):
    """A model of the current Config with the recovered weights: new positions and words start as fresh ones."""
    old = model.state_dict()
    c = Config(max_positions=positions)
    c.vocab = vocab
    torch.manual_seed(0)
    wide = GlimpseVlm(c)
    state = wide.state_dict()
    for k, v in old.items():
        if k in ("lm.pos.weight", "lm.embed.weight", "lm.head.weight"):
            state[k][: v.shape[0]] = v
        elif not k.startswith("patch_probe"):
            state[k] = v
    wide.load_state_dict(state)
    return wide


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--check", help="single-image data to score the recovered model on")
    ap.add_argument("--layout", choices=["origin", "compact"], default="origin",
                    help="the released model's prompt layout: origin (v1) or compact with frame markers (v2)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    model = recover(args.bundle)
    if args.check:
        print(f"recovered model, {args.layout} layout: {check(model, args.check, args.layout):.3f} exact match on 256 samples")
    c = Config()
    wide = widen(model, c.max_positions, c.vocab)
    torch.save({"model": wide.state_dict(), "config": wide.c.to_dict()}, args.out)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
