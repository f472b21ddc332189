package io.glimpse.common.tokens;

import io.glimpse.common.tensor.FloatTensor;

/**
 * The visual tokens of one image as they travel tokenizer -> pruner -> runner.
 *
 * @param embeddings [n, hidden] in LM width
 * @param origin     per token, its index inside the unpruned span; the LM position is 1 + origin
 * @param span       length of the unpruned span; the text after the image starts at 1 + span
 * @param attention  optional [heads, n+1, n+1] ViT attention (row/column 0 = CLS), else null
 * @param keys       optional [heads, n+1, headDim] ViT keys, else null
 * @param scores     optional per-input-token importance written by the pruner, else null
 * @param tiles      how the span divides into tiles (Idefics3 image splitting), else null
 */
public record TokenSet(FloatTensor embeddings, TokenKind kind, int[] origin, int span,
                       int gridH, int gridW, int pooledSide,
                       FloatTensor attention, FloatTensor keys,
                       TokenizationReport report, float[] scores, Tiles tiles) {

    public TokenSet(FloatTensor embeddings, TokenKind kind, int[] origin, int span, int gridH, int gridW, int pooledSide,
                    FloatTensor attention, FloatTensor keys, TokenizationReport report, float[] scores) {
        this(embeddings, kind, origin, span, gridH, gridW, pooledSide, attention, keys, report, scores, null);
    }

    public int count() {
        return embeddings.dim(0);
    }

    public int hidden() {
        return embeddings.dim(1);
    }

    /**
     * Keeps the given rows (indices into this set), preserving origins. Attention and keys, when
     * present, are cut to CLS plus the kept rows so a later step can still read the graph.
     */
    public TokenSet keep(int[] rows, float[] inputScores) {
        FloatTensor att = null;
        FloatTensor k = null;
        if (attention != null) {
            int[] graphRows = new int[rows.length + 1];
            for (int i = 0; i < rows.length; i++) {
                graphRows[i + 1] = rows[i] + 1;
            }
            att = sliceSquare(attention, graphRows);
            k = keys == null ? null : sliceRows(keys, graphRows);
        }
        return new TokenSet(embeddings.selectRows(rows), kind, origins(rows), span, gridH, gridW, pooledSide,
                att, k, report, inputScores, tiles);
    }

    /**
     * Replaces the set by merged tokens: row i is {@code merged} row i and sits at the origin of
     * input row {@code rows[i]}. The attention graph no longer describes merged tokens and is dropped.
     */
    public TokenSet merge(int[] rows, FloatTensor merged, float[] inputScores) {
        return new TokenSet(merged, TokenKind.MERGED, origins(rows), span, gridH, gridW, pooledSide, null, null, report,
                inputScores, tiles);
    }

    public TokenSet withReport(TokenizationReport r) {
        return new TokenSet(embeddings, kind, origin, span, gridH, gridW, pooledSide, attention, keys, r, scores, tiles);
    }

    public TokenSet withScores(float[] inputScores) {
        return new TokenSet(embeddings, kind, origin, span, gridH, gridW, pooledSide, attention, keys, report,
                inputScores, tiles);
    }

    private int[] origins(int[] rows) {
        int[] kept = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            kept[i] = origin[rows[i]];
        }
        return kept;
    }

    private static FloatTensor sliceSquare(FloatTensor t, int[] idx) {
        int heads = t.dim(0);
        int n = t.dim(1);
        int m = idx.length;
        float[] out = new float[heads * m * m];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < m; i++) {
                int src = (h * n + idx[i]) * n;
                int dst = (h * m + i) * m;
                for (int j = 0; j < m; j++) {
                    out[dst + j] = t.data()[src + idx[j]];
                }
            }
        }
        return FloatTensor.of(out, heads, m, m);
    }

    private static FloatTensor sliceRows(FloatTensor t, int[] idx) {
        int heads = t.dim(0);
        int n = t.dim(1);
        int d = t.dim(2);
        float[] out = new float[heads * idx.length * d];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < idx.length; i++) {
                System.arraycopy(t.data(), (h * n + idx[i]) * d, out, (h * idx.length + i) * d, d);
            }
        }
        return FloatTensor.of(out, heads, idx.length, d);
    }
}
