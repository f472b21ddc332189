package io.glimpse.common.tokens;

/** How an image becomes tokens. */
public enum TokenizationMode {
    FULL, POOLED, FLEX_PREFIX, ADAPTIVE
}
