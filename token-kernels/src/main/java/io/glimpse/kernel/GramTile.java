package io.glimpse.kernel;

/**
 * Tiles of a Gram matrix over one column block at a time: {@link #load} takes a block of tokens
 * (transposed, in the layout the implementation computes fastest from), then {@link #dots} gives the
 * dots of up to {@link #ROWS} consecutive rows of the row-major [n, d] matrix with {@link #width()}
 * consecutive tokens of the block. Every dot is a chain of fused multiply-adds over the dimensions
 * in order, so each implementation gives the same bits.
 */
interface GramTile {
    int ROWS = 6;

    /** Columns per tile; divides the block size. */
    int width();

    /** Tokens {@code from..end} of {@code x} ([n, d]) become the block (zero past {@code end}). */
    void load(float[] x, int from, int end);

    /** {@code out[r * width() + q] = sum_k x[(i0 + r) d + k] * x[(from + t + q) d + k]} for r < rows. */
    void dots(float[] x, int i0, int rows, int t, float[] out);

    /** The Vector API's tile when this JVM was started with {@code --add-modules jdk.incubator.vector}, else the scalar one. */
    static GramTile best(int block, int d) {
        if (VectorApi.AVAILABLE && block % VectorGramTile.tileWidth() == 0) {
            return new VectorGramTile(block, d);
        }
        return new ScalarGramTile(block, d);
    }

    /**
     * The scalar form: a whole block's columns per row, as fma axpys over whole arrays — the loop
     * shape HotSpot vectorises without the Vector API (at an offset into another array it does not,
     * as the two might overlap).
     */
    final class ScalarGramTile implements GramTile {
        private final int d;
        private final float[][] cols;
        private final float[] acc;

        ScalarGramTile(int block, int d) {
            this.d = d;
            this.cols = new float[d][block];
            this.acc = new float[block];
        }

        @Override
        public int width() {
            return acc.length;
        }

        @Override
        public void load(float[] x, int from, int end) {
            for (float[] c : cols) {
                java.util.Arrays.fill(c, 0f);
            }
            for (int j = from; j < end; j++) {
                for (int k = 0; k < d; k++) {
                    cols[k][j - from] = x[j * d + k];
                }
            }
        }

        @Override
        public void dots(float[] x, int i0, int rows, int t, float[] out) {
            float[] y = acc;
            for (int r = 0; r < rows; r++) {
                java.util.Arrays.fill(y, 0f);
                int xo = (i0 + r) * d;
                for (int k = 0; k < d; k++) {
                    float a = x[xo + k];
                    float[] c = cols[k];
                    for (int q = 0; q < y.length; q++) {
                        y[q] = Math.fma(a, c[q], y[q]);
                    }
                }
                System.arraycopy(y, 0, out, r * y.length, y.length);
            }
        }
    }
}
