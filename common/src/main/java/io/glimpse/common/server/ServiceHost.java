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
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs one Glimpse service: gRPC health (overall "" plus "readiness", which turns SERVING only
 * after {@link #markReady()} — i.e. models loaded and warmed), reflection v1, message-size limit,
 * keepalive, a fixed pool of handler threads, unparsable requests answered INVALID_ARGUMENT, and
 * graceful shutdown (NOT_SERVING, drain in-flight calls, then stop, then close the models).
 */
public final class ServiceHost implements AutoCloseable {
    public static final String READINESS = "readiness";
    private static final Logger LOG = LoggerFactory.getLogger(ServiceHost.class);
    /**
     * gRPC logs a stack trace at WARNING for every message refused by the transport (over the size
     * limit, bad framing) although the client gets a clear status: a client could flood the log.
     * Held strongly so the JUL logger and its filter are not collected.
     */
    private static final java.util.logging.Logger TRANSPORT_LOG =
            java.util.logging.Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyServerStream");

    static {
        TRANSPORT_LOG.setFilter(r -> !(r.getThrown() instanceof io.grpc.StatusRuntimeException));
    }

    private final String name;
    private final ServerConfig config;
    private final HealthStatusManager health = new HealthStatusManager();
    private final List<Server> servers = new ArrayList<>();
    private final List<String> serviceNames = new ArrayList<>();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final ExecutorService handlers;
    private volatile boolean stopped;

    private ServiceHost(String name, ServerConfig config) {
        this.name = name;
        this.config = config;
        AtomicInteger n = new AtomicInteger();
        this.handlers = Executors.newFixedThreadPool(config.handlerThreads(), r -> {
            Thread t = new Thread(r, name + "-handler-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts listening; readiness stays NOT_SERVING until {@link #markReady()}. */
    public static ServiceHost start(String name, ServerConfig config, List<BindableService> services,
                                    List<ServerInterceptor> interceptors) {
        if (config.port() >= 0) {   // whoever starts a server: beyond loopback it carries TLS, or plaintext was chosen
            Exposure.check("--bind", config.bind(), config.tls() != null, config.plaintextChosen());
        }
        ServiceHost host = new ServiceHost(name, config);
        host.health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
        host.health.setStatus(READINESS, ServingStatus.NOT_SERVING);
        List<ServerServiceDefinition> defs = new ArrayList<>();
        for (BindableService s : services) {
            ServerServiceDefinition def = ParseGuard.wrap(ServerInterceptors.intercept(s, interceptors));
            defs.add(def);
            host.serviceNames.add(def.getServiceDescriptor().getName());
            host.health.setStatus(def.getServiceDescriptor().getName(), ServingStatus.NOT_SERVING);
        }
        try {
            if (config.port() >= 0) {
                InetSocketAddress address = new InetSocketAddress(config.bind(), config.port());
                NettyServerBuilder b = (config.tls() == null ? NettyServerBuilder.forAddress(address)
                        : NettyServerBuilder.forAddress(address, config.tls().serverCredentials()))
                        .maxInboundMessageSize(config.maxInboundBytes())
                        .keepAliveTime(config.keepAliveTime().toMillis(), TimeUnit.MILLISECONDS)
                        .keepAliveTimeout(config.keepAliveTimeout().toMillis(), TimeUnit.MILLISECONDS)
                        .permitKeepAliveTime(5, TimeUnit.SECONDS)
                        .permitKeepAliveWithoutCalls(true)
                        .maxConnectionAge(config.maxConnectionAge().toMillis(), TimeUnit.MILLISECONDS)
                        .maxConnectionAgeGrace(config.drainTimeout().toMillis(), TimeUnit.MILLISECONDS);
                host.servers.add(host.register(b, defs).build().start());
            }
            if (config.healthPort() > 0) {
                host.servers.add(NettyServerBuilder.forAddress(new InetSocketAddress(config.bind(), config.healthPort()))
                        .executor(host.handlers).addService(host.health.getHealthService()).build().start());
            }
            if (config.inProcessName() != null) {
                InProcessServerBuilder b = InProcessServerBuilder.forName(config.inProcessName())
                        .maxInboundMessageSize(config.maxInboundBytes());
                host.servers.add(host.register(b, defs).build().start());
            }
        } catch (IOException e) {
            host.close();
            throw new UncheckedIOException("cannot start " + name + " on " + config.bind() + ":" + config.port() + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        }
        LOG.info("{} listening on {}", name, host.describe());
        return host;
    }

    private <T extends ServerBuilder<T>> T register(T builder, List<ServerServiceDefinition> defs) {
        builder.executor(handlers);
        defs.forEach(builder::addService);
        builder.addService(health.getHealthService());
        if (config.reflection()) {
            builder.addService(ProtoReflectionServiceV1.newInstance());
        }
        return builder;
    }

    /** Closed after the servers stop (engines, model sessions). */
    public synchronized void onClose(AutoCloseable resource) {
        resources.add(resource);
    }

    /** The first resource of this type handed to {@link #onClose} (e.g. the gateway's HTTP listener), or null. */
    public synchronized <T> T resource(Class<T> type) {
        return resources.stream().filter(type::isInstance).map(type::cast).findFirst().orElse(null);
    }

    /** Models are loaded and warmed: readiness and every service turn SERVING. */
    public void markReady() {
        health.setStatus(READINESS, ServingStatus.SERVING);
        serviceNames.forEach(s -> health.setStatus(s, ServingStatus.SERVING));
        LOG.info("{} ready", name);
    }

    /** Readiness and every service turn NOT_SERVING (e.g. a gateway whose backend has no ready replica). */
    public void markNotReady() {
        if (stopped) {
            return;
        }
        health.setStatus(READINESS, ServingStatus.NOT_SERVING);
        serviceNames.forEach(s -> health.setStatus(s, ServingStatus.NOT_SERVING));
    }

    /** TCP port actually bound (useful with port 0), or -1 when not listening on TCP. */
    public int port() {
        return config.port() >= 0 ? servers.get(0).getPort() : -1;
    }

    public String describe() {
        List<String> parts = new ArrayList<>();
        if (config.port() >= 0 && !servers.isEmpty()) {
            parts.add(config.bind() + ":" + servers.get(0).getPort()
                    + (config.tls() == null ? "" : config.tls().mutual() ? " (mutual TLS)" : " (TLS)"));
        }
        if (config.inProcessName() != null) {
            parts.add("in-process '" + config.inProcessName() + "'");
        }
        return String.join(" and ", parts);
    }

    /** On SIGTERM / SIGINT: drain, close the models, then exit ({@link GracefulShutdown}). */
    public ServiceHost closeOnShutdown() {
        GracefulShutdown.onSignal(name, this::close);
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
        // a cancelled call's handler may still be inside a native run: the models close only
        // after every handler has returned, else the run would touch freed sessions (SIGSEGV)
        handlers.shutdown();
        try {
            long left = Math.max(deadline - System.nanoTime(), TimeUnit.SECONDS.toNanos(5));
            if (!handlers.awaitTermination(left, TimeUnit.NANOSECONDS)) {
                LOG.warn("{}: calls still running after the drain; leaving the models open for the process exit", name);
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
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
