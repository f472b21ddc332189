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
        """Auxiliary targets per patch: (color, shape, size) of the object covering most of the
        patch, 0 = background. Training only: it teaches the vision encoder what is where."""
        out = np.zeros((len(idx), grid * grid, 3), dtype=np.int64)
        for b, i in enumerate(idx):
            best = np.zeros(grid * grid)
            for o in self.samples[i]["objects"]:
                x0, y0, s = o["x"], o["y"], o["side"]
                for gy in range(y0 // patch, min(grid, (y0 + s - 1) // patch + 1)):
                    for gx in range(x0 // patch, min(grid, (x0 + s - 1) // patch + 1)):
                        ox = min(x0 + s, (gx + 1) * patch) - max(x0, gx * patch)
                        oy = min(y0 + s, (gy + 1) * patch) - max(y0, gy * patch)
                        area = ox * oy
                        k = gy * grid + gx
                        if area >= 8 and area > best[k]:
                            best[k] = area
                            out[b, k] = (1 + self.COLORS.index(o["color"]), 1 + self.SHAPES.index(o["shape"]),
                                         1 if o["size"] == "small" else 2)
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
