package io.glimpse.tokenizer.image;

import io.glimpse.model.bundle.Idefics3Spec;

/**
 * One image as Idefics3ImageProcessor prepares it: the longest edge resized to
 * {@code size.longest_edge}, both sides then resized up to multiples of the tile size, cut into
 * {@code rows x cols} tiles (row-major), plus the whole image resized to one tile — the global
 * image, last. Every resize is Pillow's ({@link PilResampler}); pixels are rescaled and normalised
 * in float32 as numpy does. An image no larger than a tile is not split (rows = cols = 0) and is
 * sent as it is, padded to a tile with its pixel mask saying which pixels are real.
 *
 * @param pixels [count, 3, tile, tile] channel-first, zero where padded
 * @param mask   [count, tile, tile], true where a pixel is real
 */
public record Idefics3Tiles(float[] pixels, boolean[] mask, int count, int rows, int cols, int tile) {
    public static Idefics3Tiles of(byte[] rgb, int width, int height, Idefics3Spec s) {
        PilResampler.Filter filter = PilResampler.Filter.ofPilCode(s.resample());
        byte[] a = rgb;
        int w = width;
        int h = height;
        if (s.doResize()) {
            int[] size = longestEdge(h, w, s.longestEdge());
            a = PilResampler.resize(a, w, h, size[1], size[0], filter);
            h = size[0];
            w = size[1];
        }
        int tile = s.tileSize();
        if (!s.doImageSplitting() || (h <= tile && w <= tile)) {
            if (h > tile || w > tile) {   // no splitting: the encoder still takes at most one tile
                int[] size = longestEdge(h, w, tile);
                a = PilResampler.resize(a, w, h, size[1], size[0], filter);
                h = size[0];
                w = size[1];
            }
            Idefics3Tiles t = new Idefics3Tiles(new float[3 * tile * tile], new boolean[tile * tile], 1, 0, 0, tile);
            t.put(0, a, w, 0, 0, w, h, s);
            return t;
        }
        int[] multiple = multiplesOf(h, w, tile);
        a = PilResampler.resize(a, w, h, multiple[1], multiple[0], filter);
        h = multiple[0];
        w = multiple[1];
        int rows = (int) Math.ceil((double) h / tile);
        int cols = (int) Math.ceil((double) w / tile);
        int th = (int) Math.ceil((double) h / rows);
        int tw = (int) Math.ceil((double) w / cols);
        Idefics3Tiles t = new Idefics3Tiles(new float[(rows * cols + 1) * 3 * tile * tile],
                new boolean[(rows * cols + 1) * tile * tile], rows * cols + 1, rows, cols, tile);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int x0 = c * tw;
                int y0 = r * th;
                t.put(r * cols + c, a, w, x0, y0, Math.min(x0 + tw, w) - x0, Math.min(y0 + th, h) - y0, s);
            }
        }
        byte[] global = h == tile && w == tile ? a : PilResampler.resize(a, w, h, tile, tile, filter);
        t.put(rows * cols, global, tile, 0, 0, tile, tile, s);
        return t;
    }

    /** Writes a crop of {@code rgb} (row width {@code stride}) as tile {@code index}, top-left aligned. */
    private void put(int index, byte[] rgb, int stride, int x0, int y0, int cw, int ch, Idefics3Spec s) {
        int plane = tile * tile;
        int base = index * 3 * plane;
        for (int y = 0; y < ch; y++) {
            for (int x = 0; x < cw; x++) {
                int p = ((y0 + y) * stride + x0 + x) * 3;
                for (int c = 0; c < 3; c++) {
                    float v = rgb[p + c] & 0xFF;
                    if (s.doRescale()) {
                        v = (float) ((double) v * s.rescaleFactor());   // numpy: float64 product, then float32
                    }
                    if (s.doNormalize()) {
                        v = (v - s.mean()[c]) / s.std()[c];
                    }
                    pixels[base + c * plane + y * tile + x] = v;
                }
                mask[index * plane + y * tile + x] = true;
            }
        }
    }

    /** transformers' _resize_output_size_rescale_to_max_len, then _scale_below_upper_bound. */
    static int[] longestEdge(int h, int w, int longest) {
        double aspect = (double) w / h;
        if (w >= h) {
            w = longest;
            h = (int) (w / aspect);
            if (h % 2 != 0) {
                h++;
            }
        } else {
            h = longest;
            w = (int) (h * aspect);
            if (w % 2 != 0) {
                w++;
            }
        }
        h = Math.max(h, 1);
        w = Math.max(w, 1);
        aspect = (double) w / h;
        if (w >= h && w > Idefics3Spec.MAX_LONGEST_EDGE) {
            w = Idefics3Spec.MAX_LONGEST_EDGE;
            h = (int) (w / aspect);
        } else if (h > w && h > Idefics3Spec.MAX_LONGEST_EDGE) {
            h = Idefics3Spec.MAX_LONGEST_EDGE;
            w = (int) (h * aspect);
        }
        return new int[]{Math.max(h, 1), Math.max(w, 1)};
    }

    /** Idefics3ImageProcessor.resize_for_vision_encoder: both sides up to multiples of the tile. */
    static int[] multiplesOf(int h, int w, int tile) {
        double aspect = (double) w / h;
        if (w >= h) {
            w = (int) Math.ceil((double) w / tile) * tile;
            h = (int) (w / aspect);
            h = (int) Math.ceil((double) h / tile) * tile;
        } else {
            h = (int) Math.ceil((double) h / tile) * tile;
            w = (int) (h * aspect);
            w = (int) Math.ceil((double) w / tile) * tile;
        }
        return new int[]{h, w};
    }
}
