package io.glimpse.common.tokens;

/** What the tokenizer decided for one image. */
public record TokenizationReport(TokenizationMode mode, float complexity, int chosenTokens,
                                 float predictedFidelity, int[] consideredCounts,
                                 int imageWidth, int imageHeight) {
}
