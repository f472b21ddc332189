package io.glimpse.common.tokens;

/**
 * What the tokenizer decided for one image.
 *
 * @param estimator     for ADAPTIVE, which estimator chose the count ({@code sufficiency_head} or
 *                      {@code complexity_proxy}); null otherwise
 * @param targetReached for ADAPTIVE, whether the chosen count's predicted fidelity reaches the quality target
 *                      (false when {@code max_tokens} ruled out every count that would)
 * @param encoderFlops  the vision encoder's FLOPs on this image, {@code encoderFlopsFull} without reduction (0: unknown)
 */
public record TokenizationReport(TokenizationMode mode, float complexity, int chosenTokens,
                                 float predictedFidelity, int[] consideredCounts,
                                 int imageWidth, int imageHeight, String estimator, boolean targetReached,
                                 double encoderFlops, double encoderFlopsFull) {
    public TokenizationReport(TokenizationMode mode, float complexity, int chosenTokens, float predictedFidelity,
                              int[] consideredCounts, int imageWidth, int imageHeight, String estimator, boolean targetReached) {
        this(mode, complexity, chosenTokens, predictedFidelity, consideredCounts, imageWidth, imageHeight, estimator,
                targetReached, 0, 0);
    }

    public TokenizationReport withEncoderFlops(double used, double full) {
        return new TokenizationReport(mode, complexity, chosenTokens, predictedFidelity, consideredCounts, imageWidth,
                imageHeight, estimator, targetReached, used, full);
    }
}
