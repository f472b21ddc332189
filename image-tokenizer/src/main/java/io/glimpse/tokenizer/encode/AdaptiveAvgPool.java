package io.glimpse.tokenizer.encode;

import io.glimpse.common.tensor.FloatTensor;

/**
 * TokenFLEX pooling: adaptive average pooling of a [gh*gw, H] row-major grid to [n*n, H], with
 * the bins of PyTorch's AdaptiveAvgPool2d (start = floor(i*in/out), end = ceil((i+1)*in/out)),
 * which is how the default model was trained.
 */
public final class AdaptiveAvgPool {
    private AdaptiveAvgPool() {
    }

    public static FloatTensor pool(FloatTensor grid, int gh, int gw, int n) {
        int h = grid.dim(1);
        float[] in = grid.data();
        float[] out = new float[n * n * h];
        for (int oy = 0; oy < n; oy++) {
            int y0 = Math.floorDiv(oy * gh, n);
            int y1 = -Math.floorDiv(-(oy + 1) * gh, n);
            for (int ox = 0; ox < n; ox++) {
                int x0 = Math.floorDiv(ox * gw, n);
                int x1 = -Math.floorDiv(-(ox + 1) * gw, n);
                int o = (oy * n + ox) * h;
                for (int y = y0; y < y1; y++) {
                    for (int x = x0; x < x1; x++) {
                        int i = (y * gw + x) * h;
                        for (int c = 0; c < h; c++) {
                            out[o + c] += in[i + c];
                        }
                    }
                }
                float inv = 1f / ((y1 - y0) * (x1 - x0));
                for (int c = 0; c < h; c++) {
                    out[o + c] *= inv;
                }
            }
        }
        return FloatTensor.of(out, n * n, h);
    }
}
