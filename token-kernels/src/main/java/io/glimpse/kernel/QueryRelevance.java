package io.glimpse.kernel;

/**
 * QuoTA's similarity relevance: a unit of visual tokens (a region, a tile, a frame) is as relevant as its
 * token closest in cosine to the question's words. The pruner scores QuoTA's units with it; the
 * image-tokenizer scores a tiled image's tiles from the global image's tokens before encoding them.
 */
public final class QueryRelevance {
    private QueryRelevance() {
    }

    /** The unit vector of the question: its word embeddings [words, h] summed. */
    public static float[] queryVector(float[] words, int h) {
        float[] q = new float[h];
        for (int i = 0; i < words.length; i++) {
            q[i % h] += words[i];
        }
        return Rows.normalized(q, 1, h);
    }

    /** The best cosine between {@code rows} of {@code x} [n, h] and the unit {@code query}, mapped to [0, 1]. */
    public static float of(float[] x, int h, int[] rows, float[] query) {
        float best = -1f;
        float[] one = new float[h];
        for (int r : rows) {
            System.arraycopy(x, r * h, one, 0, h);
            best = Math.max(best, Rows.dot(Rows.normalized(one, 1, h), 0, query, 0, h));
        }
        return (best + 1f) / 2f;
    }
}
