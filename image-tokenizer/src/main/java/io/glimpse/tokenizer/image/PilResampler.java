package io.glimpse.tokenizer.image;

/**
 * Resizes 8-bit RGB pixels exactly as Pillow's {@code Image.resize} does (libImaging/Resample.c):
 * a separable convolution whose kernel widens with the downscale factor (so shrinking is
 * antialiased, unlike OpenCV's fixed 8-tap Lanczos), coefficients in 22-bit fixed point, a
 * horizontal pass over the rows the vertical pass needs, rounding to 8 bits in between. Processors
 * written against PIL (Idefics3's, CLIP's) are only reproduced bit-for-bit this way.
 */
public final class PilResampler {
    /** Pillow's resampling filters with their support radius. */
    public enum Filter {
        NEAREST(0.0), LANCZOS(3.0), BILINEAR(1.0), BICUBIC(2.0), BOX(0.5), HAMMING(1.0);

        final double support;

        Filter(double support) {
            this.support = support;
        }

        /** PIL's integer codes, as preprocessor_config.json's {@code resample} carries them. */
        public static Filter ofPilCode(int code) {
            return switch (code) {
                case 0 -> NEAREST;
                case 1 -> LANCZOS;
                case 2 -> BILINEAR;
                case 3 -> BICUBIC;
                case 4 -> BOX;
                case 5 -> HAMMING;
                default -> throw new IllegalArgumentException("unknown PIL resample code " + code);
            };
        }

        double weight(double x) {
            return switch (this) {
                case LANCZOS -> -3.0 <= x && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0;
                case BILINEAR -> {
                    double a = Math.abs(x);
                    yield a < 1.0 ? 1.0 - a : 0.0;
                }
                case BICUBIC -> {
                    double a = Math.abs(x);
                    double c = -0.5;
                    yield a < 1.0 ? ((c + 2.0) * a - (c + 3.0)) * a * a + 1
                            : a < 2.0 ? (((a - 5) * a + 8) * a - 4) * c : 0.0;
                }
                case BOX -> -0.5 <= x && x < 0.5 ? 1.0 : 0.0;
                case HAMMING -> {
                    double a = Math.abs(x);
                    // Pillow writes these constants as C floats
                    yield a == 0.0 ? 1.0 : a >= 1.0 ? 0.0
                            : Math.sin(a * Math.PI) / (a * Math.PI) * ((double) 0.54f + (double) 0.46f * Math.cos(a * Math.PI));
                }
                case NEAREST -> throw new IllegalStateException("NEAREST is not a convolution");
            };
        }

        private static double sinc(double x) {
            if (x == 0.0) {
                return 1.0;
            }
            x = x * Math.PI;
            return Math.sin(x) / x;
        }
    }

    private static final int PRECISION_BITS = 32 - 8 - 2;

    private PilResampler() {
    }

    /**
     * @param rgb interleaved RGB rows, {@code width * height * 3} bytes
     * @return the resized image, {@code outW * outH * 3} bytes
     */
    public static byte[] resize(byte[] rgb, int width, int height, int outW, int outH, Filter filter) {
        if (outW == width && outH == height) {
            return rgb.clone();
        }
        if (filter == Filter.NEAREST) {
            return nearest(rgb, width, height, outW, outH);
        }
        Coefficients horiz = Coefficients.of(width, outW, filter);
        Coefficients vert = Coefficients.of(height, outH, filter);
        boolean needHorizontal = outW != width;
        boolean needVertical = outH != height;
        byte[] src = rgb;
        int rowOffset = 0;
        if (needHorizontal) {
            // only the rows the vertical pass reads
            int first = vert.min[0];
            int last = vert.min[outH - 1] + vert.count[outH - 1];
            if (!needVertical) {
                first = 0;
                last = height;
            }
            byte[] tmp = new byte[outW * (last - first) * 3];
            for (int y = 0; y < last - first; y++) {
                int in = (y + first) * width * 3;
                int out = y * outW * 3;
                for (int x = 0; x < outW; x++) {
                    int min = horiz.min[x];
                    int n = horiz.count[x];
                    int k0 = x * horiz.size;
                    int s0 = 1 << (PRECISION_BITS - 1);
                    int s1 = s0;
                    int s2 = s0;
                    for (int i = 0; i < n; i++) {
                        int k = horiz.fixed[k0 + i];
                        int p = in + (min + i) * 3;
                        s0 += (rgb[p] & 0xFF) * k;
                        s1 += (rgb[p + 1] & 0xFF) * k;
                        s2 += (rgb[p + 2] & 0xFF) * k;
                    }
                    tmp[out + x * 3] = clip8(s0);
                    tmp[out + x * 3 + 1] = clip8(s1);
                    tmp[out + x * 3 + 2] = clip8(s2);
                }
            }
            src = tmp;
            rowOffset = first;
        }
        if (!needVertical) {
            return src;
        }
        int w = needHorizontal ? outW : width;
        byte[] out = new byte[w * outH * 3];
        for (int y = 0; y < outH; y++) {
            int min = vert.min[y] - rowOffset;
            int n = vert.count[y];
            int k0 = y * vert.size;
            for (int x = 0; x < w; x++) {
                int s0 = 1 << (PRECISION_BITS - 1);
                int s1 = s0;
                int s2 = s0;
                for (int i = 0; i < n; i++) {
                    int k = vert.fixed[k0 + i];
                    int p = ((min + i) * w + x) * 3;
                    s0 += (src[p] & 0xFF) * k;
                    s1 += (src[p + 1] & 0xFF) * k;
                    s2 += (src[p + 2] & 0xFF) * k;
                }
                int o = (y * w + x) * 3;
                out[o] = clip8(s0);
                out[o + 1] = clip8(s1);
                out[o + 2] = clip8(s2);
            }
        }
        return out;
    }

    private static byte clip8(int v) {
        int s = v >> PRECISION_BITS;
        return (byte) (s < 0 ? 0 : Math.min(s, 255));
    }

    /** Pillow's NEAREST: the source pixel under each output pixel's centre. */
    private static byte[] nearest(byte[] rgb, int width, int height, int outW, int outH) {
        byte[] out = new byte[outW * outH * 3];
        double sx = (double) width / outW;
        double sy = (double) height / outH;
        for (int y = 0; y < outH; y++) {
            int yy = Math.min(height - 1, (int) ((y + 0.5) * sy));
            for (int x = 0; x < outW; x++) {
                int xx = Math.min(width - 1, (int) ((x + 0.5) * sx));
                System.arraycopy(rgb, (yy * width + xx) * 3, out, (y * outW + x) * 3, 3);
            }
        }
        return out;
    }

    /** Per output pixel: the first input pixel, how many it reads, and their fixed-point weights. */
    private record Coefficients(int size, int[] min, int[] count, int[] fixed) {
        static Coefficients of(int inSize, int outSize, Filter filter) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = filter.support * filterScale;
            int size = (int) Math.ceil(support) * 2 + 1;
            int[] min = new int[outSize];
            int[] count = new int[outSize];
            int[] fixed = new int[outSize * size];
            double[] k = new double[size];
            for (int xx = 0; xx < outSize; xx++) {
                double center = (xx + 0.5) * scale;
                double ss = 1.0 / filterScale;
                int xmin = Math.max((int) (center - support + 0.5), 0);
                int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
                double ww = 0.0;
                for (int x = 0; x < xmax; x++) {
                    double w = filter.weight((x + xmin - center + 0.5) * ss);
                    k[x] = w;
                    ww += w;
                }
                for (int x = 0; x < xmax; x++) {
                    double v = ww != 0.0 ? k[x] / ww : k[x];
                    fixed[xx * size + x] = (int) (v < 0 ? -0.5 + v * (1 << PRECISION_BITS) : 0.5 + v * (1 << PRECISION_BITS));
                }
                min[xx] = xmin;
                count[xx] = xmax;
            }
            return new Coefficients(size, min, count, fixed);
        }
    }
}
