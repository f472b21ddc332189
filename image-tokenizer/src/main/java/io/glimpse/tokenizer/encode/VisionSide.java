package io.glimpse.tokenizer.encode;

import io.glimpse.common.tokens.TokenSet;

import java.util.List;
import java.util.function.Supplier;

/** A model family's way from image bytes to visual tokens (the engine checks what all families share first). */
interface VisionSide extends AutoCloseable {
    List<TokenSet> tokenize(List<Supplier<byte[]>> images, TokenizationSpec spec, boolean includeAttention);

    /** One encode so the first real request does not pay for lazy initialisation. */
    void warmUp();

    /** The optional vision-side parts it has, by the names the metadata call lists. */
    List<String> features();

    /** Vision-encoder runs made through a cross-request batcher (0 without one). */
    long encoderRuns();

    /** Tiles a tiled family has run through its encoder, global images included (0 for untiled families). */
    default long tilesEncoded() {
        return 0;
    }

    /** Worst-case bytes of one running call's encoder input. */
    long worstCaseInputBytes(int maxImages);

    /** {tile side, longest edge} a tiled family splits images by; {0, 0} otherwise. */
    default int[] tiling() {
        return new int[]{0, 0};
    }
}
