package io.glimpse.pruner.kernel;

/**
 * One tile of a Gram matrix: the dots of up to {@link #ROWS} consecutive rows of a row-major
 * [n, d] matrix with {@code width} consecutive tokens of a column block ({@code d} rows of
 * {@code block} floats, the block's tokens transposed). Every dot is a chain of fused multiply-adds
 * over the dimensions in order, so each implementation gives the same bits.
 */
interface GramTile {
    int ROWS = 6;

    /** Columns per tile; divides every block size the caller uses. */
    int width();

    /** {@code out[r * width() + q] = sum_k x[(i0 + r) d + k] * cols[k block + t + q]} for r < rows. */
    void dots(float[] x, int d, int i0, int rows, float[] cols, int block, int t, float[] out);

    /** The Vector API's tile when this JVM was started with {@code --add-modules jdk.incubator.vector}, else the scalar one. */
    static GramTile best(int block) {
        if (VectorApi.AVAILABLE) {
            GramTile v = VectorGramTile.create();
            if (block % v.width() == 0) {
                return v;
            }
        }
        return new ScalarGramTile();
    }

    /** The scalar form: whole-row fma axpys, which HotSpot vectorises without the Vector API. */
    final class ScalarGramTile implements GramTile {
        static final int WIDTH = 32;
        private final float[] acc = new float[WIDTH];

        @Override
        public int width() {
            return WIDTH;
        }

        @Override
        public void dots(float[] x, int d, int i0, int rows, float[] cols, int block, int t, float[] out) {
            for (int r = 0; r < rows; r++) {
                java.util.Arrays.fill(acc, 0f);
                int xo = (i0 + r) * d;
                for (int k = 0; k < d; k++) {
                    float a = x[xo + k];
                    int c = k * block + t;
                    for (int q = 0; q < WIDTH; q++) {
                        acc[q] = Math.fma(a, cols[c + q], acc[q]);
                    }
                }
                System.arraycopy(acc, 0, out, r * WIDTH, WIDTH);
            }
        }
    }
}
