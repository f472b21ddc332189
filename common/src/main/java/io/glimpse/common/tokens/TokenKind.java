package io.glimpse.common.tokens;

/** What a visual token stands for; with its origin index it fixes the token's position. */
public enum TokenKind {
    GRID, POOLED, REGISTER, MERGED
}
