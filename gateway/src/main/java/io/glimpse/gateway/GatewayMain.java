package io.glimpse.gateway;

import io.glimpse.common.server.ServerConfig;
import io.glimpse.common.server.ServiceHost;
import io.glimpse.gateway.chain.BackendTargets;
import io.glimpse.gateway.chain.GatewayLimits;
import io.glimpse.gateway.discovery.BackendDiscovery;
import io.glimpse.gateway.grpc.Backends;
import io.glimpse.gateway.grpc.GlimpseService;
import io.glimpse.common.admission.BoundedAdmission;
import io.glimpse.common.admission.ByteBudget;
import io.grpc.ServerInterceptor;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

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
        return start(c, interceptors, new SimpleMeterRegistry());
    }

    /** Readiness follows the backends: SERVING while each has a connected, ready replica. */
    public static ServiceHost start(Config c, List<ServerInterceptor> interceptors, MeterRegistry meters) {
        Backends backends = new Backends(c.backends(), c.discovery());
        // admitted calls never wait: a full gateway refuses at once, before any backend is called
        BoundedAdmission admission = new BoundedAdmission("gateway", c.limits().maxInFlight(), 0);
        ByteBudget bytes = new ByteBudget("gateway", c.limits().maxInFlightBytes());
        ServiceHost host = ServiceHost.start("gateway", c.server().withHandlerThreadsFor(c.limits().maxInFlight(), 0),
                List.of(new GlimpseService(backends, c.limits(), admission, bytes)), interceptors);
        Gauge.builder("glimpse.gateway.in.flight", admission, BoundedAdmission::inFlight).register(meters);
        Gauge.builder("glimpse.gateway.in.flight.bytes", bytes, ByteBudget::inUse).register(meters);
        FunctionCounter.builder("glimpse.gateway.refused", admission, BoundedAdmission::refused)
                .description("Asks refused at admission (RESOURCE_EXHAUSTED before any backend call)").register(meters);
        host.onClose(backends);
        if (c.discovery() != null) {
            host.onClose(c.discovery());
        }
        backends.watchReadiness(ready -> {
            if (ready) {
                host.markReady();
            } else {
                host.markNotReady();
            }
        });
        return host;
    }
}
