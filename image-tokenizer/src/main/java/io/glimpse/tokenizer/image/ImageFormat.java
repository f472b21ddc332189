package io.glimpse.tokenizer.image;

/** Encoded image formats the tokenizer accepts. */
public enum ImageFormat {
    JPEG, PNG, BMP, WEBP
}
