package io.glimpse.tokenizer.image;

import io.glimpse.common.error.GlimpseException;
import nu.pattern.OpenCV;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

/**
 * Decodes JPEG/PNG/BMP/WebP with OpenCV after checking the header against the limits. A JPEG much
 * larger than the model's input is decoded at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling): the
 * model looks at a few hundred pixels a side, and the full-size pixels would only cost memory.
 * EXIF orientation is honoured, as phones expect.
 */
public final class ImageDecoder {
    static {
        OpenCV.loadLocally();
    }

    private static final int[][] REDUCED = {
            {8, Imgcodecs.IMREAD_REDUCED_COLOR_8}, {4, Imgcodecs.IMREAD_REDUCED_COLOR_4}, {2, Imgcodecs.IMREAD_REDUCED_COLOR_2}};

    private final ImageLimits limits;

    public ImageDecoder(ImageLimits limits) {
        this.limits = limits;
    }

    /** Makes sure the OpenCV natives are loaded (call at start-up so the first request pays nothing). */
    public static String openCvVersion() {
        return org.opencv.core.Core.VERSION;
    }

    /** The header, checked against the per-image limits; nothing is decoded. */
    public ImageHeader header(byte[] bytes, String what) {
        if (bytes.length > limits.maxBytes()) {
            throw GlimpseException.invalid(what + " is " + bytes.length + " bytes; the limit is " + limits.maxBytes());
        }
        ImageHeader header;
        try {
            header = ImageHeader.read(bytes);
        } catch (GlimpseException e) {
            throw GlimpseException.invalid(what + ": " + e.getMessage());
        }
        if (header.pixels() > limits.maxPixels()) {
            throw GlimpseException.invalid(what + ": " + header.width() + "x" + header.height() + " = " + header.pixels()
                    + " pixels exceeds the limit of " + limits.maxPixels() + " pixels per image; downscale it first");
        }
        if (header.width() < limits.minSide() || header.height() < limits.minSide()) {
            throw GlimpseException.invalid(what + ": " + header.width() + "x" + header.height()
                    + " is smaller than the minimum side of " + limits.minSide() + " pixels");
        }
        if (header.truncated()) {
            throw GlimpseException.invalid(what + ": " + header.format() + " is truncated (its end marker is missing)");
        }
        return header;
    }

    /**
     * The decode-time reduction for an image that only needs {@code minW x minH} pixels: the
     * largest of 8, 4, 2 that keeps both sides at least that large (JPEG only), else 1.
     */
    public static int reduction(ImageHeader h, int minW, int minH) {
        if (h.format() != ImageFormat.JPEG) {
            return 1;
        }
        int shortSide = Math.min(h.width(), h.height());
        int need = Math.max(minW, minH);
        for (int[] r : REDUCED) {
            if (shortSide / r[0] >= need) {
                return r[0];
            }
        }
        return 1;
    }

    /**
     * Every image's header, read and checked before any pixel is decoded, and the request's total
     * of decoded pixels (at the reduction each image gets for a {@code minW x minH} consumer)
     * against {@code maxRequestPixels}.
     */
    public ImageHeader[] requestHeaders(java.util.List<java.util.function.Supplier<byte[]>> images, int minW, int minH,
                                        long maxRequestPixels) {
        long requestPixels = 0;
        ImageHeader[] headers = new ImageHeader[images.size()];
        for (int i = 0; i < images.size(); i++) {
            headers[i] = header(images.get(i).get(), "images[" + i + "]");
            requestPixels += decodedPixels(headers[i], reduction(headers[i], minW, minH));
        }
        if (requestPixels > maxRequestPixels) {
            throw GlimpseException.invalid("images decode to " + requestPixels + " pixels in all; the limit per request is "
                    + maxRequestPixels + " (send fewer or smaller images)");
        }
        return headers;
    }

    /** Pixels the decoder allocates for this image at that reduction. */
    public static long decodedPixels(ImageHeader h, int reduction) {
        return (long) ceilDiv(h.width(), reduction) * ceilDiv(h.height(), reduction);
    }

    /** Full-resolution decode. */
    public DecodedImage decode(byte[] bytes, String what) {
        return decode(bytes, what, 0, 0);
    }

    /** Decode for a consumer that needs at least {@code minW x minH} pixels (0: full resolution). */
    public DecodedImage decode(byte[] bytes, String what, int minW, int minH) {
        return decode(bytes, header(bytes, what), what, minW, minH);
    }

    /** As above, for bytes whose {@code header} was already read and checked by {@link #header}. */
    public DecodedImage decode(byte[] bytes, ImageHeader header, String what, int minW, int minH) {
        int reduction = minW > 0 && minH > 0 ? reduction(header, minW, minH) : 1;
        int flags = Imgcodecs.IMREAD_COLOR;
        for (int[] r : REDUCED) {
            if (r[0] == reduction) {
                flags = r[1];
            }
        }
        MatOfByte buf = new MatOfByte(bytes);
        Mat bgr;
        try {
            bgr = Imgcodecs.imdecode(buf, flags);
        } catch (org.opencv.core.CvException e) {   // a codec that fails loudly instead of returning nothing
            throw GlimpseException.invalid(what + ": " + header.format() + " data could not be decoded (corrupt)");
        } finally {
            buf.release();
        }
        boolean ok = false;
        try {
            if (bgr.empty()) {
                throw GlimpseException.invalid(what + ": " + header.format() + " data could not be decoded (corrupt or truncated)");
            }
            int w = ceilDiv(header.width(), reduction);
            int h = ceilDiv(header.height(), reduction);
            boolean asHeader = near(bgr.cols(), w) && near(bgr.rows(), h);
            // an EXIF orientation of 5-8 turns the picture a quarter: the decoded size is the header's, swapped
            boolean turned = header.format() == ImageFormat.JPEG && near(bgr.cols(), h) && near(bgr.rows(), w);
            if (!asHeader && !turned) {
                throw GlimpseException.invalid(what + ": decoded size " + bgr.cols() + "x" + bgr.rows()
                        + " differs from the header's " + header.width() + "x" + header.height()
                        + (reduction > 1 ? " at 1/" + reduction + " scale" : ""));
            }
            Imgproc.cvtColor(bgr, bgr, Imgproc.COLOR_BGR2RGB);
            ok = true;
            return turned && !asHeader ? new DecodedImage(header.height(), header.width(), bgr)
                    : new DecodedImage(header.width(), header.height(), bgr);
        } finally {
            if (!ok) {
                bgr.release();
            }
        }
    }

    private static boolean near(int decoded, int expected) {
        return Math.abs(decoded - expected) <= 1;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
