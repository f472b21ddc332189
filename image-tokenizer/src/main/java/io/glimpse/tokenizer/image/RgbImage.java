package io.glimpse.tokenizer.image;

/** Decoded 8-bit RGB pixels, row-major HWC. */
public record RgbImage(int width, int height, byte[] rgb) {
}
