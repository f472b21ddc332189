"""Reads the compact Shapes-VQA form written by the Java generator (images.u8 + samples.jsonl)."""
import json
import os
import numpy as np
import torch

from glimpse_model import encode_words, ANS, BOS, EOS, PAD

MEAN, STD = 0.5, 0.5


class ShapesData:
    """Single images (one frame per sample) or, when meta.json says "video", clips of several frames."""

    def __init__(self, directory):
        meta = json.load(open(os.path.join(directory, "meta.json")))
        h, w, c = meta["height"], meta["width"], meta["channels"]
        self.canvas = w
        self.video = bool(meta.get("video", False))
        self.images = np.memmap(os.path.join(directory, meta["images"]), dtype=np.uint8, mode="r",
                                shape=(meta.get("frames_total", meta["count"]), h, w, c))
        self.samples = [json.loads(l) for l in open(os.path.join(directory, meta["samples"]))]
        self.question_ids = [encode_words(s["question"]) for s in self.samples]
        self.answer_ids = [encode_words(s["answer"]) for s in self.samples]

    COLORS = ["red", "green", "blue", "yellow", "purple", "orange"]
    SHAPES = ["circle", "square", "triangle", "diamond"]

    def frame_ids(self, i):
        s = self.samples[i]
        return list(range(s["offset"], s["offset"] + s["frames"])) if self.video else [i]

    def frame_objects(self, i):
        s = self.samples[i]
        return s["frame_objects"] if self.video else [s["objects"]]

    def patch_labels(self, object_lists, grid, patch):
        """Auxiliary targets per patch of each frame: (color, shape, size, region of its centre) of the
        object covering most of the patch's pixels (at least 6), 0 = background. Coverage uses the
        renderer's rule (a pixel belongs to a shape when its centre is inside). Training only: it
        teaches the vision encoder what is where."""
        out = np.zeros((len(object_lists), grid * grid, 4), dtype=np.int64)
        for b, objects in enumerate(object_lists):
            best = np.full(grid * grid, 5)          # a patch needs >= 6 covered pixels
            for o in objects:
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

    def pixels(self, frame_ids):
        x = torch.from_numpy(np.ascontiguousarray(self.images[frame_ids])).float()
        x = (x / 255.0 - MEAN) / STD
        return x.permute(0, 3, 1, 2).contiguous()
