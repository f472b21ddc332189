package io.glimpse.tokenizer.encode;

import io.glimpse.common.tokens.TokenizationMode;

/**
 * A request's tokenization: {@code tokens} is n*n for POOLED and k for FLEX_PREFIX;
 * {@code minTokens}/{@code maxTokens}/{@code qualityTarget}/{@code estimator} drive ADAPTIVE (0 = default);
 * {@code question} is what the question-aware head reads (empty: none given); {@code reduction} reduces
 * tokens inside the vision encoder (FULL only; {@link EncoderReduction#NONE}: none); {@code maxTiles} > 0 encodes
 * only that many of a tiled image's tiles, the most relevant to the question (0: every tile).
 */
public record TokenizationSpec(TokenizationMode mode, int tokens, int minTokens, int maxTokens, float qualityTarget,
                               Estimator estimator, String question, EncoderReduction reduction, int maxTiles) {
    /** How ADAPTIVE predicts the count. */
    public enum Estimator {
        /**
         * The question-aware head when the bundle has one and a question is given, else the image-only
         * head when the bundle has one, else the complexity proxy.
         */
        AUTO,
        /** KARL-style learned head: one pass over the image features. */
        SUFFICIENCY_HEAD,
        /** The question-aware head: one pass over the image features and the question's words. */
        QUERY_HEAD,
        /** Edge density of the blurred image (pixel noise adds none) through the bundle's calibration table. */
        COMPLEXITY_PROXY
    }

    public TokenizationSpec {
        question = question == null ? "" : question;
        reduction = reduction == null ? EncoderReduction.NONE : reduction;
    }

    public TokenizationSpec(TokenizationMode mode, int tokens, int minTokens, int maxTokens, float qualityTarget,
                            Estimator estimator) {
        this(mode, tokens, minTokens, maxTokens, qualityTarget, estimator, "", EncoderReduction.NONE, 0);
    }

    public TokenizationSpec withQuestion(String q) {
        return new TokenizationSpec(mode, tokens, minTokens, maxTokens, qualityTarget, estimator, q, reduction, maxTiles);
    }

    public TokenizationSpec withReduction(EncoderReduction r) {
        return new TokenizationSpec(mode, tokens, minTokens, maxTokens, qualityTarget, estimator, question, r, maxTiles);
    }

    public TokenizationSpec withMaxTiles(int tiles) {
        return new TokenizationSpec(mode, tokens, minTokens, maxTokens, qualityTarget, estimator, question, reduction, tiles);
    }

    public TokenizationSpec(TokenizationMode mode, int tokens, int minTokens, int maxTokens, float qualityTarget) {
        this(mode, tokens, minTokens, maxTokens, qualityTarget, Estimator.AUTO);
    }

    public static TokenizationSpec full() {
        return new TokenizationSpec(TokenizationMode.FULL, 0, 0, 0, 0f);
    }
}
