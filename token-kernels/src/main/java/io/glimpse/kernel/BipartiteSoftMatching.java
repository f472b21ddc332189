package io.glimpse.kernel;

import io.glimpse.common.cancel.Cancellation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * ToMe's bipartite soft matching, repeated until {@code keep} tokens remain: alternate tokens form
 * sets A (even) and B (odd); each a picks its most similar b (cosine of the metric); the r most
 * similar edges merge a into b by size-weighted average. r is at most |B| per round, and each round
 * orders the tokens as the official implementation does (unmerged A by score, then B).
 */
public final class BipartiteSoftMatching {
    private BipartiteSoftMatching() {
    }

    /**
     * @param rows   representative input row of each output token (the b it merged into), ascending
     * @param x      merged embeddings [rows.length, d]
     * @param sizes  input tokens merged into each output token
     * @param group  for every input token, the output token (index into rows) it ended in
     * @param flops  multiply-adds spent on similarities and merges
     */
    public record Result(int[] rows, float[] x, float[] sizes, int[] group, long flops) {
    }

    public static Result merge(float[] x, int n, int d, float[] metric, int dm, int keep) {
        return merge(x, n, d, metric, dm, keep, null, false);
    }

    /**
     * @param initialSizes how many patches each input token already stands for (a later round of an encoder
     *                     that merges between its blocks), or null for one each
     * @param classToken   input token 0 is a ViT's CLS: it takes part in the alternation (the first A token) but
     *                     never merges, and each round keeps A's unmerged tokens in their order so that CLS stays
     *                     first (ToMe's {@code class_token=True}); {@code keep} then counts CLS too
     */
    public static Result merge(float[] x, int n, int d, float[] metric, int dm, int keep, float[] initialSizes,
                               boolean classToken) {
        List<Token> tokens = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            tokens.add(new Token(i, Arrays.copyOfRange(x, i * d, (i + 1) * d),
                    Arrays.copyOfRange(metric, i * dm, (i + 1) * dm), initialSizes == null ? 1f : initialSizes[i]));
        }
        int[] owner = new int[n];          // input token -> representative input row
        for (int i = 0; i < n; i++) {
            owner[i] = i;
        }
        long flops = 0;
        while (tokens.size() > keep) {
            Cancellation.checkpoint();
            int m = tokens.size();
            int na = (m + 1) / 2;
            int nb = m / 2;
            int r = Math.min(m - keep, classToken ? Math.min(nb, na - 1) : nb);
            if (r <= 0) {
                break;
            }
            float[] unitA = new float[na * dm];
            float[] unitB = new float[nb * dm];
            for (int i = 0; i < m; i++) {
                float[] u = Rows.normalized(tokens.get(i).metric, 1, dm);
                System.arraycopy(u, 0, i % 2 == 0 ? unitA : unitB, (i / 2) * dm, dm);
            }
            float[][] bCols = Rows.columns(unitB, nb, dm);
            float[] sims = new float[nb];
            float[] best = new float[na];
            int[] bestB = new int[na];
            for (int a = 0; a < na; a++) {
                Rows.dotsWith(bCols, unitA, a * dm, sims);
                float bv = Float.NEGATIVE_INFINITY;
                int bi = -1;
                for (int b = 0; b < nb; b++) {
                    if (sims[b] > bv) {
                        bv = sims[b];
                        bi = b;
                    }
                }
                best[a] = bv;
                bestB[a] = bi;
            }
            if (classToken) {
                best[0] = Float.NEGATIVE_INFINITY;   // CLS is A's first token and never merges
            }
            flops += (long) na * nb * dm;
            int[] order = TopK.order(best);
            for (int e = 0; e < r; e++) {
                int a = order[e];
                Token src = tokens.get(2 * a);
                Token dst = tokens.get(2 * bestB[a] + 1);
                dst.absorb(src);
                flops += (long) (d + dm) * 2;
                for (int i = 0; i < n; i++) {
                    if (owner[i] == src.row) {
                        owner[i] = dst.row;
                    }
                }
            }
            // the official loop's order for the next round: A's unmerged tokens by descending edge
            // score, then all of B in its order (torch.cat([unm, dst])); with an odd count the
            // even/odd split of the next round depends on it
            List<Token> next = new ArrayList<>(m - r);
            int[] unmerged = Arrays.copyOfRange(order, r, na);
            if (classToken) {
                Arrays.sort(unmerged);   // ToMe sorts the unmerged by index so the class token stays at the start
            }
            for (int a : unmerged) {
                next.add(tokens.get(2 * a));
            }
            for (int b = 0; b < nb; b++) {
                next.add(tokens.get(2 * b + 1));
            }
            tokens = next;
        }
        tokens.sort((p, q) -> Integer.compare(p.row, q.row));
        int k = tokens.size();
        int[] rows = new int[k];
        float[] out = new float[k * d];
        float[] sizes = new float[k];
        int[] index = new int[n];
        Arrays.fill(index, -1);
        for (int t = 0; t < k; t++) {
            Token tok = tokens.get(t);
            rows[t] = tok.row;
            System.arraycopy(tok.x, 0, out, t * d, d);
            sizes[t] = tok.size;
            index[tok.row] = t;
        }
        int[] group = new int[n];
        for (int i = 0; i < n; i++) {
            group[i] = index[owner[i]];
        }
        return new Result(rows, out, sizes, group, flops);
    }

    private static final class Token {
        final int row;
        final float[] x;
        final float[] metric;
        float size;

        Token(int row, float[] x, float[] metric, float size) {
            this.row = row;
            this.x = x;
            this.metric = metric;
            this.size = size;
        }

        void absorb(Token o) {
            float total = size + o.size;
            for (int j = 0; j < x.length; j++) {
                x[j] = (x[j] * size + o.x[j] * o.size) / total;
            }
            for (int j = 0; j < metric.length; j++) {
                metric[j] = (metric[j] * size + o.metric[j] * o.size) / total;
            }
            size = total;
        }
    }
}
