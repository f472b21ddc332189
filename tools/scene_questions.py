"""Every well-posed Shapes-VQA question about a scene, from its object list (docs/design/model.md rules).
Training only: several questions share one image's visual tokens in one sequence, which gives the
LM several supervised answers for the cost of one image."""
import math

COLORS = ["red", "green", "blue", "yellow", "purple", "orange"]
SHAPES = ["circle", "square", "triangle", "diamond"]
NUMBERS = ["zero", "one", "two", "three", "four", "five", "six"]
REGIONS = ["top left", "top", "top right", "left", "center", "right", "bottom left", "bottom", "bottom right"]


def centre(o):
    return o["x"] + o["side"] / 2.0, o["y"] + o["side"] / 2.0


def region(o, canvas=96):
    cx, cy = centre(o)
    col = min(2, int(math.floor(cx * 3 / canvas)))
    row = min(2, int(math.floor(cy * 3 / canvas)))
    return REGIONS[row * 3 + col]


def unique_nearest(t, objs, margin=3.0):
    others = [o for o in objs if o is not t]
    if not others:
        return None
    tx, ty = centre(t)
    others.sort(key=lambda o: math.hypot(centre(o)[0] - tx, centre(o)[1] - ty))
    d = [math.hypot(centre(o)[0] - tx, centre(o)[1] - ty) for o in others[:2]]
    if len(d) > 1 and d[1] - d[0] < margin:
        return None
    return others[0]


def questions(objs, canvas=96):
    """family -> list of (question, answer). On the detail canvas (192) nearest neighbours must win by 6 px
    and size questions are asked only of clearly small (side <= 20) or large (>= 48) objects, as the
    generator asks them."""
    margin = 3.0 if canvas <= 96 else 6.0
    q = {f: [] for f in ("color", "shape", "count", "exist_yes", "exist_no", "where", "size", "closest")}
    for s in SHAPES:
        m = [o for o in objs if o["shape"] == s]
        if len(m) == 1:
            q["color"].append((f"what color is the {s} ?", m[0]["color"]))
        q["count"].append((f"how many {s}s are there ?", NUMBERS[len(m)]))
    for c in COLORS:
        m = [o for o in objs if o["color"] == c]
        if len(m) == 1:
            q["shape"].append((f"what shape is the {c} object ?", m[0]["shape"]))
        q["count"].append((f"how many {c} objects are there ?", NUMBERS[len(m)]))
    present = {(o["color"], o["shape"]) for o in objs}
    for c in COLORS:
        for s in SHAPES:
            key = "exist_yes" if (c, s) in present else "exist_no"
            q[key].append((f"is there a {c} {s} ?", "yes" if (c, s) in present else "no"))
    for o in objs:
        c, s = o["color"], o["shape"]
        q["where"].append((f"where is the {c} {s} ?", region(o, canvas)))
        if canvas <= 96 or o["side"] <= 20 or o["side"] >= 48:
            q["size"].append((f"what size is the {c} {s} ?", o["size"]))
        n = unique_nearest(o, objs, margin)
        if n is not None:
            q["closest"].append((f"what color is the object closest to the {c} {s} ?", n["color"]))
    return q


def sample_questions(objs, k, rng, canvas=96):
    """Up to k distinct questions, families drawn uniformly among those the scene allows."""
    return _sample(questions(objs, canvas), k, rng)


def _sample(q, k, rng):
    """Up to k distinct (question, answer) pairs of family -> list q, families drawn uniformly among the non-empty."""
    fams = [f for f, v in q.items() if v]
    out, seen = [], set()
    for _ in range(4 * k):
        if len(out) >= k:
            break
        f = fams[rng.integers(len(fams))]
        item = q[f][rng.integers(len(q[f]))]
        if item[0] not in seen:
            seen.add(item[0])
            out.append(item)
    return out


from glimpse_model import FRAME_WORDS


def direction(t):
    if t["dx"] < 0:
        return "left"
    if t["dx"] > 0:
        return "right"
    if t["dy"] < 0:
        return "up"
    return "down" if t["dy"] > 0 else None


def clip_questions(tracks, frames):
    """family -> list of (question, answer) for a Shapes-Video clip (the Java generator's rules)."""
    q = {f: [] for f in ("first", "frames", "move", "last", "brief")}
    for t in tracks:
        name = f'{t["color"]} {t["shape"]}'
        q["first"].append((f"in which frame does the {name} first appear ?", FRAME_WORDS[t["first"] + 1]))
        q["frames"].append((f"in how many frames is the {name} visible ?", FRAME_WORDS[t["last"] - t["first"] + 1]))
        if direction(t) is not None and t["last"] > t["first"]:
            q["move"].append((f"which way does the {name} move ?", direction(t)))
    for t in tracks:
        # BRIEF (detail clips): the only object of its shape is named by its shape, however few frames show it
        if sum(1 for u in tracks if u["shape"] == t["shape"]) == 1:
            q["brief"].append((f'what color is the {t["shape"]} ?', t["color"]))
    only_last = [t for t in tracks if t["first"] == t["last"] == frames - 1]
    if len(only_last) == 1:
        q["last"].append(("what color is the object that is only in the last frame ?", only_last[0]["color"]))
    return q


def sample_clip_questions(tracks, frames, k, rng):
    """Up to k distinct clip questions, families drawn uniformly among those the clip allows."""
    return _sample(clip_questions(tracks, frames), k, rng)
