package io.glimpse.gateway;

import io.glimpse.common.server.ServerConfig;
import io.glimpse.common.server.ServiceHost;
import io.glimpse.gateway.chain.BackendTargets;
import io.glimpse.gateway.chain.GatewayLimits;
import io.glimpse.gateway.chain.NarrowStageLimit;
import io.glimpse.gateway.discovery.BackendDiscovery;
import io.glimpse.gateway.grpc.Backends;
import io.glimpse.gateway.grpc.GlimpseService;
import io.glimpse.gateway.http.HttpApiConfig;
import io.glimpse.gateway.http.HttpGateway;
import io.glimpse.common.admission.BoundedAdmission;
import io.glimpse.common.server.TlsFiles;
import io.glimpse.gateway.auth.AccessPolicy;
import io.glimpse.gateway.grpc.AccessLogInterceptor;
import io.glimpse.gateway.grpc.ApiKeyInterceptor;
import io.glimpse.common.admission.ByteBudget;
import io.grpc.ServerInterceptor;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.util.List;
import java.util.UUID;

/** Wiring of the gateway; tests and {@code glimpse serve} both use {@link #start}. */
public final class GatewayServer {
    /**
     * @param discovery   how backend replicas are found; null = each target through gRPC's DNS resolver
     * @param access      API keys and quotas of the public API ({@link AccessPolicy#open()}: none)
     * @param backendTls  TLS to the backends (a client certificate for their mutual TLS); null = plaintext
     * @param http        the HTTP port (OpenAI-compatible API, explorer page); null = none
     */
    public record Config(BackendTargets backends, GatewayLimits limits, ServerConfig server, BackendDiscovery discovery,
                         AccessPolicy access, TlsFiles backendTls, HttpApiConfig http) {
        public Config(BackendTargets backends, GatewayLimits limits, ServerConfig server, BackendDiscovery discovery,
                      AccessPolicy access, TlsFiles backendTls) {
            this(backends, limits, server, discovery, access, backendTls, null);
        }

        public Config(BackendTargets backends, GatewayLimits limits, ServerConfig server) {
            this(backends, limits, server, null);
        }

        public Config(BackendTargets backends, GatewayLimits limits, ServerConfig server, BackendDiscovery discovery) {
            this(backends, limits, server, discovery, AccessPolicy.open(), null);
        }
    }

    private GatewayServer() {
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    /** The HTTP listener of a gateway started with one, else null. */
    public static HttpGateway http(ServiceHost gateway) {
        return gateway.resource(HttpGateway.class);
    }

    /**
     * The API-key check runs innermost, after the metrics interceptor has seen the call; the access
     * log outermost, so a refused call gets its line too.
     */
    private static List<ServerInterceptor> withKeys(List<ServerInterceptor> interceptors, AccessPolicy access,
                                                    MeterRegistry meters) {
        List<ServerInterceptor> all = new java.util.ArrayList<>();
        if (access.keys() != null) {
            all.add(new ApiKeyInterceptor(access.keys()));   // ServerInterceptors.intercept runs the last one first
        }
        all.addAll(interceptors);
        all.add(new AccessLogInterceptor(meters, access));
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
        NarrowStageLimit narrow = new NarrowStageLimit(c.limits().maxInFlight());
        boolean http = c.http() != null && c.http().port() >= 0;
        // the HTTP API calls the gRPC API in-process: one validation, one admission, one set of keys
        ServerConfig server = http && c.server().inProcessName() == null
                ? c.server().withInProcessName("glimpse-gateway-" + UUID.randomUUID()) : c.server();
        ServiceHost host = ServiceHost.start("gateway", server.withHandlerThreadsFor(c.limits().maxInFlight(), 0),
                List.of(new GlimpseService(backends, c.limits(), admission, bytes, c.access(), meters, narrow)),
                withKeys(interceptors, c.access(), meters));
        Gauge.builder("glimpse.gateway.in.flight", admission, BoundedAdmission::inFlight).register(meters);
        Gauge.builder("glimpse.gateway.in.flight.bytes", bytes, ByteBudget::inUse).register(meters);
        Gauge.builder("glimpse.gateway.chain.limit", narrow, NarrowStageLimit::limit)
                .description("Asks the gateway lets into the chain at once, learned from the backends' load refusals")
                .register(meters);
        FunctionCounter.builder("glimpse.gateway.refused", admission, BoundedAdmission::refused)
                .description("Asks refused at admission (RESOURCE_EXHAUSTED before any backend call)").register(meters);
        host.onClose(backends);
        if (c.discovery() != null) {
            host.onClose(c.discovery());
        }
        if (http) {
            try {
                host.onClose(HttpGateway.start(c.http(), server.bind(), server.tls(), server.inProcessName(), c.limits(),
                        c.access().keys(), meters));
            } catch (RuntimeException e) {
                host.close();
                throw new IllegalStateException("cannot start the gateway's HTTP API on " + server.bind() + ":"
                        + c.http().port() + " (--http-port): " + rootMessage(e), e);
            }
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
