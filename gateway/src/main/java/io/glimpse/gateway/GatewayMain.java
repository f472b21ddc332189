package io.glimpse.gateway;

import io.glimpse.common.server.ServerConfig;
import io.glimpse.common.server.ServiceHost;
import io.glimpse.gateway.chain.BackendTargets;
import io.glimpse.gateway.chain.GatewayLimits;
import io.glimpse.gateway.discovery.BackendDiscovery;
import io.glimpse.gateway.grpc.Backends;
import io.glimpse.gateway.grpc.GlimpseService;
import io.glimpse.common.admission.BoundedAdmission;
import io.glimpse.common.server.TlsFiles;
import io.glimpse.gateway.auth.AccessPolicy;
import io.glimpse.gateway.grpc.ApiKeyInterceptor;
import io.glimpse.common.admission.ByteBudget;
import io.grpc.ServerInterceptor;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.util.List;

/** Wiring of the gateway; tests and {@code glimpse serve} both use {@link #start}. */
public final class GatewayMain {
    /**
     * @param discovery   how backend replicas are found; null = each target through gRPC's DNS resolver
     * @param access      API keys and quotas of the public API ({@link AccessPolicy#open()}: none)
     * @param backendTls  TLS to the backends (a client certificate for their mutual TLS); null = plaintext
     */
    public record Config(BackendTargets backends, GatewayLimits limits, ServerConfig server, BackendDiscovery discovery,
                         AccessPolicy access, TlsFiles backendTls) {
        public Config(BackendTargets backends, GatewayLimits limits, ServerConfig server) {
            this(backends, limits, server, null);
        }

        public Config(BackendTargets backends, GatewayLimits limits, ServerConfig server, BackendDiscovery discovery) {
            this(backends, limits, server, discovery, AccessPolicy.open(), null);
        }
    }

    private GatewayMain() {
    }

    /** The API-key check runs innermost, after the metrics interceptor has seen the call. */
    private static List<ServerInterceptor> withKeys(List<ServerInterceptor> interceptors, AccessPolicy access) {
        if (access.keys() == null) {
            return interceptors;
        }
        List<ServerInterceptor> all = new java.util.ArrayList<>();
        all.add(new ApiKeyInterceptor(access.keys()));   // ServerInterceptors.intercept runs the last one first
        all.addAll(interceptors);
        return all;
    }

    public static ServiceHost start(Config c, List<ServerInterceptor> interceptors) {
        return start(c, interceptors, new SimpleMeterRegistry());
    }

    /** Readiness follows the backends: SERVING while each has a connected, ready replica. */
    public static ServiceHost start(Config c, List<ServerInterceptor> interceptors, MeterRegistry meters) {
        Backends backends = new Backends(c.backends(), c.discovery(), c.backendTls());
        // admitted calls never wait: a full gateway refuses at once, before any backend is called
        BoundedAdmission admission = new BoundedAdmission("gateway", c.limits().maxInFlight(), 0);
        ByteBudget bytes = new ByteBudget("gateway", c.limits().maxInFlightBytes());
        ServiceHost host = ServiceHost.start("gateway", c.server().withHandlerThreadsFor(c.limits().maxInFlight(), 0),
                List.of(new GlimpseService(backends, c.limits(), admission, bytes, c.access(), meters)),
                withKeys(interceptors, c.access()));
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
