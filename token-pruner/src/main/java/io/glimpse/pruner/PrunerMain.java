package io.glimpse.pruner;

import io.glimpse.common.server.ServerConfig;
import io.glimpse.common.server.ServiceHost;
import io.glimpse.pruner.grpc.TokenPrunerService;
import io.glimpse.pruner.select.TokenPrunerEngine;
import io.grpc.ServerInterceptor;

import java.util.List;

/** Wiring of the token-pruner service; tests and {@code glimpse serve} both use {@link #start}. */
public final class PrunerMain {
    public record Config(int maxImages, ServerConfig server) {
    }

    private PrunerMain() {
    }

    public static ServiceHost start(Config c, List<ServerInterceptor> interceptors) {
        ServiceHost host = ServiceHost.start("token-pruner", c.server(),
                List.of(new TokenPrunerService(new TokenPrunerEngine(), c.maxImages())), interceptors);
        host.markReady();
        return host;
    }
}
