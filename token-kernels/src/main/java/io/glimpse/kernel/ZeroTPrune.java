package io.glimpse.kernel;

import java.util.Arrays;

/**
 * Zero-TPrune on one attention graph: I' (one weighted-PageRank iteration, ranking only) -> S (drop the
 * less important half's tokens most similar, by key cosine, to the more important half) -> I (PageRank to
 * convergence on the survivors, keep the top k). CLS takes part in the graph and is never pruned. The
 * pruner runs it on the attention the tokenizer forwards; the image-tokenizer between encoder stages, on the
 * attention of the stage just run (where the paper prunes).
 */
public final class ZeroTPrune {
    /**
     * @param clsInit   PageRank starts from CLS-weighted scores (else uniform)
     * @param graphTopM each row keeps its m largest entries (0: all)
     */
    public record Params(int iterations, double tolerance, double vMin, double vMax, double sShare, boolean clsInit,
                         int graphTopM) {
    }

    /** Kept patch indices (ascending), each patch's final importance (0 for those S dropped), and the work. */
    public record Result(int[] kept, float[] scores, long flops) {
    }

    private ZeroTPrune() {
    }

    public static Result select(AttentionGraph graph, int keep, Params params) {
        HeadAggregation heads = new HeadAggregation(params.vMin(), params.vMax());
        double sShare = params.sShare();
        boolean clsInit = params.clsInit();
        int iterations = params.iterations();
        double tolerance = params.tolerance();
        AttentionGraph g = graph.topPerRow(params.graphTopM());
        int n = g.patches();
        int c = g.cls();
        long flops = g.flops();

        // I': one iteration, only to rank
        float[][] perHead = new float[g.heads()][];
        WeightedPageRank once = new WeightedPageRank(1, 0);
        float[] init = clsInit && c == 1 ? WeightedPageRank.clsWeighted(g.size()) : WeightedPageRank.uniform(g.size());
        for (int h = 0; h < g.heads(); h++) {
            perHead[h] = once.run(g.attention(), h * g.size() * g.size(), g.size(), init).scores();
        }
        flops += (long) g.heads() * g.size() * g.size();
        float[] rank = Arrays.copyOfRange(heads.aggregate(perHead, c), c, g.size());

        // S: A = less important half, B = more important half; drop the A tokens closest to B
        int[] order = TopK.order(rank);
        int nb = n - n / 2;
        int[] b = Arrays.copyOfRange(order, 0, nb);
        int[] a = Arrays.copyOfRange(order, nb, n);
        int dropS = Math.min(a.length, (int) Math.round(sShare * (n - keep)));
        boolean[] dropped = new boolean[n];
        if (dropS > 0) {
            float[] unit = Rows.normalized(g.keys(), n, g.keyDim());
            float[] bRows = new float[b.length * g.keyDim()];
            for (int i = 0; i < b.length; i++) {
                System.arraycopy(unit, b[i] * g.keyDim(), bRows, i * g.keyDim(), g.keyDim());
            }
            float[][] bCols = Rows.columns(bRows, b.length, g.keyDim());
            float[] sims = new float[b.length];
            float[] redundancy = new float[n];
            Arrays.fill(redundancy, Float.NEGATIVE_INFINITY);
            for (int ai : a) {
                Rows.dotsWith(bCols, unit, ai * g.keyDim(), sims);
                float best = Float.NEGATIVE_INFINITY;
                for (float v : sims) {
                    best = Math.max(best, v);
                }
                redundancy[ai] = best;
            }
            flops += (long) a.length * b.length * g.keyDim();
            int[] byRedundancy = TopK.order(redundancy);
            for (int i = 0; i < dropS; i++) {
                dropped[byRedundancy[i]] = true;
            }
        }

        // I: full WPR on CLS + survivors, top k
        int survivors = n - dropS;
        int[] nodes = new int[c + survivors];
        int[] patchOf = new int[survivors];
        int at = 0;
        for (int i = 0; i < c; i++) {
            nodes[at++] = i;
        }
        for (int p = 0, s = 0; p < n; p++) {
            if (!dropped[p]) {
                patchOf[s++] = p;
                nodes[at++] = c + p;
            }
        }
        WeightedPageRank wpr = new WeightedPageRank(iterations, tolerance);
        int m = nodes.length;
        float[] start = clsInit && c == 1 ? WeightedPageRank.clsWeighted(m) : WeightedPageRank.uniform(m);
        float[][] sub = new float[m][m];
        for (int h = 0; h < g.heads(); h++) {
            WeightedPageRank.Result r = wpr.run(g.restricted(h, nodes, sub), start);
            perHead[h] = r.scores();
            flops += (long) r.iterations() * m * m;
        }
        float[] importance = heads.aggregate(perHead, c);
        float[] survivorScore = Arrays.copyOfRange(importance, c, m);
        int[] best = TopK.keepSorted(survivorScore, keep);
        int[] kept = new int[best.length];
        for (int i = 0; i < best.length; i++) {
            kept[i] = patchOf[best[i]];
        }
        Arrays.sort(kept);
        float[] scores = new float[n];
        for (int s = 0; s < survivors; s++) {
            scores[patchOf[s]] = survivorScore[s];
        }
        return new Result(kept, scores, flops);
    }
}
