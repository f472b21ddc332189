package io.glimpse.tokenizer.image;

/**
 * What the tokenizer accepts per image.
 *
 * @param maxBytes  largest encoded image
 * @param maxPixels largest width x height (decompression-bomb guard, checked from the header)
 * @param minSide   smallest width or height
 */
public record ImageLimits(int maxBytes, long maxPixels, int minSide) {
    public static ImageLimits defaults() {
        return new ImageLimits(16 * 1024 * 1024, 40_000_000L, 8);
    }
}
