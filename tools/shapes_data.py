"""Reads the compact Shapes-VQA form written by the Java generator (images.u8 + samples.jsonl)."""
import json
import os
import numpy as np
import torch

from glimpse_model import encode_words, ANS, EOS, PAD

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

    def __len__(self):
        return len(self.samples)

    def pixels(self, idx):
        x = torch.from_numpy(np.ascontiguousarray(self.images[idx])).float()
        x = (x / 255.0 - MEAN) / STD
        return x.permute(0, 3, 1, 2).contiguous()

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
