package io.glimpse.pruner;

import io.glimpse.model.bundle.BundleValidator;

import io.glimpse.common.admission.BoundedAdmission;
import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.common.server.ServerConfig;
import io.glimpse.common.server.ServiceHost;
import io.glimpse.pruner.grpc.TokenPrunerService;
import io.glimpse.kernel.VectorApi;
import io.glimpse.pruner.query.QueryModel;
import io.glimpse.pruner.select.TokenPrunerEngine;
import io.grpc.ServerInterceptor;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.slf4j.LoggerFactory;

import java.util.List;

/** Wiring of the token-pruner service; tests and {@code glimpse serve} both use {@link #start}. */
public final class PrunerServer {
    public static final int DEFAULT_MAX_IMAGES = 16;   // a clip of sixteen frames, as detail models take them
    /** The kernels are single-threaded and CPU-bound: one call per core. */
    public static final int DEFAULT_MAX_CONCURRENT = 2;
    public static final int DEFAULT_MAX_QUEUED = 16;
    /** Tokens per image accepted without a bundle to say what its grid produces (LLaVA-scale grids fit). */
    public static final int DEFAULT_MAX_TOKENS_PER_IMAGE = 4096;

    /**
     * @param bundle   the model bundle, for the query-aware methods (FastV, CoreMatching, QuoTA) and
     *                 the token cap per image; null runs the pruner without them
     * @param sessions ONNX Runtime sessions for the bundle's probe and LM (null without a bundle)
     */
    public record Config(int maxImages, ModelBundle bundle, OrtSessionFactory sessions, ServerConfig server,
                         int maxConcurrent, int maxQueued) {
        public Config(int maxImages, ModelBundle bundle, OrtSessionFactory sessions, ServerConfig server) {
            this(maxImages, bundle, sessions, server, DEFAULT_MAX_CONCURRENT, DEFAULT_MAX_QUEUED);
        }

        public Config(int maxImages, ServerConfig server) {
            this(maxImages, null, null, server);
        }

        public Config withServer(ServerConfig s) {
            return new Config(maxImages, bundle, sessions, s, maxConcurrent, maxQueued);
        }

        /** The most tokens one image can carry: what the bundle's vision grid or registers produce. */
        public int maxTokensPerImage() {
            return bundle == null ? DEFAULT_MAX_TOKENS_PER_IMAGE
                    : bundle.maxVisualTokensPerImage();
        }
    }

    private PrunerServer() {
    }

    public static ServiceHost start(Config c, List<ServerInterceptor> interceptors) {
        return start(c, interceptors, new SimpleMeterRegistry());
    }

    public static ServiceHost start(Config c, List<ServerInterceptor> interceptors, MeterRegistry meters) {
        if (c.bundle() != null) {
            BundleValidator.require(c.bundle(), BundleValidator.Part.PROBE);
        }
        QueryModel model = c.bundle() == null ? QueryModel.none() : new QueryModel(c.bundle(), c.sessions());
        BoundedAdmission admission = new BoundedAdmission("token-pruner", c.maxConcurrent(), c.maxQueued());
        ServiceHost host = ServiceHost.start("token-pruner", c.server().withHandlerThreadsFor(c.maxConcurrent(), c.maxQueued()),
                List.of(new TokenPrunerService(new TokenPrunerEngine(model), c.maxImages(), c.maxTokensPerImage(),
                        admission, meters)), interceptors);
        Gauge.builder("glimpse.pruner.queue.depth", admission, BoundedAdmission::queued).register(meters);
        Gauge.builder("glimpse.pruner.in.flight", admission, BoundedAdmission::inFlight).register(meters);
        host.onClose(model);
        LoggerFactory.getLogger(PrunerServer.class).info("pruning kernels: {}", VectorApi.describe());
        host.markReady();
        return host;
    }
}
