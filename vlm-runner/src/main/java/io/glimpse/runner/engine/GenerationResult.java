package io.glimpse.runner.engine;

/** What one generation produced and what it cost. */
public record GenerationResult(String text, int promptTokens, int visualTokens, int generatedTokens,
                               String finishReason, long queueMicros, long prefillMicros, long decodeMicros) {
}
