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
 */
public record TokenSet(FloatTensor embeddings, TokenKind kind, int[] origin, int span,
                       int gridH, int gridW, int pooledSide,
                       FloatTensor attention, FloatTensor keys,
                       TokenizationReport report, float[] scores) {

    public int count() {
        return embeddings.dim(0);
    }

    public int hidden() {
        return embeddings.dim(1);
    }

    /** Keeps the given rows (indices into this set), preserving origins; attention/keys dropped. */
    public TokenSet keep(int[] rows, float[] inputScores) {
        int[] kept = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            kept[i] = origin[rows[i]];
        }
        return new TokenSet(embeddings.selectRows(rows), kind, kept, span, gridH, gridW, pooledSide,
                null, null, report, inputScores);
    }
}
