package io.glimpse.tokenizer;

import io.glimpse.common.admission.BoundedAdmission;
import io.glimpse.common.bundle.ModelBundle;
import io.glimpse.common.onnx.OrtSessionFactory;
import io.glimpse.common.server.ServerConfig;
import io.glimpse.common.server.ServiceHost;
import io.glimpse.tokenizer.encode.ImageTokenizerEngine;
import io.glimpse.tokenizer.grpc.ImageTokenizerService;
import io.glimpse.tokenizer.image.ImageLimits;
import io.grpc.ServerInterceptor;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.util.List;

/** Wiring of the image-tokenizer service; tests and {@code glimpse serve} both use {@link #start}. */
public final class TokenizerMain {
    public record Config(ModelBundle bundle, OrtSessionFactory sessions, ImageLimits limits, int maxImages,
                         int maxConcurrent, int maxQueued, ImageTokenizerEngine.Batching batching, ServerConfig server) {
        public static Config defaults(ModelBundle bundle, OrtSessionFactory sessions, ServerConfig server) {
            return new Config(bundle, sessions, ImageLimits.defaults(), 8, 4, 64, ImageTokenizerEngine.Batching.OFF, server);
        }
    }

    private TokenizerMain() {
    }

    public static ServiceHost start(Config c, List<ServerInterceptor> interceptors) {
        return start(c, interceptors, new SimpleMeterRegistry());
    }

    public static ServiceHost start(Config c, List<ServerInterceptor> interceptors, MeterRegistry meters) {
        ImageTokenizerEngine engine = new ImageTokenizerEngine(c.bundle(), c.sessions(), c.limits(), c.maxImages(), c.batching());
        BoundedAdmission admission = new BoundedAdmission("image-tokenizer", c.maxConcurrent(), c.maxQueued());
        ServiceHost host = ServiceHost.start("image-tokenizer", c.server(),
                List.of(new ImageTokenizerService(engine, admission, meters)), interceptors);
        Gauge.builder("glimpse.tokenizer.queue.depth", admission, BoundedAdmission::queued).register(meters);
        Gauge.builder("glimpse.tokenizer.in.flight", admission, BoundedAdmission::inFlight).register(meters);
        Gauge.builder("glimpse.tokenizer.encoder.runs", engine, ImageTokenizerEngine::encoderRuns).register(meters);
        host.onClose(engine);
        engine.warmUp();
        host.markReady();
        return host;
    }
}
