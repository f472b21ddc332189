package io.glimpse.runner.engine;

/**
 * Server-side caps of the runner.
 *
 * @param maxNewTokensCap  requests asking for more get INVALID_ARGUMENT
 * @param defaultMaxNewTokens used when a request says 0
 * @param maxQuestionChars longest question accepted
 * @param maxImages        most images per request
 * @param maxConcurrent    generations running at once
 * @param maxQueued        generations waiting; beyond that RESOURCE_EXHAUSTED
 */
public record RunnerLimits(int maxNewTokensCap, int defaultMaxNewTokens, int maxQuestionChars, int maxImages,
                           int maxConcurrent, int maxQueued) {
    public static RunnerLimits defaults() {
        return new RunnerLimits(256, 32, 2000, 8, 2, 32);
    }
}
