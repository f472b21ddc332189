package io.glimpse.kernel;

import io.glimpse.common.tokens.TokenSet;

/**
 * The token graph attention-based methods read: the ViT attention the tokenizer forwarded
 * ({@code heads} x (CLS + n)^2, CLS first) and the head-mean keys of the patch tokens; or, when a
 * set carries no attention (pooled, register or merged tokens), a documented fallback built from
 * the tokens themselves: one head {@code softmax(x_i . x_j / sqrt(d))}, no CLS, keys = embeddings.
 */
public record AttentionGraph(float[] attention, int heads, int size, int cls, float[] keys, int keyDim, long flops) {

    public int patches() {
        return size - cls;
    }

    /** Similarity metric rows [n, dim]: the head-mean ViT keys, or the embeddings when the set has no keys. */
    public record KeyMetric(float[] rows, int dim) {
        public static KeyMetric of(TokenSet t) {
            return t.keys() != null
                    ? new KeyMetric(Rows.meanOverHeads(t.keys(), 1), t.keys().dim(2))
                    : new KeyMetric(t.embeddings().data(), t.hidden());
        }
    }

    public static AttentionGraph of(TokenSet t) {
        if (t.attention() != null) {
            var a = t.attention();
            KeyMetric k = KeyMetric.of(t);
            // rows as forwarded: every reader normalises the rows it uses (a set an earlier step pruned carries
            // its attention cut to the surviving rows and columns), so the graph is never copied whole
            return new AttentionGraph(a.data(), a.dim(0), a.dim(1), 1, k.rows(), k.dim(), 0L);
        }
        int n = t.count();
        int d = t.hidden();
        float[] x = t.embeddings().data();
        float[] a = new float[n * n];
        double scale = 1.0 / Math.sqrt(d);
        for (int i = 0; i < n; i++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                a[i * n + j] = (float) (Rows.dot(x, i * d, x, j * d, d) * scale);
                max = Math.max(max, a[i * n + j]);
            }
            double sum = 0;
            for (int j = 0; j < n; j++) {
                a[i * n + j] = (float) Math.exp(a[i * n + j] - max);
                sum += a[i * n + j];
            }
            for (int j = 0; j < n; j++) {
                a[i * n + j] /= (float) sum;
            }
        }
        return new AttentionGraph(a, 1, n, 0, x, d, (long) n * n * d);
    }

    /**
     * The graph as if only each row's {@code m} largest entries had been forwarded (the compact
     * form a tokenizer could send), rows renormalised; ties keep the lower column.
     */
    public AttentionGraph topPerRow(int m) {
        if (m <= 0 || m >= size) {
            return this;
        }
        float[] out = new float[attention.length];
        float[] row = new float[size];
        for (int r = 0; r < heads * size; r++) {
            System.arraycopy(attention, r * size, row, 0, size);
            int[] top = TopK.keepSorted(row, m);
            double sum = 0;
            for (int j : top) {
                sum += row[j];
            }
            for (int j : top) {
                out[r * size + j] = (float) (row[j] / sum);
            }
        }
        return new AttentionGraph(out, heads, size, cls, keys, keyDim, flops);
    }

    /**
     * Head {@code h}'s attention restricted to {@code nodes} (graph indices, ascending), rows renormalised,
     * written into {@code into} ([nodes][nodes], reused across heads).
     */
    public float[][] restricted(int h, int[] nodes, float[][] into) {
        int m = nodes.length;
        int base = h * size * size;
        for (int i = 0; i < m; i++) {
            float[] r = into[i];
            int from = base + nodes[i] * size;
            for (int j = 0; j < m; j++) {
                r[j] = attention[from + nodes[j]];
            }
            float sum = Rows.sum(r, m);
            if (sum > 0) {
                Rows.scale(r, m, 1f / sum);
            }
        }
        return into;
    }

    /** Head-mean attention the CLS row gives each patch (VisionZip's dominance), or the mean attention a token receives without CLS. */
    public float[] clsAttention() {
        int n = patches();
        float[] out = new float[n];
        for (int h = 0; h < heads; h++) {
            int base = h * size * size;
            if (cls == 1) {
                double sum = 0;
                for (int j = 0; j < size; j++) {
                    sum += attention[base + j];
                }
                float inv = sum > 0 ? (float) (1.0 / sum) : 0f;
                for (int j = 0; j < n; j++) {
                    out[j] += attention[base + 1 + j] * inv;
                }
            } else {
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        out[j] += attention[base + i * size + j] / n;
                    }
                }
            }
        }
        for (int j = 0; j < n; j++) {
            out[j] /= heads;
        }
        return out;
    }
}
