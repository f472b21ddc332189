package io.glimpse.gateway.grpc;

import io.glimpse.common.error.GlimpseException;
import io.glimpse.gateway.chain.BackendTargets;
import io.glimpse.gateway.discovery.BackendDiscovery;
import io.glimpse.proto.v1.ImageTokenizerGrpc;
import io.glimpse.proto.v1.TokenPrunerGrpc;
import io.glimpse.proto.v1.VlmRunnerGrpc;
import io.glimpse.common.server.TlsFiles;
import io.grpc.ChannelCredentials;
import io.grpc.ConnectivityState;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Channels to the three backends (round_robin over whatever the target resolves to, skipping
 * replicas whose readiness is not SERVING). A call that fails because its replica died is retried
 * by {@link AskChain} on another one. The gateway is ready while every backend has a ready replica.
 */
public final class Backends implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Backends.class);
    public static final String IN_PROCESS = "in-process:";
    private static final int MAX_MESSAGE = 64 * 1024 * 1024;
    /** How long a caller refused for an unreachable backend should wait before trying again. */
    static final Duration UNREACHABLE_RETRY = Duration.ofSeconds(1);

    /**
     * gRPC service config: client-side health checking on each replica's "readiness" service, so
     * round_robin sends nothing to a replica that is still warming up or has begun to drain.
     */
    private static final Map<String, Object> SERVICE_CONFIG =
            Map.of("healthCheckConfig", Map.of("serviceName", "readiness"));

    private final ManagedChannel tokenizer;
    private final ManagedChannel pruner;
    private final ManagedChannel runner;
    private final BackendTargets targets;
    private Consumer<Boolean> readiness;
    private Boolean lastReady;

    public Backends(BackendTargets targets) {
        this(targets, null);
    }

    /** @param discovery where backends' replicas are found; null = gRPC's own resolver (DNS) */
    public Backends(BackendTargets targets, BackendDiscovery discovery) {
        this(targets, discovery, null);
    }

    /** @param tls TLS (with this gateway's client certificate for the backends' mutual TLS); null = plaintext */
    public Backends(BackendTargets targets, BackendDiscovery discovery, TlsFiles tls) {
        this.targets = targets;
        ChannelCredentials creds = tls == null ? InsecureChannelCredentials.create() : tls.channelCredentials();
        this.tokenizer = channel(targets.tokenizer(), discovery, creds);
        this.pruner = channel(targets.pruner(), discovery, creds);
        this.runner = channel(targets.runner(), discovery, creds);
    }

    public static ManagedChannel channel(String target, BackendDiscovery discovery) {
        return channel(target, discovery, InsecureChannelCredentials.create());
    }

    @SuppressWarnings("deprecation")   // a per-channel resolver factory keeps the discovery out of the global registry
    static ManagedChannel channel(String target, BackendDiscovery discovery, ChannelCredentials creds) {
        if (target.startsWith(IN_PROCESS)) {
            return InProcessChannelBuilder.forName(target.substring(IN_PROCESS.length()))
                    .maxInboundMessageSize(MAX_MESSAGE).defaultServiceConfig(SERVICE_CONFIG).disableRetry().build();
        }
        // a full gRPC target URI (dns:///svc:50051, ...) goes to gRPC's own resolver
        var builder = discovery == null || target.contains("://")
                ? Grpc.newChannelBuilder(target, creds)
                : Grpc.newChannelBuilder(DiscoveryNameResolver.SCHEME + ":///" + target, creds)
                .nameResolverFactory(new DiscoveryNameResolver.Factory(discovery));
        return builder
                .defaultLoadBalancingPolicy("round_robin")
                .defaultServiceConfig(SERVICE_CONFIG)
                // AskChain retries on another replica itself: gRPC's retry machinery left calls unretried
                // that had died with their replica (1 in 67 in the kill test)
                .disableRetry()
                .maxInboundMessageSize(MAX_MESSAGE)
                .keepAliveTime(30, TimeUnit.SECONDS)
                // readiness follows the channels' state; an idle channel would read as not ready
                .idleTimeout(30, TimeUnit.DAYS)
                .build();
    }

    public ImageTokenizerGrpc.ImageTokenizerBlockingStub tokenizer() {
        return ImageTokenizerGrpc.newBlockingStub(tokenizer);
    }

    public TokenPrunerGrpc.TokenPrunerBlockingStub pruner() {
        return TokenPrunerGrpc.newBlockingStub(pruner);
    }

    public VlmRunnerGrpc.VlmRunnerBlockingStub runner() {
        return VlmRunnerGrpc.newBlockingStub(runner);
    }

    /**
     * Refuses at once, before any stage runs, while a backend has no reachable replica (its channel
     * is in TRANSIENT_FAILURE): the work of the earlier stages would be wasted.
     */
    public void requireReachable() {
        check("image-tokenizer", tokenizer, targets.tokenizer());
        check("token-pruner", pruner, targets.pruner());
        check("vlm-runner", runner, targets.runner());
    }

    /** The caller learns the stage; its address is internal and goes to the log under an error id. */
    private static void check(String stage, ManagedChannel c, String target) {
        if (c.getState(true) == ConnectivityState.TRANSIENT_FAILURE) {
            String id = java.util.UUID.randomUUID().toString().substring(0, 8);
            LOG.warn("{}: no reachable replica at {} (error id {})", stage, target, id);
            throw GlimpseException.unavailable(stage + ": no reachable replica; retry in " + UNREACHABLE_RETRY.toMillis()
                    + " ms (error id " + id + ")", UNREACHABLE_RETRY);
        }
    }

    /** Calls {@code listener} with true once every backend has a connected replica, false when one has none. */
    public synchronized void watchReadiness(Consumer<Boolean> listener) {
        this.readiness = listener;
        for (ManagedChannel c : List.of(tokenizer, pruner, runner)) {
            watch(c);
        }
        publish();
    }

    private void watch(ManagedChannel c) {
        ConnectivityState s = c.getState(true);
        c.notifyWhenStateChanged(s, () -> {
            if (!c.isShutdown()) {
                watch(c);
                publish();
            }
        });
    }

    private synchronized void publish() {
        boolean ready = List.of(tokenizer, pruner, runner).stream()
                .allMatch(c -> c.getState(false) == ConnectivityState.READY);
        if (readiness != null && !Boolean.valueOf(ready).equals(lastReady)) {
            lastReady = ready;
            readiness.accept(ready);
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (ManagedChannel c : List.of(tokenizer, pruner, runner)) {
            c.shutdown();
        }
        for (ManagedChannel c : List.of(tokenizer, pruner, runner)) {
            if (!c.awaitTermination(5, TimeUnit.SECONDS)) {
                c.shutdownNow();
            }
        }
    }
}
