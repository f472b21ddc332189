"""Reads the compact Shapes-VQA form written by the Java generator (images.u8 + samples.jsonl)."""
import json
import os
import numpy as np
import torch

from glimpse_model import encode_words, ANS, BOS, EOS, PAD

MEAN, STD = 0.5, 0.5


class ShapesData:
    def __init__(self, directory):
        meta = json.load(open(os.path.join(directory, "meta.json")))
        h, w, c = meta["height"], meta["width"], meta["channels"]
        self.images = np.memmap(os.path.join(directory, meta["images"]), dtype=np.uint8, mode="r",
                                shape=(meta["count"], h, w, c))
        self.samples = [json.loads(l) for l in open(os.path.join(directory, meta["samples"]))]
        self.question_ids = [encode_words(s["question"]) for s in self.samples]
        self.answer_ids = [encode_words(s["answer"]) for s in self.samples]

    COLORS = ["red", "green", "blue", "yellow", "purple", "orange"]
    SHAPES = ["circle", "square", "triangle", "diamond"]

    def patch_labels(self, idx, grid, patch):
        """Auxiliary targets per patch: (color, shape, size, region of its centre) of the object covering most of the
        patch's pixels (at least 6), 0 = background. Coverage uses the renderer's rule (a pixel
        belongs to a shape when its centre is inside). Training only: it teaches the vision
        encoder what is where."""
        out = np.zeros((len(idx), grid * grid, 4), dtype=np.int64)
        for b, i in enumerate(idx):
            best = np.full(grid * grid, 5)          # a patch needs >= 6 covered pixels
            for o in self.samples[i]["objects"]:
                x0, y0, s = o["x"], o["y"], o["side"]
                u = (np.arange(s) + 0.5) / s
                uu, vv = np.meshgrid(u, u)          # uu across (x), vv down (y)
                shape = o["shape"]
                if shape == "square":
                    inside = np.ones((s, s), dtype=bool)
                elif shape == "circle":
                    inside = (uu - 0.5) ** 2 + (vv - 0.5) ** 2 <= 0.25
                elif shape == "triangle":
                    inside = np.abs(uu - 0.5) <= vv / 2
                else:
                    inside = np.abs(uu - 0.5) + np.abs(vv - 0.5) <= 0.5
                ys, xs = np.nonzero(inside)
                cells = ((y0 + ys) // patch) * grid + (x0 + xs) // patch
                counts = np.bincount(cells, minlength=grid * grid)
                cx, cy = x0 + s / 2.0, y0 + s / 2.0
                canvas = grid * patch
                region = min(2, int(cy * 3 // canvas)) * 3 + min(2, int(cx * 3 // canvas))
                label = (1 + self.COLORS.index(o["color"]), 1 + self.SHAPES.index(shape),
                         1 if o["size"] == "small" else 2, 1 + region)
                better = counts > best
                best[better] = counts[better]
                out[b, better] = label
        return torch.from_numpy(out)

    def __len__(self):
        return len(self.samples)

    def pixels(self, idx):
        x = torch.from_numpy(np.ascontiguousarray(self.images[idx])).float()
        x = (x / 255.0 - MEAN) / STD
        return x.permute(0, 3, 1, 2).contiguous()

    def question_prefix(self, idx):
        """<bos> + question, left-padded: the part before the image in the question-first layout."""
        seqs = [[BOS] + self.question_ids[i] for i in idx]
        width = max(len(s) for s in seqs)
        out = torch.full((len(seqs), width), PAD, dtype=torch.long)
        for b, s in enumerate(seqs):
            out[b, width - len(s):] = torch.tensor(s)
        return out

    def answer_text(self, idx, with_answer=True):
        """<ans>[, answer, <eos>] after the image in the question-first layout."""
        seqs = [[ANS] + (self.answer_ids[i] + [EOS] if with_answer else []) for i in idx]
        width = max(len(s) for s in seqs)
        out = torch.full((len(seqs), width), PAD, dtype=torch.long)
        for b, s in enumerate(seqs):
            out[b, :len(s)] = torch.tensor(s)
        return out, torch.ones(len(seqs), dtype=torch.long)

    def text(self, idx, with_answer=True):
        """Padded text after the image: question, <ans>[, answer, <eos>]; and each prompt length."""
        seqs, prompt_lens = [], []
        for i in idx:
            t = self.question_ids[i] + [ANS]
            prompt_lens.append(len(t))
            if with_answer:
                t = t + self.answer_ids[i] + [EOS]
            seqs.append(t)
        width = max(len(s) for s in seqs)
        out = torch.full((len(seqs), width), PAD, dtype=torch.long)
        for b, s in enumerate(seqs):
            out[b, :len(s)] = torch.tensor(s)
        return out, torch.tensor(prompt_lens)
