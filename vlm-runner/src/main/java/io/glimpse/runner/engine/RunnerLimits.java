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
    public static final int DEFAULT_MAX_NEW_TOKENS_CAP = 256;
    public static final int DEFAULT_MAX_NEW_TOKENS = 32;
    public static final int DEFAULT_MAX_CONCURRENT = 2;
    public static final int DEFAULT_MAX_QUEUED = 32;

    public static RunnerLimits defaults() {
        return new RunnerLimits(DEFAULT_MAX_NEW_TOKENS_CAP, DEFAULT_MAX_NEW_TOKENS, 2000, 8, DEFAULT_MAX_CONCURRENT,
                DEFAULT_MAX_QUEUED);
    }
}
