package io.glimpse.runner.engine;

/**
 * @param maxNewTokens 0 = server default
 * @param minNewTokens end-of-sequence is suppressed until this many tokens are generated
 * @param temperature  0 = greedy
 * @param topP         0 or 1 = no nucleus cut
 * @param coreNeurons  CoreMatching's neuron half: decode steps run each layer's FFN over this share
 *                     (beta) of the core neurons the prefill found; 0 = the dense FFN
 */
public record GenerationParams(int maxNewTokens, int minNewTokens, float temperature, float topP, long seed,
                               float coreNeurons) {
    public GenerationParams(int maxNewTokens, int minNewTokens, float temperature, float topP, long seed) {
        this(maxNewTokens, minNewTokens, temperature, topP, seed, 0f);
    }

    public static GenerationParams greedy(int maxNewTokens) {
        return new GenerationParams(maxNewTokens, 0, 0f, 0f, 0L);
    }
}
