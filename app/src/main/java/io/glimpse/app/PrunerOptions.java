package io.glimpse.app;

import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.pruner.PrunerServer;
import picocli.CommandLine.Option;

/** The token-pruner's options of {@code glimpse serve}: admission. */
final class PrunerOptions {
    @Option(names = "--pruner-max-concurrent", defaultValue = "${env:GLIMPSE_PRUNER_MAX_CONCURRENT:-" + PrunerServer.DEFAULT_MAX_CONCURRENT + "}",
            description = "Pruner: requests pruned at once (default ${DEFAULT-VALUE}).")
    int prunerMaxConcurrent;

    @Option(names = "--pruner-max-queued", defaultValue = "${env:GLIMPSE_PRUNER_MAX_QUEUED:-" + PrunerServer.DEFAULT_MAX_QUEUED + "}",
            description = "Pruner: requests waiting; beyond it RESOURCE_EXHAUSTED (default ${DEFAULT-VALUE}).")
    int prunerMaxQueued;


    PrunerServer.Config config(ModelBundle bundle, OrtSessionFactory sessions, ServerOptions s) {
        return new PrunerServer.Config(s.maxImages, bundle, sessions, s.config(), prunerMaxConcurrent, prunerMaxQueued);
    }
}
