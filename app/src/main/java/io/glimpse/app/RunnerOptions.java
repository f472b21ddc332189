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
            description = "Runner: generations at once; prefills run at most one per core (default ${DEFAULT-VALUE}).")
    int maxConcurrent;

    @Option(names = "--runner-decode-batch", defaultValue = "${env:GLIMPSE_RUNNER_DECODE_BATCH:-" + RunnerLimits.DEFAULT_DECODE_BATCH + "}",
            description = "Runner: decode steps of up to this many generations run as one batch; 1 = each on its own"
                    + " (default ${DEFAULT-VALUE}, at most --runner-max-concurrent).")
    int decodeBatch;

    @Option(names = {"--runner-max-queued", "--max-queued"},
            defaultValue = "${env:GLIMPSE_RUNNER_MAX_QUEUED:-" + RunnerLimits.DEFAULT_MAX_QUEUED + "}",
            description = "Runner: generations waiting; beyond it RESOURCE_EXHAUSTED (default ${DEFAULT-VALUE}).")
    int maxQueued;


    /** Generations at once and waiting, the new-token cap and the decode batch (at most the generations at once). */
    RunnerLimits limits(ServerOptions s) {
        return new RunnerLimits(maxNewTokensCap, defaultMaxNewTokens(), GatewayLimits.defaults().maxQuestionChars(),
                s.maxImages, maxConcurrent, maxQueued, Math.max(1, Math.min(decodeBatch, maxConcurrent)));
    }

    int defaultMaxNewTokens() {
        return Math.min(RunnerLimits.DEFAULT_MAX_NEW_TOKENS, maxNewTokensCap);
    }

    RunnerServer.Config config(ModelBundle bundle, OrtSessionFactory sessions, ServerOptions s) {
        return new RunnerServer.Config(bundle, sessions, limits(s), s.config());
    }
}
