package io.glimpse.gateway;

import io.glimpse.common.server.ServerConfig;
import io.glimpse.common.server.ServiceHost;
import io.glimpse.gateway.chain.BackendTargets;
import io.glimpse.gateway.chain.GatewayLimits;
import io.glimpse.gateway.grpc.Backends;
import io.glimpse.gateway.grpc.GlimpseService;
import io.grpc.ServerInterceptor;

import java.util.List;

/** Wiring of the gateway; tests and {@code glimpse serve} both use {@link #start}. */
public final class GatewayMain {
    public record Config(BackendTargets backends, GatewayLimits limits, ServerConfig server) {
    }

    private GatewayMain() {
    }

    public static ServiceHost start(Config c, List<ServerInterceptor> interceptors) {
        Backends backends = new Backends(c.backends());
        ServiceHost host = ServiceHost.start("gateway", c.server(),
                List.of(new GlimpseService(backends, c.limits())), interceptors);
        host.onClose(backends);
        host.markReady();
        return host;
    }
}
