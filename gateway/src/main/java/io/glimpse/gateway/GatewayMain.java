package io.glimpse.gateway;

import io.glimpse.common.server.ServerConfig;
import io.glimpse.common.server.ServiceHost;
import io.glimpse.gateway.chain.BackendTargets;
import io.glimpse.gateway.chain.GatewayLimits;
import io.glimpse.gateway.discovery.BackendDiscovery;
import io.glimpse.gateway.grpc.Backends;
import io.glimpse.gateway.grpc.GlimpseService;
import io.grpc.ServerInterceptor;

import java.util.List;

/** Wiring of the gateway; tests and {@code glimpse serve} both use {@link #start}. */
public final class GatewayMain {
    /** @param discovery how backend replicas are found; null = each target through gRPC's DNS resolver */
    public record Config(BackendTargets backends, GatewayLimits limits, ServerConfig server, BackendDiscovery discovery) {
        public Config(BackendTargets backends, GatewayLimits limits, ServerConfig server) {
            this(backends, limits, server, null);
        }
    }

    private GatewayMain() {
    }

    public static ServiceHost start(Config c, List<ServerInterceptor> interceptors) {
        Backends backends = new Backends(c.backends(), c.discovery());
        ServiceHost host = ServiceHost.start("gateway", c.server(),
                List.of(new GlimpseService(backends, c.limits())), interceptors);
        host.onClose(backends);
        if (c.discovery() != null) {
            host.onClose(c.discovery());
        }
        host.markReady();
        return host;
    }
}
