package io.glimpse.pruner.select;

import io.glimpse.common.methods.MethodDescriptor;
import io.glimpse.common.methods.PruningMethods;

import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.tensor.FloatTensor;
import io.glimpse.common.tokens.TokenKind;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.kernel.WaterFilling;
import io.glimpse.pruner.query.QueryDecoupler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * QuoTA: score each unit (an image of the request, or a region of a single image) for the query,
 * weigh {@code s^2 / sum s^2}, water-fill the budget over the units (capped at each unit's tokens),
 * then shrink each unit to its share: bilinear resize of its grid (the paper's best), adaptive
 * average pooling, FlexTok prefix for ordered register tokens, or another method's selection.
 */
final class QuotaAssignment {
    private static final MethodDescriptor D = PruningMethods.of(PruningMethod.QUOTA.name());
    private final Map<PruningMethod, TokenSelector> selectors;

    QuotaAssignment(Map<PruningMethod, TokenSelector> selectors) {
        this.selectors = selectors;
    }

    /** One unit: rows of one image; a rectangle of its grid when {@code gridRows > 0}. */
    record Unit(int image, int[] rows, int gridRows, int gridCols) {
    }

    record Outcome(List<TokenSet> images, long flops, float[] unitScores, int[] assigned) {
    }

    Outcome reduce(List<TokenSet> images, PruningSpec spec, QueryContext query) {
        String innerName = spec.params().getOrDefault("within", "resize").trim().toUpperCase(java.util.Locale.ROOT);
        Set<String> known = new java.util.HashSet<>(D.paramNames());
        selectors.keySet().stream().filter(m -> m.name().equals(innerName))
                .forEach(m -> known.addAll(PruningMethods.of(m.name()).paramNames()));      // the inner method's own knobs
        spec.checkParams(known);
        if (!spec.hasBudget()) {
            throw GlimpseException.invalid("QUOTA needs a budget: keep_tokens (per image, or the total with global_budget) or keep_ratio");
        }
        int total = Arrays.stream(Budget.perImage(images.stream().mapToInt(TokenSet::count).toArray(), spec)).sum();
        List<Unit> units = units(images, spec);
        String within = spec.choice(D.param("within"));
        String scorer = spec.choice(D.param("scorer"), query.model().available()
                && QueryDecoupler.of(query.model().config("QUOTA")).isPresent() ? "vlm"
                : query.model().hasProbe() || !query.model().available() ? "attention" : "similarity");
        long[] flops = {0L};
        float[] s = UnitScorer.ALL.get(scorer).score(units, images, query, flops);
        double[] w = new double[units.size()];
        double norm = 0;
        for (float v : s) {
            norm += (double) v * v;
        }
        for (int i = 0; i < w.length; i++) {
            w[i] = norm > 0 ? (double) s[i] * s[i] / norm : 1.0 / w.length;
        }
        int minPer = (int) spec.number(D.param("min_per_unit"));
        int[] min = new int[units.size()];
        int[] cap = new int[units.size()];
        for (int i = 0; i < units.size(); i++) {
            cap[i] = units.get(i).rows().length;
            // every image keeps at least one token: the runner needs one per image
            min[i] = Math.min(cap[i], Math.max(minPer, images.size() > 1 ? 1 : 0));
        }
        if (images.size() == 1 && Arrays.stream(min).sum() == 0) {
            min[argmax(w)] = 1;
        }
        int[] n = WaterFilling.assign(w, min, cap, Math.max(total, Arrays.stream(min).sum()));
        List<TokenSet> out = new ArrayList<>();
        for (int img = 0; img < images.size(); img++) {
            out.add(shrinkImage(images.get(img), img, units, n, s, within, spec, query, flops));
        }
        return new Outcome(out, flops[0], s, n);
    }

    static List<Unit> units(List<TokenSet> images, PruningSpec spec) {
        List<Unit> units = new ArrayList<>();
        if (images.stream().anyMatch(t -> t.tiles() != null)) {
            return tileUnits(images);
        }
        if (images.size() > 1) {
            for (int i = 0; i < images.size(); i++) {
                TokenSet t = images.get(i);
                int[] g = fullGrid(t);
                units.add(new Unit(i, TokenPrunerEngine.all(t.count()), g == null ? 0 : g[0], g == null ? 0 : g[1]));
            }
            return units;
        }
        TokenSet t = images.get(0);
        int[] g = fullGrid(t);
        String regions = spec.params().getOrDefault("regions", D.param("regions").def()).trim();
        if (!regions.matches("\\d{1,2}x\\d{1,2}")) {
            throw GlimpseException.invalid("pruning parameter regions=\"" + regions + "\" must look like 2x2 or 3x3");
        }
        int rr = Integer.parseInt(regions.substring(0, regions.indexOf('x')));
        int rc = Integer.parseInt(regions.substring(regions.indexOf('x') + 1));
        if (g == null || rr < 1 || rc < 1 || rr > g[0] || rc > g[1]) {
            if (rr < 1 || rc < 1) {
                throw GlimpseException.invalid("pruning parameter regions must be at least 1x1");
            }
            units.add(new Unit(0, TokenPrunerEngine.all(t.count()), g == null ? 0 : g[0], g == null ? 0 : g[1]));
            return units;
        }
        for (int a = 0; a < rr; a++) {
            int r0 = a * g[0] / rr;
            int r1 = (a + 1) * g[0] / rr;
            for (int b = 0; b < rc; b++) {
                int c0 = b * g[1] / rc;
                int c1 = (b + 1) * g[1] / rc;
                int[] rows = new int[(r1 - r0) * (c1 - c0)];
                int k = 0;
                for (int r = r0; r < r1; r++) {
                    for (int c = c0; c < c1; c++) {
                        rows[k++] = rowOf(t, r * g[1] + c);
                    }
                }
                units.add(new Unit(0, rows, r1 - r0, c1 - c0));
            }
        }
        return units;
    }

    /**
     * Tiled images (Idefics3 / SmolVLM): every tile is a unit — the high-resolution analogue of
     * QuoTA's frames — with its token grid when the tile still holds all of its tokens.
     */
    private static List<Unit> tileUnits(List<TokenSet> images) {
        List<Unit> units = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            TokenSet t = images.get(i);
            if (t.tiles() == null) {
                int[] g = fullGrid(t);
                units.add(new Unit(i, TokenPrunerEngine.all(t.count()), g == null ? 0 : g[0], g == null ? 0 : g[1]));
                continue;
            }
            List<List<Integer>> byTile = new ArrayList<>();
            for (int k = 0; k < t.tiles().count(); k++) {
                byTile.add(new ArrayList<>());
            }
            for (int r = 0; r < t.count(); r++) {
                byTile.get(Math.min(t.tiles().tileOf(t.origin()[r]), t.tiles().count() - 1)).add(r);
            }
            int per = t.tiles().tokensPerTile();
            int side = (int) Math.round(Math.sqrt(per));
            for (List<Integer> tile : byTile) {
                if (tile.isEmpty()) {
                    continue;
                }
                tile.sort(java.util.Comparator.comparingInt(r -> t.origin()[r]));
                int[] rows = tile.stream().mapToInt(Integer::intValue).toArray();
                boolean whole = rows.length == per && side * side == per;
                units.add(new Unit(i, rows, whole ? side : 0, whole ? side : 0));
            }
        }
        return units;
    }

    /** [rows, cols] when the set is a whole grid (every cell once, by origin), else null. */
    private static int[] fullGrid(TokenSet t) {
        int rows;
        int cols;
        if (t.kind() == TokenKind.GRID) {
            rows = t.gridH();
            cols = t.gridW();
        } else if (t.kind() == TokenKind.POOLED) {
            rows = t.pooledSide();
            cols = t.pooledSide();
        } else {
            return null;
        }
        if (rows * cols != t.count() || t.span() != t.count()) {
            return null;
        }
        boolean[] seen = new boolean[t.count()];
        for (int o : t.origin()) {
            if (o < 0 || o >= seen.length || seen[o]) {
                return null;
            }
            seen[o] = true;
        }
        return new int[]{rows, cols};
    }

    private static int rowOf(TokenSet t, int origin) {
        for (int i = 0; i < t.count(); i++) {
            if (t.origin()[i] == origin) {
                return i;
            }
        }
        throw new IllegalStateException("no token at origin " + origin);
    }

    private TokenSet shrinkImage(TokenSet t, int img, List<Unit> units, int[] n, float[] unitScore, String within,
                                 PruningSpec spec, QueryContext query, long[] flops) {
        int d = t.hidden();
        List<int[]> rowsOut = new ArrayList<>();      // {row whose origin it takes, index into data}
        List<float[]> data = new ArrayList<>();
        float[] scores = new float[t.count()];
        for (int u = 0; u < units.size(); u++) {
            Unit unit = units.get(u);
            if (unit.image() != img) {
                continue;
            }
            for (int r : unit.rows()) {
                scores[r] = unitScore[u];
            }
            int k = n[u];
            if (k == 0) {
                continue;
            }
            float[] x = t.embeddings().selectRows(unit.rows()).data();
            if (k >= unit.rows().length) {
                for (int i = 0; i < unit.rows().length; i++) {
                    add(rowsOut, data, unit.rows()[i], Arrays.copyOfRange(x, i * d, (i + 1) * d));
                }
                continue;
            }
            UnitShrinker shrinker = within.equals("resize") || within.equals("pool")
                    ? (unit.gridRows() > 0 ? new GridShrinker(within.equals("resize")) : new PrefixShrinker())
                    : new MethodShrinker(selectors.get(PruningMethod.valueOf(within.toUpperCase(java.util.Locale.ROOT))), spec, query);
            for (UnitShrinker.Piece p : shrinker.shrink(t, unit, x, k, flops)) {
                add(rowsOut, data, p.row(), p.x());
            }
        }
        Integer[] idx = new Integer[rowsOut.size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (p, q) -> Integer.compare(t.origin()[rowsOut.get(p)[0]], t.origin()[rowsOut.get(q)[0]]));
        int[] rows = new int[idx.length];
        float[] merged = new float[idx.length * d];
        for (int i = 0; i < idx.length; i++) {
            rows[i] = rowsOut.get(idx[i])[0];
            System.arraycopy(data.get(idx[i]), 0, merged, i * d, d);
        }
        return t.merge(rows, FloatTensor.of(merged, rows.length, d), scores);
    }

    private static void add(List<int[]> rows, List<float[]> data, int row, float[] x) {
        rows.add(new int[]{row});
        data.add(x);
    }

    private static int argmax(double[] w) {
        int b = 0;
        for (int i = 1; i < w.length; i++) {
            if (w[i] > w[b]) {
                b = i;
            }
        }
        return b;
    }

}
