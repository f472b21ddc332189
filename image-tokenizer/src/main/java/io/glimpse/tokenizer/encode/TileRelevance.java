package io.glimpse.tokenizer.encode;

import io.glimpse.common.error.GlimpseException;
import io.glimpse.kernel.QueryRelevance;
import io.glimpse.lm.TextTokenizer;
import io.glimpse.lm.TokenEmbeddings;
import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.model.onnx.OrtSessionFactory;

/**
 * How relevant each tile of a tiled image is to the question, read before any tile is encoded: the global
 * image's tokens (the whole image at one tile's size, already in the language model's width) over the
 * tile's region, scored by QuoTA's similarity relevance against the question's word embeddings.
 */
final class TileRelevance implements AutoCloseable {
    private static final String FEATURE = "max_tiles (choosing tiles by the question)";
    private final TextTokenizer words;
    private final TokenEmbeddings embeddings;

    TileRelevance(ModelBundle bundle, OrtSessionFactory sessions) {
        this.words = new TextTokenizer(bundle.require(ModelBundle.TOKENIZER, FEATURE));
        this.embeddings = new TokenEmbeddings(bundle, sessions, FEATURE);
    }

    /**
     * @param global the global image's tokens [side * side, h], row-major over the image
     * @return per tile of the {@code rows x cols} split (row-major), its relevance in [0, 1]
     */
    float[] tiles(float[] global, int side, int h, int rows, int cols, String question) {
        long[] ids = words.encode(question.trim());
        if (ids.length == 0) {
            throw GlimpseException.invalid("max_tiles needs the question's words; the question is empty");
        }
        float[] q = QueryRelevance.queryVector(embeddings.embed(ids), h);
        float[] score = new float[rows * cols];
        for (int tr = 0; tr < rows; tr++) {
            for (int tc = 0; tc < cols; tc++) {
                score[tr * cols + tc] = QueryRelevance.of(global, h, region(side, rows, cols, tr, tc), q);
            }
        }
        return score;
    }

    /** The global image's tokens inside tile (tr, tc): every token whose cell overlaps the tile, at least one. */
    static int[] region(int side, int rows, int cols, int tr, int tc) {
        int r0 = tr * side / rows;
        int r1 = Math.max(r0 + 1, -Math.floorDiv(-(tr + 1) * side, rows));
        int c0 = tc * side / cols;
        int c1 = Math.max(c0 + 1, -Math.floorDiv(-(tc + 1) * side, cols));
        int[] out = new int[(r1 - r0) * (c1 - c0)];
        int k = 0;
        for (int r = r0; r < r1; r++) {
            for (int c = c0; c < c1; c++) {
                out[k++] = r * side + c;
            }
        }
        return out;
    }

    @Override
    public void close() throws Exception {
        embeddings.close();
        words.close();
    }
}
