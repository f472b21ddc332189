package io.glimpse.pruner.select;

import io.glimpse.common.tokens.TokenSet;


/** Chooses {@code keep} of one image's tokens. Deterministic: same input, same output. */
public interface TokenSelector {
    /**
     * @param keep  tokens to keep, 1..count-1; 0 when the request set no budget and
     *              {@link #decidesCount()} (the method picks the count itself)
     * @param image index of the image in the request
     */
    Selection select(TokenSet tokens, int keep, PruningSpec spec, QueryContext query, int image);

    /** True when the method has its own adaptive count (used when the request gives no budget). */
    default boolean decidesCount() {
        return false;
    }
}
