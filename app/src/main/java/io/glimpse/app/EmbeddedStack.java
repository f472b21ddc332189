package io.glimpse.app;

import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.common.server.RpcMetricsInterceptor;
import io.glimpse.common.server.ServerConfig;
import io.grpc.ServerInterceptor;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.glimpse.common.server.ServiceHost;
import io.glimpse.gateway.GatewayServer;
import io.glimpse.gateway.chain.BackendTargets;
import io.glimpse.gateway.auth.AccessPolicy;
import io.glimpse.gateway.chain.GatewayLimits;
import io.glimpse.gateway.http.HttpApiConfig;
import io.glimpse.gateway.http.HttpGateway;
import io.glimpse.proto.v1.GlimpseGrpc;
import io.glimpse.pruner.PrunerServer;
import io.glimpse.runner.RunnerServer;
import io.glimpse.runner.engine.RunnerLimits;
import io.glimpse.runner.engine.VlmEngine;
import io.glimpse.tokenizer.TokenizerServer;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The four services in one JVM, chained over real gRPC: in-process transport, or TCP on loopback
 * ports. Used by {@code glimpse serve all}, {@code demo}, {@code ask}/{@code eval}/{@code bench}
 * without {@code --target}, and the end-to-end tests.
 */
public final class EmbeddedStack implements AutoCloseable {
    public enum Transport { IN_PROCESS, LOOPBACK }

    private final List<ServiceHost> hosts = new ArrayList<>();
    private ManagedChannel channel;
    private VlmEngine runnerEngine;
    private ServiceHost gateway;

    private EmbeddedStack() {
    }

    /**
     * The four services' settings: the same typed configs {@code glimpse serve <service>} uses. The
     * stack overrides only where each listens (loopback ports or in-process names) and the
     * gateway's backend targets.
     */
    public record Services(TokenizerServer.Config tokenizer, PrunerServer.Config pruner, RunnerServer.Config runner,
                           GatewayLimits gateway, ServerConfig gatewayServer, AccessPolicy access, HttpApiConfig http) {
        public static Services defaults(ModelBundle bundle, OrtSessionFactory sessions) {
            ServerConfig base = ServerConfig.tcp(0);
            return new Services(TokenizerServer.Config.defaults(bundle, sessions, base),
                    new PrunerServer.Config(PrunerServer.DEFAULT_MAX_IMAGES, bundle, sessions, base),
                    new RunnerServer.Config(bundle, sessions, RunnerLimits.defaults(), base),
                    GatewayLimits.defaults(), base.withReflection(false), AccessPolicy.open(), null);
        }

        public Services withRunnerLimits(RunnerLimits limits) {
            return new Services(tokenizer, pruner, new RunnerServer.Config(runner.bundle(), runner.sessions(), limits,
                    runner.server()), gateway, gatewayServer, access, http);
        }

        public Services withGateway(GatewayLimits limits) {
            return new Services(tokenizer, pruner, runner, limits, gatewayServer, access, http);
        }

        public Services withAccess(AccessPolicy a) {
            return new Services(tokenizer, pruner, runner, gateway, gatewayServer, a, http);
        }

        public Services withGatewayServer(ServerConfig s) {
            return new Services(tokenizer, pruner, runner, gateway, s, access, http);
        }

        /** The tokenizer's encoder cache in bytes (0 = none). */
        public Services withEncoderCache(long bytes) {
            TokenizerServer.Config t = tokenizer;
            return new Services(new TokenizerServer.Config(t.bundle(), t.sessions(), t.limits(), t.maxImages(), t.maxConcurrent(),
                    t.maxQueued(), t.batching(), t.server(), bytes), pruner, runner, gateway, gatewayServer, access, http);
        }

        /** The gateway's HTTP port (null = none). */
        public Services withHttp(HttpApiConfig h) {
            return new Services(tokenizer, pruner, runner, gateway, gatewayServer, access, h);
        }
    }

    public static EmbeddedStack start(ModelBundle bundle, OrtSessionFactory sessions, Transport transport) {
        return start(bundle, sessions, transport, RunnerLimits.defaults(), transport == Transport.LOOPBACK ? 0 : -1);
    }

    /** @param gatewayPort TCP port of the gateway for LOOPBACK (0 = any free one) */
    public static EmbeddedStack start(ModelBundle bundle, OrtSessionFactory sessions, Transport transport,
                                      RunnerLimits runnerLimits, int gatewayPort) {
        return start(Services.defaults(bundle, sessions).withRunnerLimits(runnerLimits), transport, gatewayPort,
                new SimpleMeterRegistry());
    }

    /**
     * @param gatewayPort TCP port of the gateway for LOOPBACK (0 = any free one), on the gateway
     *                    server's bind address; the backends always listen on loopback
     * @param meters      every service's metrics (RPC counts and latency, queues, tokens) go here
     */
    public static EmbeddedStack start(Services c, Transport transport, int gatewayPort, MeterRegistry meters) {
        EmbeddedStack s = new EmbeddedStack();
        try {
            String id = UUID.randomUUID().toString().substring(0, 8);
            ServiceHost tokenizer = TokenizerServer.start(c.tokenizer().withServer(
                    server(c.tokenizer().server(), transport, "glimpse-" + id + "-tokenizer")), rpcMetrics(meters, "tokenizer"), meters);
            s.hosts.add(tokenizer);
            ServiceHost pruner = PrunerServer.start(c.pruner().withServer(
                    server(c.pruner().server(), transport, "glimpse-" + id + "-pruner")), rpcMetrics(meters, "pruner"), meters);
            s.hosts.add(pruner);
            RunnerServer.Running runner = RunnerServer.start(c.runner().withServer(
                    server(c.runner().server(), transport, "glimpse-" + id + "-runner")), rpcMetrics(meters, "runner"), meters);
            s.hosts.add(runner.host());
            s.runnerEngine = runner.engine();
            BackendTargets targets = transport == Transport.IN_PROCESS
                    ? new BackendTargets("in-process:glimpse-" + id + "-tokenizer", "in-process:glimpse-" + id + "-pruner",
                    "in-process:glimpse-" + id + "-runner")
                    : new BackendTargets("127.0.0.1:" + tokenizer.port(), "127.0.0.1:" + pruner.port(),
                    "127.0.0.1:" + runner.host().port());
            ServerConfig gw = transport == Transport.IN_PROCESS
                    ? c.gatewayServer().withPort(-1).withInProcessName("glimpse-" + id + "-gateway")
                    : c.gatewayServer().withPort(gatewayPort).withInProcessName(null);
            s.gateway = GatewayServer.start(new GatewayServer.Config(targets, c.gateway(), gw, null, c.access(), null, c.http()),
                    rpcMetrics(meters, "gateway"), meters);
            s.hosts.add(s.gateway);
            s.channel = transport == Transport.IN_PROCESS
                    ? InProcessChannelBuilder.forName("glimpse-" + id + "-gateway").maxInboundMessageSize(64 << 20).build()
                    : Grpc.newChannelBuilder(hostFor(gw.bind()) + ":" + s.gateway.port(), InsecureChannelCredentials.create())
                    .maxInboundMessageSize(64 << 20).build();
            return s;
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** A wildcard bind is reached through loopback. */
    private static String hostFor(String bind) {
        return bind.equals("0.0.0.0") || bind.equals("::") ? "127.0.0.1" : bind.contains(":") ? "[" + bind + "]" : bind;
    }

    /** Backends in one JVM: loopback or in-process, plaintext (the hop never leaves the machine). */
    private static ServerConfig server(ServerConfig base, Transport t, String name) {
        return t == Transport.IN_PROCESS ? base.withPort(-1).withInProcessName(name).withTls(null)
                : base.withBind(ServerConfig.LOOPBACK).withPort(0).withInProcessName(null).withTls(null);
    }

    private static List<ServerInterceptor> rpcMetrics(MeterRegistry meters, String service) {
        return List.of(new RpcMetricsInterceptor(meters, service));
    }

    public ManagedChannel channel() {
        return channel;
    }

    public GlimpseGrpc.GlimpseBlockingStub blocking() {
        return GlimpseGrpc.newBlockingStub(channel);
    }

    public GlimpseGrpc.GlimpseStub async() {
        return GlimpseGrpc.newStub(channel);
    }

    public VlmEngine runnerEngine() {
        return runnerEngine;
    }

    /** The backends in chain order: image-tokenizer, token-pruner, vlm-runner (tests call them directly). */
    public List<ServiceHost> backends() {
        return List.copyOf(hosts.subList(0, 3));
    }

    /** The gateway's HTTP API (OpenAI-compatible, explorer page), or null when it has none. */
    public HttpGateway http() {
        return GatewayServer.http(gateway);
    }

    /** Gateway TCP port (LOOPBACK), else -1. */
    public int gatewayPort() {
        return gateway.port();
    }

    public void awaitTermination() throws InterruptedException {
        gateway.awaitTermination();
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.shutdownNow();
            try {
                channel.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (int i = hosts.size() - 1; i >= 0; i--) {
            hosts.get(i).close();
        }
    }
}
