"""A tiny, random-weight SmolVLM (Idefics3 architecture) in the onnx-community layout, and the
PyTorch reference of the same weights, for Glimpse's bring-your-own-model tests.

transformers is not installable here, so the architecture is written out from its published
sources (docs/bring-your-own-model.md lists which fact came from where):
  - vision: SigLIP as Idefics3VisionTransformer (patch conv, learned positions, pre-LN encoder
    layers with gelu_pytorch_tanh MLPs, post-LN), attention masked by the patch mask derived from
    pixel_attention_mask (a patch counts when any of its pixels is real);
  - connector: Idefics3Connector.pixel_shuffle with scale_factor, then a bias-free Linear;
  - text: Llama (RMSNorm, rotary embeddings with rotate_half, grouped-query attention, SiLU MLP),
    lm_head untied;
  - processor: Idefics3ImageProcessor (PIL LANCZOS resizes, longest-edge resize, resize to
    multiples of the tile size, row-major tiles plus the global image, rescale, normalise) and
    Idefics3Processor's prompt expansion (<fake_token_around_image><row_r_col_c> + image_seq_len
    <image> per tile, a newline after each row, then the global image).

Usage: /usr/bin/python3 tools/smolvlm_tiny.py --out models/smolvlm-tiny
Writes the bundle and reference/fixtures.json (prompt ids, first-step logits and greedy tokens of
several images of different sizes and aspect ratios, computed here in PyTorch).
"""
import argparse
import json
import math
import os

import numpy as np
import torch
from jinja2 import Environment
from PIL import Image
from torch import nn

SEED = 20261129

TEXT = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, head_dim=16, rms_norm_eps=1e-5, rope_theta=100000.0,
            max_position_embeddings=2048)
VISION = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
              image_size=64, patch_size=8, layer_norm_eps=1e-6, num_channels=3)
SCALE_FACTOR = 2
LONGEST_EDGE = 128           # preprocessor size.longest_edge (SmolVLM-256M: 2048)
TILE = VISION["image_size"]  # preprocessor max_image_size.longest_edge (SmolVLM-256M: 512)
IMAGE_SEQ_LEN = (TILE // VISION["patch_size"]) ** 2 // SCALE_FACTOR ** 2
VOCAB_SIZE = 320

# SmolVLM-Instruct's chat template (tokenizer_config.json of HuggingFaceTB/SmolVLM-256M-Instruct)
CHAT_TEMPLATE = (
    "<|im_start|>{% for message in messages %}{{message['role'] | capitalize}}"
    "{% if message['content'][0]['type'] == 'image' %}{{':'}}{% else %}{{': '}}{% endif %}"
    "{% for line in message['content'] %}{% if line['type'] == 'text' %}{{line['text']}}"
    "{% elif line['type'] == 'image' %}{{ '<image>' }}{% endif %}{% endfor %}<end_of_utterance>\n"
    "{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}")

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<end_of_utterance>",
            "<fake_token_around_image>", "<global-img>", "<image>"] + \
           [f"<row_{r}_col_{c}>" for r in range(1, 7) for c in range(1, 7)]


# ----------------------------------------------------------------------------- tokenizer
def bytes_to_unicode():
    """GPT-2's byte-level alphabet: every byte as a printable character."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


BYTE_CHARS = bytes_to_unicode()
SPECIAL_IDS = {t: 256 + i for i, t in enumerate(SPECIALS)}


def tokenizer_json():
    vocab = {BYTE_CHARS[b]: b for b in range(256)}
    vocab.update(SPECIAL_IDS)
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for t, i in SPECIAL_IDS.items()],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                  "ignore_merges": False, "vocab": vocab, "merges": []},
    }


def encode(text):
    """What tokenizer.json does to text: special tokens whole, every other byte one token (no merges)."""
    ids = []
    i = 0
    while i < len(text):
        for t in sorted(SPECIALS, key=len, reverse=True):
            if text.startswith(t, i):
                ids.append(SPECIAL_IDS[t])
                i += len(t)
                break
        else:
            ids.extend(text[i].encode("utf-8"))
            i += 1
    return ids


# ----------------------------------------------------------------------------- processor
def pil_resize(a, height, width):
    return np.array(Image.fromarray(a).resize((width, height), resample=Image.LANCZOS))


def resize_longest_edge(a, longest):
    """_resize_output_size_rescale_to_max_len then _scale_below_upper_bound(1820)."""
    h, w = a.shape[:2]
    aspect = w / h
    if w >= h:
        w = longest
        h = int(w / aspect)
        if h % 2 != 0:
            h += 1
    else:
        h = longest
        w = int(h * aspect)
        if w % 2 != 0:
            w += 1
    h, w = max(h, 1), max(w, 1)
    aspect = w / h
    if w >= h and w > 1820:
        w, h = 1820, int(1820 / aspect)
    elif h > w and h > 1820:
        h, w = 1820, int(1820 * aspect)
    return pil_resize(a, max(h, 1), max(w, 1))


def resize_for_vision_encoder(a, tile):
    h, w = a.shape[:2]
    aspect = w / h
    if w >= h:
        w = math.ceil(w / tile) * tile
        h = int(w / aspect)
        h = math.ceil(h / tile) * tile
    else:
        h = math.ceil(h / tile) * tile
        w = int(h * aspect)
        w = math.ceil(w / tile) * tile
    return pil_resize(a, h, w)


def split_image(a, tile):
    h, w = a.shape[:2]
    frames = []
    if h > tile or w > tile:
        rows, cols = math.ceil(h / tile), math.ceil(w / tile)
        oh, ow = math.ceil(h / rows), math.ceil(w / cols)
        for r in range(rows):
            for c in range(cols):
                frames.append(a[r * oh:min(r * oh + oh, h), c * ow:min(c * ow + ow, w)])
        if h != tile or w != tile:
            a = pil_resize(a, tile, tile)
    else:
        rows, cols = 0, 0
    frames.append(a)
    return frames, rows, cols


def preprocess(rgb):
    """One RGB uint8 image -> ([tiles, 3, S, S] float32, rows, cols) as Idefics3ImageProcessor."""
    a = resize_longest_edge(rgb, LONGEST_EDGE)
    a = resize_for_vision_encoder(a, TILE)
    frames, rows, cols = split_image(a, TILE)
    out = []
    for f in frames:
        x = (f.astype(np.float64) * (1 / 255)).astype(np.float32)
        x = (x - np.float32(0.5)) / np.float32(0.5)
        out.append(x.transpose(2, 0, 1))
    return np.stack(out), rows, cols


def image_prompt(rows, cols):
    if rows == 0 and cols == 0:
        return "<fake_token_around_image><global-img>" + "<image>" * IMAGE_SEQ_LEN + "<fake_token_around_image>"
    s = ""
    for r in range(rows):
        for c in range(cols):
            s += f"<fake_token_around_image><row_{r + 1}_col_{c + 1}>" + "<image>" * IMAGE_SEQ_LEN
        s += "\n"
    return s + "\n<fake_token_around_image><global-img>" + "<image>" * IMAGE_SEQ_LEN + "<fake_token_around_image>"


def prompt_text(question, grids):
    messages = [{"role": "user", "content": [{"type": "image"} for _ in grids] + [{"type": "text", "text": question}]}]
    text = Environment().from_string(CHAT_TEMPLATE).render(messages=messages, add_generation_prompt=True)
    parts = text.split("<image>")
    out = parts[0]
    for (rows, cols), rest in zip(grids, parts[1:]):
        out += image_prompt(rows, cols) + rest
    return out


# ----------------------------------------------------------------------------- model
class VisionLayer(nn.Module):
    def __init__(self, d, inter, heads, eps):
        super().__init__()
        self.heads = heads
        self.layer_norm1 = nn.LayerNorm(d, eps=eps)
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d, d) for _ in range(4))
        self.layer_norm2 = nn.LayerNorm(d, eps=eps)
        self.fc1 = nn.Linear(d, inter)
        self.fc2 = nn.Linear(inter, d)

    def forward(self, x, bias):
        b, n, d = x.shape
        hd = d // self.heads
        h = self.layer_norm1(x)
        q = self.q_proj(h).view(b, n, self.heads, hd).transpose(1, 2)
        k = self.k_proj(h).view(b, n, self.heads, hd).transpose(1, 2)
        v = self.v_proj(h).view(b, n, self.heads, hd).transpose(1, 2)
        w = torch.softmax(q @ k.transpose(2, 3) * hd ** -0.5 + bias, dim=-1)
        x = x + self.out_proj((w @ v).transpose(1, 2).reshape(b, n, d))
        return x + self.fc2(nn.functional.gelu(self.fc1(self.layer_norm2(x)), approximate="tanh"))


class VisionEncoder(nn.Module):
    """pixel_values [B, N, 3, S, S], pixel_attention_mask [B, N, S, S] -> image_features [B*N, seq, text_hidden]."""

    def __init__(self):
        super().__init__()
        c = VISION
        self.patch = c["patch_size"]
        self.side = c["image_size"] // c["patch_size"]
        self.patch_embedding = nn.Conv2d(3, c["hidden_size"], c["patch_size"], c["patch_size"])
        self.position_embedding = nn.Embedding(self.side ** 2, c["hidden_size"])
        self.layers = nn.ModuleList(VisionLayer(c["hidden_size"], c["intermediate_size"], c["num_attention_heads"],
                                                c["layer_norm_eps"]) for _ in range(c["num_hidden_layers"]))
        self.post_layernorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.proj = nn.Linear(c["hidden_size"] * SCALE_FACTOR ** 2, TEXT["hidden_size"], bias=False)

    def pixel_shuffle(self, x):
        bsz, seq, d = x.shape
        s = self.side
        f = SCALE_FACTOR
        x = x.view(bsz, s, s, d)
        x = x.view(bsz, s, s // f, d * f)
        x = x.permute(0, 2, 1, 3)
        x = x.reshape(bsz, s // f, s // f, d * f * f)
        x = x.permute(0, 2, 1, 3)
        return x.reshape(bsz, seq // (f * f), d * f * f)

    def forward(self, pixel_values, pixel_attention_mask):
        s = pixel_values.shape[-1]
        px = pixel_values.reshape(-1, 3, s, s)
        mask = pixel_attention_mask.reshape(-1, s // self.patch, self.patch, s // self.patch, self.patch)
        patches = mask.to(torch.float32).sum(dim=(2, 4)).reshape(px.shape[0], -1) > 0
        # full tiles: positions 0..P-1 (Idefics3VisionEmbeddings' bucketing gives the same)
        x = self.patch_embedding(px).flatten(2).transpose(1, 2) + self.position_embedding.weight.unsqueeze(0)
        bias = (~patches).to(torch.float32)[:, None, None, :] * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, bias)
        return self.proj(self.pixel_shuffle(self.post_layernorm(x)))


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class DecoderLayer(nn.Module):
    def __init__(self):
        super().__init__()
        c = TEXT
        d, hd = c["hidden_size"], c["head_dim"]
        self.heads, self.kv, self.hd = c["num_attention_heads"], c["num_key_value_heads"], hd
        self.input_layernorm = RMSNorm(d, c["rms_norm_eps"])
        self.q_proj = nn.Linear(d, self.heads * hd, bias=False)
        self.k_proj = nn.Linear(d, self.kv * hd, bias=False)
        self.v_proj = nn.Linear(d, self.kv * hd, bias=False)
        self.o_proj = nn.Linear(self.heads * hd, d, bias=False)
        self.post_attention_layernorm = RMSNorm(d, c["rms_norm_eps"])
        self.gate_proj = nn.Linear(d, c["intermediate_size"], bias=False)
        self.up_proj = nn.Linear(d, c["intermediate_size"], bias=False)
        self.down_proj = nn.Linear(c["intermediate_size"], d, bias=False)

    def forward(self, x, cos, sin, bias, past_k, past_v):
        b, n, _ = x.shape
        h = self.input_layernorm(x)
        q = self.q_proj(h).view(b, n, self.heads, self.hd).transpose(1, 2)
        k = self.k_proj(h).view(b, n, self.kv, self.hd).transpose(1, 2)
        v = self.v_proj(h).view(b, n, self.kv, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = torch.cat([past_k, k], dim=2)
        v = torch.cat([past_v, v], dim=2)
        rep = self.heads // self.kv
        # transformers' repeat_kv: each key/value head serves `rep` query heads in a row
        t = k.shape[2]
        kk = k[:, :, None].expand(b, self.kv, rep, t, self.hd).reshape(b, self.heads, t, self.hd)
        vv = v[:, :, None].expand(b, self.kv, rep, t, self.hd).reshape(b, self.heads, t, self.hd)
        w = torch.softmax(q @ kk.transpose(2, 3) * self.hd ** -0.5 + bias, dim=-1)
        x = x + self.o_proj((w @ vv).transpose(1, 2).reshape(b, n, self.heads * self.hd))
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(nn.functional.silu(self.gate_proj(h)) * self.up_proj(h)), k, v


class Decoder(nn.Module):
    """decoder_model_merged: inputs_embeds, attention_mask [B, past+n], position_ids [B, n], past -> logits, present."""

    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList(DecoderLayer() for _ in range(TEXT["num_hidden_layers"]))
        self.norm = RMSNorm(TEXT["hidden_size"], TEXT["rms_norm_eps"])
        self.lm_head = nn.Linear(TEXT["hidden_size"], VOCAB_SIZE, bias=False)
        hd = TEXT["head_dim"]
        self.register_buffer("inv_freq", 1.0 / (TEXT["rope_theta"] ** (torch.arange(0, hd, 2).float() / hd)))

    def forward(self, inputs_embeds, attention_mask, position_ids, *past):
        n = inputs_embeds.shape[1]
        past_len = past[0].shape[2]
        freqs = position_ids[:, :, None].to(torch.float32) * self.inv_freq[None, None, :]
        emb = torch.cat([freqs, freqs], dim=-1)
        cos, sin = emb.cos()[:, None], emb.sin()[:, None]
        total = past_len + n
        causal = torch.arange(total)[None, :] <= (torch.arange(n)[:, None] + past_len)
        allowed = causal[None, None] & (attention_mask[:, None, None, :] > 0)
        bias = (~allowed).to(torch.float32) * torch.finfo(torch.float32).min
        x = inputs_embeds
        present = []
        for i, layer in enumerate(self.layers):
            x, k, v = layer(x, cos, sin, bias, past[2 * i], past[2 * i + 1])
            present += [k, v]
        return (self.lm_head(self.norm(x)), *present)


class Embed(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed_tokens = nn.Embedding(VOCAB_SIZE, TEXT["hidden_size"])

    def forward(self, input_ids):
        return self.embed_tokens(input_ids)


# ----------------------------------------------------------------------------- reference run
def empty_past(layers):
    return [torch.zeros(1, TEXT["num_key_value_heads"], 0, TEXT["head_dim"]) for _ in range(2 * layers)]


def reference(vision, embed, decoder, images, question, steps):
    tiles, grids = [], []
    for rgb in images:
        px, rows, cols = preprocess(rgb)
        tiles.append(px)
        grids.append((rows, cols))
    px = torch.from_numpy(np.concatenate(tiles))[None]
    mask = torch.ones(px.shape[0], px.shape[1], px.shape[3], px.shape[4], dtype=torch.bool)
    ids = encode(prompt_text(question, grids))
    with torch.no_grad():
        feats = vision(px, mask).reshape(-1, TEXT["hidden_size"])
        emb = embed(torch.tensor([ids]))
        image_rows = torch.tensor(ids) == SPECIAL_IDS["<image>"]
        assert int(image_rows.sum()) == feats.shape[0], (int(image_rows.sum()), feats.shape)
        emb[0, image_rows] = feats
        past = empty_past(TEXT["num_hidden_layers"])
        n = len(ids)
        out = decoder(emb, torch.ones(1, n, dtype=torch.long), torch.arange(n)[None], *past)
        first = out[0][0, -1].clone()
        logits, past = out[0], list(out[1:])
        generated = []
        for step in range(steps):
            nxt = int(logits[0, -1].argmax())
            generated.append(nxt)
            if nxt == SPECIAL_IDS["<end_of_utterance>"]:
                break
            e = embed(torch.tensor([[nxt]]))
            pos = n + step
            out = decoder(e, torch.ones(1, pos + 1, dtype=torch.long), torch.tensor([[pos]]), *past)
            logits, past = out[0], list(out[1:])
    return {"question": question, "grids": grids, "prompt_ids": ids,
            "tile_sums": [float(t.astype(np.float64).sum()) for t in np.concatenate(tiles)],
            "first_logits": [float(v) for v in first], "greedy": generated}


def test_image(h, w, seed):
    """A few rectangles on a gradient: different sizes and aspect ratios, reproducible."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    a = np.stack([(x * 255 // max(w - 1, 1)), (y * 255 // max(h - 1, 1)), np.full_like(x, 96)], -1).astype(np.uint8)
    for _ in range(4):
        y0, x0 = rng.integers(0, h), rng.integers(0, w)
        a[y0:y0 + h // 4, x0:x0 + w // 4] = rng.integers(0, 256, 3)
    return a


def export(vision, embed, decoder, onnx_dir):
    os.makedirs(onnx_dir, exist_ok=True)
    s = TILE
    torch.onnx.export(vision, (torch.zeros(1, 2, 3, s, s), torch.ones(1, 2, s, s, dtype=torch.bool)),
                      os.path.join(onnx_dir, "vision_encoder.onnx"), opset_version=17,
                      input_names=["pixel_values", "pixel_attention_mask"], output_names=["image_features"],
                      dynamic_axes={"pixel_values": {0: "batch_size", 1: "num_images"},
                                    "pixel_attention_mask": {0: "batch_size", 1: "num_images"},
                                    "image_features": {0: "num_images_total"}})
    torch.onnx.export(embed, (torch.zeros(1, 3, dtype=torch.long),), os.path.join(onnx_dir, "embed_tokens.onnx"),
                      opset_version=17, input_names=["input_ids"], output_names=["inputs_embeds"],
                      dynamic_axes={"input_ids": {0: "batch_size", 1: "sequence_length"},
                                    "inputs_embeds": {0: "batch_size", 1: "sequence_length"}})
    layers = TEXT["num_hidden_layers"]
    past_names = [f"past_key_values.{i}.{kv}" for i in range(layers) for kv in ("key", "value")]
    present_names = [f"present.{i}.{kv}" for i in range(layers) for kv in ("key", "value")]
    past = [torch.zeros(1, TEXT["num_key_value_heads"], 2, TEXT["head_dim"]) for _ in range(2 * layers)]
    axes = {"inputs_embeds": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
            "position_ids": {0: "batch_size", 1: "sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"}}
    axes.update({n: {0: "batch_size", 2: "past_sequence_length"} for n in past_names})
    axes.update({n: {0: "batch_size", 2: "total_sequence_length"} for n in present_names})
    torch.onnx.export(decoder, (torch.zeros(1, 3, TEXT["hidden_size"]), torch.ones(1, 5, dtype=torch.long),
                                torch.tensor([[2, 3, 4]]), *past),
                      os.path.join(onnx_dir, "decoder_model_merged.onnx"), opset_version=17,
                      input_names=["inputs_embeds", "attention_mask", "position_ids"] + past_names,
                      output_names=["logits"] + present_names, dynamic_axes=axes)


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.manual_seed(SEED)
    vision, embed, decoder = VisionEncoder().eval(), Embed().eval(), Decoder().eval()
    with torch.no_grad():
        for m in (vision, embed, decoder):
            for name, p in m.named_parameters():
                if p.dim() > 1:
                    p.normal_(0, 0.1)
                elif "norm" in name and name.endswith("weight"):
                    p.normal_(1, 0.1)
                else:
                    p.normal_(0, 0.05)
    export(vision, embed, decoder, os.path.join(args.out, "onnx"))
    eos = SPECIAL_IDS["<end_of_utterance>"]
    write_json(os.path.join(args.out, "config.json"), {
        "architectures": ["Idefics3ForConditionalGeneration"], "model_type": "idefics3",
        "image_token_id": SPECIAL_IDS["<image>"], "scale_factor": SCALE_FACTOR, "tie_word_embeddings": False,
        "text_config": dict(TEXT, model_type="llama", architectures=["LlamaForCausalLM"], vocab_size=VOCAB_SIZE,
                            hidden_act="silu", bos_token_id=SPECIAL_IDS["<|im_start|>"], eos_token_id=eos,
                            pad_token_id=SPECIAL_IDS["<|im_end|>"], tie_word_embeddings=False),
        "vision_config": dict(VISION, model_type="idefics3_vision", hidden_act="gelu_pytorch_tanh"),
    })
    write_json(os.path.join(args.out, "preprocessor_config.json"), {
        "image_processor_type": "Idefics3ImageProcessor", "processor_class": "Idefics3Processor",
        "do_convert_rgb": True, "do_resize": True, "size": {"longest_edge": LONGEST_EDGE}, "resample": 1,
        "do_image_splitting": True, "max_image_size": {"longest_edge": TILE}, "do_rescale": True,
        "rescale_factor": 1 / 255, "do_normalize": True, "image_mean": [0.5, 0.5, 0.5],
        "image_std": [0.5, 0.5, 0.5], "do_pad": True})
    write_json(os.path.join(args.out, "processor_config.json"),
               {"image_seq_len": IMAGE_SEQ_LEN, "processor_class": "Idefics3Processor"})
    write_json(os.path.join(args.out, "generation_config.json"),
               {"bos_token_id": SPECIAL_IDS["<|im_start|>"], "eos_token_id": eos, "pad_token_id": SPECIAL_IDS["<|im_end|>"]})
    write_json(os.path.join(args.out, "tokenizer.json"), tokenizer_json())
    write_json(os.path.join(args.out, "tokenizer_config.json"), {
        "tokenizer_class": "GPT2Tokenizer", "bos_token": "<|im_start|>", "eos_token": "<end_of_utterance>",
        "pad_token": "<|im_end|>", "unk_token": "<|endoftext|>", "model_max_length": TEXT["max_position_embeddings"],
        "add_prefix_space": False, "chat_template": CHAT_TEMPLATE,
        "added_tokens_decoder": {str(i): {"content": t, "special": True, "normalized": False, "lstrip": False,
                                          "rstrip": False, "single_word": False} for t, i in SPECIAL_IDS.items()}})
    cases = []
    ref_dir = os.path.join(args.out, "reference")
    os.makedirs(ref_dir, exist_ok=True)
    for i, (h, w, q) in enumerate([(96, 160, "what color is the box?"), (150, 60, "describe it"),
                                   (200, 200, "how many boxes are there?"), (40, 90, "where is the red one?")]):
        rgb = test_image(h, w, i)
        name = f"image-{i}-{w}x{h}.png"
        Image.fromarray(rgb).save(os.path.join(ref_dir, name))
        case = reference(vision, embed, decoder, [rgb], q, steps=6)
        case["images"] = [name]
        cases.append(case)
    two = [test_image(96, 160, 0), test_image(40, 90, 3)]
    case = reference(vision, embed, decoder, two, "which image is wider?", steps=6)
    case["images"] = ["image-0-160x96.png", "image-3-90x40.png"]
    cases.append(case)
    write_json(os.path.join(ref_dir, "fixtures.json"), {"seed": SEED, "cases": cases})
    print("wrote", args.out, "with", len(cases), "reference cases")


if __name__ == "__main__":
    main()
