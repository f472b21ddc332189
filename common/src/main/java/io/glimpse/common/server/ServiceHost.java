package io.glimpse.common.server;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one Glimpse service: gRPC health (overall "" plus "readiness", which turns SERVING only
 * after {@link #markReady()} — i.e. models loaded and warmed), reflection v1, message-size limit,
 * keepalive, and graceful shutdown (NOT_SERVING, drain in-flight calls, then stop).
 */
public final class ServiceHost implements AutoCloseable {
    public static final String READINESS = "readiness";
    private static final Logger LOG = LoggerFactory.getLogger(ServiceHost.class);

    private final String name;
    private final ServerConfig config;
    private final HealthStatusManager health = new HealthStatusManager();
    private final List<Server> servers = new ArrayList<>();
    private final List<String> serviceNames = new ArrayList<>();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private volatile boolean stopped;

    private ServiceHost(String name, ServerConfig config) {
        this.name = name;
        this.config = config;
    }

    /** Starts listening; readiness stays NOT_SERVING until {@link #markReady()}. */
    public static ServiceHost start(String name, ServerConfig config, List<BindableService> services,
                                    List<ServerInterceptor> interceptors) {
        ServiceHost host = new ServiceHost(name, config);
        host.health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
        host.health.setStatus(READINESS, ServingStatus.NOT_SERVING);
        List<ServerServiceDefinition> defs = new ArrayList<>();
        for (BindableService s : services) {
            ServerServiceDefinition def = ServerInterceptors.intercept(s, interceptors);
            defs.add(def);
            host.serviceNames.add(def.getServiceDescriptor().getName());
            host.health.setStatus(def.getServiceDescriptor().getName(), ServingStatus.NOT_SERVING);
        }
        try {
            if (config.port() >= 0) {
                NettyServerBuilder b = NettyServerBuilder.forPort(config.port())
                        .maxInboundMessageSize(config.maxInboundBytes())
                        .keepAliveTime(config.keepAliveTime().toMillis(), TimeUnit.MILLISECONDS)
                        .keepAliveTimeout(config.keepAliveTimeout().toMillis(), TimeUnit.MILLISECONDS)
                        .permitKeepAliveTime(5, TimeUnit.SECONDS)
                        .permitKeepAliveWithoutCalls(true);
                host.servers.add(host.register(b, defs).build().start());
            }
            if (config.inProcessName() != null) {
                InProcessServerBuilder b = InProcessServerBuilder.forName(config.inProcessName())
                        .maxInboundMessageSize(config.maxInboundBytes());
                host.servers.add(host.register(b, defs).build().start());
            }
        } catch (IOException e) {
            host.close();
            throw new UncheckedIOException("cannot start " + name + " on port " + config.port() + ": " + e.getMessage(), e);
        }
        LOG.info("{} listening on {}", name, host.describe());
        return host;
    }

    private <T extends ServerBuilder<T>> T register(T builder, List<ServerServiceDefinition> defs) {
        defs.forEach(builder::addService);
        builder.addService(health.getHealthService());
        builder.addService(ProtoReflectionServiceV1.newInstance());
        return builder;
    }

    /** Closed after the servers stop (engines, model sessions). */
    public synchronized void onClose(AutoCloseable resource) {
        resources.add(resource);
    }

    /** Models are loaded and warmed: readiness and every service turn SERVING. */
    public void markReady() {
        health.setStatus(READINESS, ServingStatus.SERVING);
        serviceNames.forEach(s -> health.setStatus(s, ServingStatus.SERVING));
        LOG.info("{} ready", name);
    }

    /** TCP port actually bound (useful with port 0), or -1 when not listening on TCP. */
    public int port() {
        return config.port() >= 0 ? servers.get(0).getPort() : -1;
    }

    public String describe() {
        List<String> parts = new ArrayList<>();
        if (config.port() >= 0 && !servers.isEmpty()) {
            parts.add("port " + servers.get(0).getPort());
        }
        if (config.inProcessName() != null) {
            parts.add("in-process '" + config.inProcessName() + "'");
        }
        return String.join(" and ", parts);
    }

    /** Stops on SIGTERM / SIGINT through the JVM's shutdown hook. */
    public ServiceHost closeOnShutdown() {
        Runtime.getRuntime().addShutdownHook(new Thread(this::close, name + "-shutdown"));
        return this;
    }

    public void awaitTermination() throws InterruptedException {
        for (Server s : servers) {
            s.awaitTermination();
        }
    }

    /** NOT_SERVING everywhere, refuse new calls, let in-flight ones finish within the drain timeout. */
    @Override
    public synchronized void close() {
        if (stopped) {
            return;
        }
        stopped = true;
        health.enterTerminalState();
        servers.forEach(Server::shutdown);
        long deadline = System.nanoTime() + config.drainTimeout().toNanos();
        for (Server s : servers) {
            try {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !s.awaitTermination(left, TimeUnit.NANOSECONDS)) {
                    s.shutdownNow();
                }
            } catch (InterruptedException e) {
                s.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                LOG.warn("{}: closing {} failed: {}", name, r, e.toString());
            }
        }
        LOG.info("{} stopped", name);
    }
}
