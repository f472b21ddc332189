package io.glimpse.kernel;

/**
 * Resizes a [rows, cols, d] grid of tokens to [h, w, d]: bilinear (half-pixel centres, no
 * antialiasing, as PyTorch's {@code interpolate(mode="bilinear", align_corners=False)}) or
 * adaptive average pooling (PyTorch's {@code adaptive_avg_pool2d} windows). Each output token also
 * gets the source cell nearest its centre, so it can keep an original position.
 */
public final class GridResize {
    private GridResize() {
    }

    /** @param x [h*w, d]; @param nearest per output token, the source cell index r*cols+c */
    public record Result(float[] x, int[] nearest) {
    }

    public static Result bilinear(float[] src, int rows, int cols, int d, int h, int w) {
        float[] out = new float[h * w * d];
        int[] nearest = new int[h * w];
        for (int i = 0; i < h; i++) {
            double sy = Math.max(0, (i + 0.5) * rows / h - 0.5);
            int y0 = Math.min((int) Math.floor(sy), rows - 1);
            int y1 = Math.min(y0 + 1, rows - 1);
            double fy = sy - y0;
            for (int j = 0; j < w; j++) {
                double sx = Math.max(0, (j + 0.5) * cols / w - 0.5);
                int x0 = Math.min((int) Math.floor(sx), cols - 1);
                int x1 = Math.min(x0 + 1, cols - 1);
                double fx = sx - x0;
                int o = (i * w + j) * d;
                for (int k = 0; k < d; k++) {
                    double top = src[(y0 * cols + x0) * d + k] * (1 - fx) + src[(y0 * cols + x1) * d + k] * fx;
                    double bottom = src[(y1 * cols + x0) * d + k] * (1 - fx) + src[(y1 * cols + x1) * d + k] * fx;
                    out[o + k] = (float) (top * (1 - fy) + bottom * fy);
                }
                nearest[i * w + j] = centreCell(i, j, rows, cols, h, w);
            }
        }
        return new Result(out, nearest);
    }

    public static Result adaptiveAverage(float[] src, int rows, int cols, int d, int h, int w) {
        float[] out = new float[h * w * d];
        int[] nearest = new int[h * w];
        for (int i = 0; i < h; i++) {
            int r0 = (i * rows) / h;
            int r1 = ((i + 1) * rows + h - 1) / h;
            for (int j = 0; j < w; j++) {
                int c0 = (j * cols) / w;
                int c1 = ((j + 1) * cols + w - 1) / w;
                int o = (i * w + j) * d;
                for (int r = r0; r < r1; r++) {
                    for (int c = c0; c < c1; c++) {
                        for (int k = 0; k < d; k++) {
                            out[o + k] += src[(r * cols + c) * d + k];
                        }
                    }
                }
                float inv = 1f / ((r1 - r0) * (c1 - c0));
                for (int k = 0; k < d; k++) {
                    out[o + k] *= inv;
                }
                nearest[i * w + j] = centreCell(i, j, rows, cols, h, w);
            }
        }
        return new Result(out, nearest);
    }

    private static int centreCell(int i, int j, int rows, int cols, int h, int w) {
        int r = Math.min(rows - 1, (int) Math.floor((i + 0.5) * rows / h));
        int c = Math.min(cols - 1, (int) Math.floor((j + 0.5) * cols / w));
        return r * cols + c;
    }
}
