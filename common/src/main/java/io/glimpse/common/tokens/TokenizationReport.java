package io.glimpse.common.tokens;

/**
 * What the tokenizer decided for one image.
 *
 * @param estimator     for ADAPTIVE, which estimator chose the count ({@code sufficiency_head} or
 *                      {@code complexity_proxy}); null otherwise
 * @param targetReached for ADAPTIVE, whether the chosen count's predicted fidelity reaches the quality target
 *                      (false when {@code max_tokens} ruled out every count that would)
 */
public record TokenizationReport(TokenizationMode mode, float complexity, int chosenTokens,
                                 float predictedFidelity, int[] consideredCounts,
                                 int imageWidth, int imageHeight, String estimator, boolean targetReached) {
}
