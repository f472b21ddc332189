package io.glimpse.app;

import io.glimpse.gateway.chain.GatewayLimits;
import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.runner.RunnerServer;
import io.glimpse.runner.engine.RunnerLimits;
import picocli.CommandLine.Option;

/** The vlm-runner's options of {@code glimpse serve}: generations at once and waiting, decode batching, the new-token cap. */
final class RunnerOptions {
    @Option(names = "--max-new-tokens-cap", defaultValue = "${env:GLIMPSE_MAX_NEW_TOKENS_CAP:-" + RunnerLimits.DEFAULT_MAX_NEW_TOKENS_CAP + "}",
            description = "Runner and gateway: the most new tokens a request may ask for; the gateway refuses more before"
                    + " any stage runs (default ${DEFAULT-VALUE}; give the gateway the runners' value).")
    int maxNewTokensCap;

    @Option(names = {"--runner-max-concurrent", "--max-concurrent"},
            defaultValue = "${env:GLIMPSE_RUNNER_MAX_CONCURRENT:-" + RunnerLimits.DEFAULT_MAX_CONCURRENT + "}",
            description = "Runner: generations admitted at once (default ${DEFAULT-VALUE}).")
    int maxConcurrent;

    @Option(names = "--runner-decode-batch", defaultValue = "${env:GLIMPSE_RUNNER_DECODE_BATCH:-" + RunnerLimits.DEFAULT_DECODE_BATCH + "}",
            description = "Runner: decode steps of up to this many generations run as one batch; 1 = one at a time"
                    + " (default ${DEFAULT-VALUE}, at most --runner-max-concurrent).")
    int decodeBatch;

    @Option(names = "--runner-prefill-lanes", defaultValue = "${env:GLIMPSE_RUNNER_PREFILL_LANES:--1}",
            description = "Runner: threads that prefill prompt chunks beside the decode batch; 0 = chunks run between"
                    + " decode steps; -1 = one per core when the runner has two or more, else 0 (default ${DEFAULT-VALUE}).")
    int prefillLanes;

    @Option(names = "--runner-prefill-chunk", defaultValue = "${env:GLIMPSE_RUNNER_PREFILL_CHUNK:-0}",
            description = "Runner: prompt tokens per prefill chunk; 0 = 512 in a prefill lane, and between decode steps"
                    + " as many as cost under one decode step, so running streams keep their pace (default ${DEFAULT-VALUE}).")
    int prefillChunk;

    @Option(names = {"--runner-max-queued", "--max-queued"},
            defaultValue = "${env:GLIMPSE_RUNNER_MAX_QUEUED:-" + RunnerLimits.DEFAULT_MAX_QUEUED + "}",
            description = "Runner: generations waiting; beyond it RESOURCE_EXHAUSTED (default ${DEFAULT-VALUE}).")
    int maxQueued;


    /** Generations at once and waiting, the new-token cap and the decode batch (at most the generations at once). */
    RunnerLimits limits(ServerOptions s) {
        return new RunnerLimits(maxNewTokensCap, defaultMaxNewTokens(), GatewayLimits.defaults().maxQuestionChars(),
                s.maxImages, maxConcurrent, maxQueued, Math.max(1, Math.min(decodeBatch, maxConcurrent)),
                prefillLanes < 0 ? RunnerLimits.defaultPrefillLanes() : prefillLanes, prefillChunk);
    }

    int defaultMaxNewTokens() {
        return Math.min(RunnerLimits.DEFAULT_MAX_NEW_TOKENS, maxNewTokensCap);
    }

    RunnerServer.Config config(ModelBundle bundle, OrtSessionFactory sessions, ServerOptions s) {
        return new RunnerServer.Config(bundle, sessions, limits(s), s.config());
    }
}
