package io.glimpse.pruner.select;

import io.glimpse.common.tokens.TokenSet;

/** Chooses {@code keep} of a set's tokens. Deterministic: same input, same output. */
public interface TokenSelector {
    Selection select(TokenSet tokens, int keep, PruningSpec spec, int imageIndex);
}
