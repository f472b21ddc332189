package io.glimpse.gateway.grpc;

import io.glimpse.gateway.chain.BackendTargets;
import io.glimpse.gateway.discovery.BackendDiscovery;
import io.glimpse.proto.v1.ImageTokenizerGrpc;
import io.glimpse.proto.v1.TokenPrunerGrpc;
import io.glimpse.proto.v1.VlmRunnerGrpc;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;

import java.util.List;
import java.util.concurrent.TimeUnit;

/** Channels to the three backends (round_robin over whatever the target resolves to). */
public final class Backends implements AutoCloseable {
    public static final String IN_PROCESS = "in-process:";
    private static final int MAX_MESSAGE = 64 * 1024 * 1024;

    private final ManagedChannel tokenizer;
    private final ManagedChannel pruner;
    private final ManagedChannel runner;

    public Backends(BackendTargets targets) {
        this(targets, null);
    }

    /** @param discovery where backends' replicas are found; null = gRPC's own resolver (DNS) */
    public Backends(BackendTargets targets, BackendDiscovery discovery) {
        this.tokenizer = channel(targets.tokenizer(), discovery);
        this.pruner = channel(targets.pruner(), discovery);
        this.runner = channel(targets.runner(), discovery);
    }

    @SuppressWarnings("deprecation")   // a per-channel resolver factory keeps the discovery out of the global registry
    public static ManagedChannel channel(String target, BackendDiscovery discovery) {
        if (target.startsWith(IN_PROCESS)) {
            return InProcessChannelBuilder.forName(target.substring(IN_PROCESS.length()))
                    .maxInboundMessageSize(MAX_MESSAGE).build();
        }
        // a full gRPC target URI (dns:///svc:50051, ...) goes to gRPC's own resolver
        var builder = discovery == null || target.contains("://")
                ? Grpc.newChannelBuilder(target, InsecureChannelCredentials.create())
                : Grpc.newChannelBuilder(DiscoveryNameResolver.SCHEME + ":///" + target, InsecureChannelCredentials.create())
                .nameResolverFactory(new DiscoveryNameResolver.Factory(discovery));
        return builder
                .defaultLoadBalancingPolicy("round_robin")
                .maxInboundMessageSize(MAX_MESSAGE)
                .keepAliveTime(30, TimeUnit.SECONDS)
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
