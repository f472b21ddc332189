package io.glimpse.app;

import io.glimpse.proto.v1.GlimpseGrpc;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;

import java.util.concurrent.TimeUnit;

/** A gateway to talk to: a running one at {@code --target}, or an embedded stack started here. */
final class GlimpseConnection implements AutoCloseable {
    private final ManagedChannel remote;
    private final EmbeddedStack embedded;

    private GlimpseConnection(ManagedChannel remote, EmbeddedStack embedded) {
        this.remote = remote;
        this.embedded = embedded;
    }

    static GlimpseConnection open(String target, ModelOptions model, EmbeddedStack.Transport transport) {
        if (target != null && !target.isBlank()) {
            return new GlimpseConnection(Grpc.newChannelBuilder(target, InsecureChannelCredentials.create())
                    .maxInboundMessageSize(64 << 20).build(), null);
        }
        return new GlimpseConnection(null, EmbeddedStack.start(model.openBundle(), model.sessions(), transport));
    }

    GlimpseGrpc.GlimpseBlockingStub blocking() {
        return GlimpseGrpc.newBlockingStub(remote != null ? remote : embedded.channel());
    }

    GlimpseGrpc.GlimpseStub async() {
        return GlimpseGrpc.newStub(remote != null ? remote : embedded.channel());
    }

    @Override
    public void close() throws InterruptedException {
        if (remote != null) {
            remote.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
        }
        if (embedded != null) {
            embedded.close();
        }
    }
}
