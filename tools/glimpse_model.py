"""The glimpse-shapes VLM: a small ViT, a FlexTok-style register resampler with a KARL-style
sufficiency head, and a decoder-only LM that takes explicit position_ids.

Every attention is written out (softmax(q k^T / sqrt(dh))) so that the exported ONNX graphs can
return attention maps and keys, which the pruning methods need.
"""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

SPECIALS = ["<pad>", "<unk>", "<bos>", "<eos>", "<image>", "<ans>"]
WORDS = (
    "what color is the shape object how many objects are there a where size closest to ? "
    "circle square triangle diamond circles squares triangles diamonds "
    "red green blue yellow purple orange "
    "zero one two three four five six yes no "
    "top bottom left right center small large "
    "seven eight in which frame does first appear frames visible way move that only last up down"
    # v4: frame words for clips of up to 16 frames, appended so that v1-v3's token ids stay as they were
    " nine ten eleven twelve thirteen fourteen fifteen sixteen"
).split()
VOCAB = SPECIALS + WORDS
PAD, UNK, BOS, EOS, IMAGE, ANS = range(6)
TOKEN_ID = {w: i for i, w in enumerate(VOCAB)}
# the counts ADAPTIVE chooses among: (kind, parameter, tokens), cheapest first; the graded sufficiency head
# predicts, per candidate, the probability that it reproduces the full grid's answer
CANDIDATES = [("prefix", 1, 1), ("prefix", 2, 2), ("pool", 2, 4), ("prefix", 4, 4), ("prefix", 8, 8),
              ("pool", 3, 9), ("pool", 4, 16), ("prefix", 16, 16), ("prefix", 32, 32), ("pool", 6, 36),
              ("pool", 8, 64)]
# v4 (576 patches, 64 registers): the same kinds up to 64 registers and 12 x 12 pooling; the full grid is 576
CANDIDATES_576 = [("prefix", 1, 1), ("prefix", 2, 2), ("pool", 2, 4), ("prefix", 4, 4), ("prefix", 8, 8),
                  ("pool", 3, 9), ("pool", 4, 16), ("prefix", 16, 16), ("prefix", 32, 32), ("pool", 6, 36),
                  ("pool", 8, 64), ("prefix", 64, 64), ("pool", 12, 144)]


def candidates_for(c):
    """The counts ADAPTIVE chooses among for a model of this config."""
    return CANDIDATES_576 if c.grid >= 24 else CANDIDATES


MAX_FRAMES = 16
FRAME_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
               "twelve", "thirteen", "fourteen", "fifteen", "sixteen"]


def frames_in_vocab(vocab_size):
    """How many frames a model with this vocabulary can name (v1-v3: eight)."""
    return max(i for i in range(1, MAX_FRAMES + 1) if TOKEN_ID[FRAME_WORDS[i]] < vocab_size)


def encode_words(text):
    return [TOKEN_ID.get(w, UNK) for w in text.split()]


class Config:
    def __init__(self, image_size=96, patch=8, vit_width=96, vit_layers=4, vit_heads=3,
                 width=128, layers=4, heads=4, ffn=512, registers=32, resampler_layers=2,
                 max_positions=1280, attn_layer=None, probe_layers=2):
        self.image_size = image_size
        self.patch = patch
        self.grid = image_size // patch
        self.vit_width = vit_width
        self.vit_layers = vit_layers
        self.vit_heads = vit_heads
        self.width = width
        self.layers = layers
        self.heads = heads
        self.ffn = ffn
        self.registers = registers
        self.resampler_layers = resampler_layers
        self.max_positions = max_positions
        # Like VisionZip, read attention and keys at the penultimate ViT layer.
        self.attn_layer = vit_layers - 2 if attn_layer is None else attn_layer
        self.probe_layers = probe_layers
        self.vocab = len(VOCAB)

    def to_dict(self):
        return dict(self.__dict__)

    @staticmethod
    def from_dict(d):
        c = Config()
        c.__dict__.update(d)
        return c


class Attention(nn.Module):
    def __init__(self, dim, heads, kv_dim=None):
        super().__init__()
        kv_dim = dim if kv_dim is None else kv_dim
        self.heads = heads
        self.dh = dim // heads
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(kv_dim, dim)
        self.v = nn.Linear(kv_dim, dim)
        self.o = nn.Linear(dim, dim)

    def split(self, x):
        b, n, _ = x.shape
        return x.view(b, n, self.heads, self.dh).transpose(1, 2)

    def forward(self, x, kv=None, mask=None, past=None):
        """mask: bool [.., n_q, n_k] True = may attend. past: (k, v) already split.
        Returns output, attention probabilities, (k, v) including past."""
        kv = x if kv is None else kv
        q = self.split(self.q(x))
        k = self.split(self.k(kv))
        v = self.split(self.v(kv))
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.dh)
        if mask is not None:
            scores = scores.masked_fill(~mask, -1e9)
        probs = torch.softmax(scores, dim=-1)
        out = torch.matmul(probs, v).transpose(1, 2).reshape(x.shape[0], x.shape[1], -1)
        return self.o(out), probs, (k, v)


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.up = nn.Linear(dim, hidden)
        self.down = nn.Linear(hidden, dim)

    def forward(self, x):
        act = F.gelu(self.up(x))
        return self.down(act), act


class Block(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, hidden)

    def forward(self, x, mask=None, past=None):
        a, probs, kv = self.attn(self.ln1(x), mask=mask, past=past)
        x = x + a
        m, act = self.mlp(self.ln2(x))
        return x + m, probs, kv, act


class VisionEncoder(nn.Module):
    """ViT over patches plus CLS; a linear projector to the LM width (linear, so average pooling
    of projected features equals projecting pooled ViT features: TokenFLEX pooling stays exact)."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        self.patch = nn.Conv2d(3, c.vit_width, c.patch, c.patch)
        self.cls = nn.Parameter(torch.zeros(1, 1, c.vit_width))
        self.pos = nn.Parameter(torch.randn(1, c.grid * c.grid + 1, c.vit_width) * 0.02)
        self.blocks = nn.ModuleList([Block(c.vit_width, c.vit_heads, 4 * c.vit_width) for _ in range(c.vit_layers)])
        self.ln = nn.LayerNorm(c.vit_width)
        self.proj = nn.Linear(c.vit_width, c.width)

    def forward(self, pixel_values):
        x = self.patch(pixel_values).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1) + self.pos
        attn, keys = None, None
        for i, blk in enumerate(self.blocks):
            x, probs, kv, _ = blk(x)
            if i == self.c.attn_layer:
                attn, keys = probs, kv[0]
        x = self.ln(x)
        return self.proj(x[:, 1:]), attn, keys, x[:, 0]


class Resampler(nn.Module):
    """FlexTok-style: K registers read the grid by cross-attention and see earlier registers only
    (causal), so register i never depends on registers > i and any prefix is a valid encoding."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        d = c.width
        self.registers = nn.Parameter(torch.randn(1, c.registers, d) * 0.02)
        self.ln_feat = nn.LayerNorm(d)
        self.self_ln = nn.ModuleList([nn.LayerNorm(d) for _ in range(c.resampler_layers)])
        self.self_attn = nn.ModuleList([Attention(d, c.heads) for _ in range(c.resampler_layers)])
        self.cross_ln = nn.ModuleList([nn.LayerNorm(d) for _ in range(c.resampler_layers)])
        self.cross_attn = nn.ModuleList([Attention(d, c.heads) for _ in range(c.resampler_layers)])
        self.mlp_ln = nn.ModuleList([nn.LayerNorm(d) for _ in range(c.resampler_layers)])
        self.mlp = nn.ModuleList([Mlp(d, 4 * d) for _ in range(c.resampler_layers)])
        self.out_ln = nn.LayerNorm(d)
        self.out = nn.Linear(d, d)

    def forward(self, features):
        b, k = features.shape[0], self.c.registers
        mem = self.ln_feat(features)
        x = self.registers.expand(b, -1, -1)
        causal = torch.tril(torch.ones(k, k, dtype=torch.bool, device=features.device))
        for i in range(self.c.resampler_layers):
            x = x + self.self_attn[i](self.self_ln[i](x), mask=causal)[0]
            x = x + self.cross_attn[i](self.cross_ln[i](x), kv=mem)[0]
            x = x + self.mlp[i](self.mlp_ln[i](x))[0]
        return self.out(self.out_ln(x)), None


class SufficiencyHead(nn.Module):
    """KARL-style, graded: from the image's grid features alone (one pass, no question), the probability
    that each candidate count of CANDIDATES reproduces the full grid's answer. Fitted after the VLM on
    labels measured by running the VLM at every candidate (tools/fit_sufficiency.py)."""

    def __init__(self, width, hidden=128, candidates=len(CANDIDATES)):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(3 * width, hidden), nn.GELU(), nn.Linear(hidden, hidden), nn.GELU(),
                                 nn.Linear(hidden, candidates))

    def forward(self, features):
        f = features.detach()
        # spread across tokens says how much differs from place to place (what pooling loses)
        pooled = torch.cat([f.mean(dim=1), f.amax(dim=1), f.std(dim=1)], dim=-1)
        return self.net(pooled)


class QuerySufficiencyHead(nn.Module):
    """ADAPTIVE that sees the question: one pass over the image's grid features and the question's words
    predicts, per candidate count, the probability that it reproduces the full grid's answer to that question.
    The question's mean word embedding asks the tokens how relevant each is (one attention); what it finds
    (the attended mean, and how much the tokens differ) says whether a coarse view keeps it: a colour
    question about a large object survives 2 x 2 pooling, a count over twenty small ones does not.
    Fitted after the VLM on labels measured per question (tools/fit_sufficiency.py --query)."""

    def __init__(self, width, vocab, candidates, hidden=128):
        super().__init__()
        self.words = nn.Embedding(vocab, hidden)
        self.tokens = nn.Linear(width, hidden)
        self.query = nn.Linear(hidden, hidden)
        self.net = nn.Sequential(nn.Linear(5 * hidden, hidden), nn.GELU(), nn.Linear(hidden, hidden), nn.GELU(),
                                 nn.Linear(hidden, candidates))

    def forward(self, features, question_ids, question_mask):
        f = self.tokens(features.detach())
        m = question_mask.unsqueeze(-1).to(f.dtype)
        q = (self.words(question_ids) * m).sum(1) / m.sum(1).clamp(min=1.0)
        score = torch.einsum("bnh,bh->bn", f, self.query(q)) / math.sqrt(f.shape[-1])
        focus = torch.einsum("bn,bnh->bh", torch.softmax(score, dim=1), f)
        return self.net(torch.cat([f.mean(dim=1), f.amax(dim=1), f.std(dim=1), focus, q], dim=-1))


class LanguageModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed = nn.Embedding(c.vocab, c.width)
        self.pos = nn.Embedding(c.max_positions, c.width)
        self.blocks = nn.ModuleList([Block(c.width, c.heads, c.ffn) for _ in range(c.layers)])
        self.ln = nn.LayerNorm(c.width)
        self.head = nn.Linear(c.width, c.vocab, bias=False)

    def forward(self, inputs_embeds, attention_mask, position_ids, past=None, layers=None, mask_override=None,
                probs_layer=None):
        """attention_mask i64 [B, past+S]; causal by cache order. Returns logits, presents, and
        the last run layer's attention probabilities (or layer probs_layer's) and FFN activations.
        mask_override (training only): bool [B, 1, S, S] replacing the causal/padding mask."""
        past_len = 0 if past is None else past[0][0].shape[2]
        s = inputs_embeds.shape[1]
        total = attention_mask.shape[1]
        q_idx = torch.arange(s, device=inputs_embeds.device) + (total - s)
        k_idx = torch.arange(total, device=inputs_embeds.device)
        causal = k_idx.unsqueeze(0) <= q_idx.unsqueeze(1)
        mask = causal.unsqueeze(0).unsqueeze(0) & (attention_mask > 0).unsqueeze(1).unsqueeze(2)
        if mask_override is not None:
            mask = mask_override
        x = inputs_embeds + self.pos(position_ids)
        presents, probs, act = [], None, None
        blocks = self.blocks if layers is None else self.blocks[:layers]
        kept = None
        for i, blk in enumerate(blocks):
            x, probs, kv, act = blk(x, mask=mask, past=None if past is None else past[i])
            presents.append(kv)
            if i == probs_layer:
                kept = probs
        logits = self.head(self.ln(x))
        return logits, presents, probs if kept is None else kept, act


class GlimpseVlm(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.vision = VisionEncoder(c)
        self.resampler = Resampler(c)
        self.lm = LanguageModel(c)
        # training-only probe: color / shape / size / region of the object under each patch (not exported)
        self.patch_probe = nn.Linear(c.width, 7 + 5 + 3 + 10)
        nn.init.normal_(self.lm.embed.weight, std=0.02)
        nn.init.normal_(self.lm.pos.weight, std=0.02)


def pool_grid(features, grid, n):
    """TokenFLEX: adaptive average pooling of [B, grid*grid, H] to [B, n*n, H] (row-major)."""
    b, _, h = features.shape
    x = features.transpose(1, 2).reshape(b, h, grid, grid)
    x = F.adaptive_avg_pool2d(x, n)
    return x.reshape(b, h, n * n).transpose(1, 2)


def load_checkpoint(path):
    """The trained model of a checkpoint written by train.py, in eval mode."""
    state = torch.load(path)
    model = GlimpseVlm(Config.from_dict(state["config"]))
    model.load_state_dict(state["model"])
    model.trained_step = state.get("step", 0)
    return model.eval()
