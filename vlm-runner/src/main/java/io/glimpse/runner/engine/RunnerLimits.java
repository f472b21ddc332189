package io.glimpse.runner.engine;

/**
 * Server-side caps of the runner.
 *
 * @param maxNewTokensCap  requests asking for more get INVALID_ARGUMENT
 * @param defaultMaxNewTokens used when a request says 0
 * @param maxQuestionChars longest question accepted
 * @param maxImages        most images per request
 * @param maxConcurrent    generations running at once (prefilling or decoding)
 * @param maxQueued        generations waiting; beyond that RESOURCE_EXHAUSTED
 * @param decodeBatch      decode steps of up to this many generations run as one batch (Orca-style
 *                         iteration-level scheduling); 1 = one generation at a time
 * @param prefillLanes     threads that prefill prompt chunks beside the decode batch; 0 = chunks run
 *                         between decode steps (for one core)
 * @param prefillChunk     prompt tokens per chunk; 0 = the scheduler's choice (see StepScheduler.Limits)
 */
public record RunnerLimits(int maxNewTokensCap, int defaultMaxNewTokens, int maxQuestionChars, int maxImages,
                           int maxConcurrent, int maxQueued, int decodeBatch, int prefillLanes, int prefillChunk) {
    public static final int DEFAULT_MAX_NEW_TOKENS_CAP = 256;
    public static final int DEFAULT_MAX_NEW_TOKENS = 32;
    /** As many as one gateway admits: with batched decoding they share decoder runs. */
    public static final int DEFAULT_MAX_CONCURRENT = 16;
    public static final int DEFAULT_MAX_QUEUED = 32;
    public static final int DEFAULT_DECODE_BATCH = 16;

    public RunnerLimits {
        if (decodeBatch < 1) {
            throw new IllegalArgumentException("decode batch must be at least 1, got " + decodeBatch);
        }
        if (prefillChunk < 0 || prefillLanes < 0) {
            throw new IllegalArgumentException("prefill lanes and chunk must be >= 0, got " + prefillLanes + " and "
                    + prefillChunk);
        }
    }

    public RunnerLimits(int maxNewTokensCap, int defaultMaxNewTokens, int maxQuestionChars, int maxImages,
                        int maxConcurrent, int maxQueued, int decodeBatch) {
        this(maxNewTokensCap, defaultMaxNewTokens, maxQuestionChars, maxImages, maxConcurrent, maxQueued, decodeBatch,
                defaultPrefillLanes(), 0);
    }

    public RunnerLimits(int maxNewTokensCap, int defaultMaxNewTokens, int maxQuestionChars, int maxImages,
                        int maxConcurrent, int maxQueued) {
        this(maxNewTokensCap, defaultMaxNewTokens, maxQuestionChars, maxImages, maxConcurrent, maxQueued,
                Math.min(DEFAULT_DECODE_BATCH, Math.max(1, maxConcurrent)));
    }

    public static RunnerLimits defaults() {
        return new RunnerLimits(DEFAULT_MAX_NEW_TOKENS_CAP, DEFAULT_MAX_NEW_TOKENS, 2000, 16, DEFAULT_MAX_CONCURRENT,
                DEFAULT_MAX_QUEUED, DEFAULT_DECODE_BATCH);
    }

    public RunnerLimits withConcurrency(int concurrent, int batch) {
        return new RunnerLimits(maxNewTokensCap, defaultMaxNewTokens, maxQuestionChars, maxImages, concurrent, maxQueued,
                batch, prefillLanes, prefillChunk);
    }

    public RunnerLimits withPrefill(int lanes, int chunk) {
        return new RunnerLimits(maxNewTokensCap, defaultMaxNewTokens, maxQuestionChars, maxImages, maxConcurrent, maxQueued,
                decodeBatch, lanes, chunk);
    }

    /**
     * With two cores or more, a lane per core beside the decode batch (a prefill is compute-bound, a
     * decode step memory-bound, so they overlap; as many lanes as cores keep the prefill throughput of
     * one prefill per core); on one core, chunks between decode steps.
     */
    public static int defaultPrefillLanes() {
        return Runtime.getRuntime().availableProcessors() >= 2 ? Runtime.getRuntime().availableProcessors() : 0;
    }
}
