package io.glimpse.tokenizer.image;

/**
 * What the tokenizer accepts.
 *
 * @param maxBytes          largest encoded image
 * @param maxPixels         largest width x height of one image (decompression-bomb guard, checked
 *                          from the header before anything is decoded)
 * @param minSide           smallest width or height
 * @param maxRequestPixels  pixels decoded for one request, summed over its images (after JPEG's
 *                          decode-time reduction): bounds the decoding work a request can ask for
 */
public record ImageLimits(int maxBytes, long maxPixels, int minSide, long maxRequestPixels) {
    /** 4096 x 4096: a 16-megapixel photo decodes; larger gains the model nothing at its input size. */
    public static final long DEFAULT_MAX_PIXELS = 4096L * 4096;
    public static final long DEFAULT_MAX_REQUEST_PIXELS = 2 * DEFAULT_MAX_PIXELS;
    public static final int DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

    public static ImageLimits defaults() {
        return new ImageLimits(DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, 8, DEFAULT_MAX_REQUEST_PIXELS);
    }
}
