package io.glimpse.tokenizer.encode;

import io.glimpse.common.tokens.TokenizationMode;

/**
 * A request's tokenization: {@code tokens} is n*n for POOLED and k for FLEX_PREFIX;
 * {@code minTokens}/{@code maxTokens}/{@code qualityTarget} drive ADAPTIVE (0 = default).
 */
public record TokenizationSpec(TokenizationMode mode, int tokens, int minTokens, int maxTokens, float qualityTarget) {
    public static TokenizationSpec full() {
        return new TokenizationSpec(TokenizationMode.FULL, 0, 0, 0, 0f);
    }
}
