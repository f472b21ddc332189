package io.glimpse.runner.engine;

/**
 * @param maxNewTokens 0 = server default
 * @param minNewTokens end-of-sequence is suppressed until this many tokens are generated
 * @param temperature  0 = greedy
 * @param topP         0 or 1 = no nucleus cut
 */
public record GenerationParams(int maxNewTokens, int minNewTokens, float temperature, float topP, long seed) {
    public static GenerationParams greedy(int maxNewTokens) {
        return new GenerationParams(maxNewTokens, 0, 0f, 0f, 0L);
    }
}
