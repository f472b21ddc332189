package io.glimpse.pruner;

import io.glimpse.common.bundle.ModelBundle;
import io.glimpse.common.onnx.OrtSessionFactory;
import io.glimpse.common.server.ServerConfig;
import io.glimpse.common.server.ServiceHost;
import io.glimpse.pruner.grpc.TokenPrunerService;
import io.glimpse.pruner.query.QueryModel;
import io.glimpse.pruner.select.TokenPrunerEngine;
import io.grpc.ServerInterceptor;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.util.List;

/** Wiring of the token-pruner service; tests and {@code glimpse serve} both use {@link #start}. */
public final class PrunerMain {
    /**
     * @param bundle   the model bundle, for the query-aware methods (FastV, CoreMatching, QuoTA);
     *                 null runs the pruner without them
     * @param sessions ONNX Runtime sessions for the bundle's probe and LM (null without a bundle)
     */
    public record Config(int maxImages, ModelBundle bundle, OrtSessionFactory sessions, ServerConfig server) {
        public Config(int maxImages, ServerConfig server) {
            this(maxImages, null, null, server);
        }
    }

    private PrunerMain() {
    }

    public static ServiceHost start(Config c, List<ServerInterceptor> interceptors) {
        return start(c, interceptors, new SimpleMeterRegistry());
    }

    public static ServiceHost start(Config c, List<ServerInterceptor> interceptors, MeterRegistry meters) {
        QueryModel model = c.bundle() == null ? QueryModel.none() : new QueryModel(c.bundle(), c.sessions());
        ServiceHost host = ServiceHost.start("token-pruner", c.server(),
                List.of(new TokenPrunerService(new TokenPrunerEngine(model), c.maxImages(), meters)), interceptors);
        host.onClose(model);
        host.markReady();
        return host;
    }
}
