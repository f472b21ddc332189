package io.glimpse.app;

import io.glimpse.proto.v1.GlimpseGrpc;
import io.grpc.ManagedChannel;

import java.util.concurrent.TimeUnit;

/** A gateway to talk to: a running one at {@code --target}, or an embedded stack started here. */
final class GlimpseConnection implements AutoCloseable {
    private final ManagedChannel remote;
    private final String key;
    private final EmbeddedStack embedded;

    private GlimpseConnection(ManagedChannel remote, String key, EmbeddedStack embedded) {
        this.remote = remote;
        this.key = key;
        this.embedded = embedded;
    }

    static GlimpseConnection open(RemoteOptions r, ModelOptions model, EmbeddedStack.Transport transport) {
        return open(r, model, transport, true);
    }

    /**
     * @param encoderCache whether an embedded chain's tokenizer keeps encoder results: benchmarks
     *                     that send the same few images again and again turn it off to measure the work
     */
    static GlimpseConnection open(RemoteOptions r, ModelOptions model, EmbeddedStack.Transport transport, boolean encoderCache) {
        if (r != null && r.remote()) {
            return new GlimpseConnection(r.channel(), r.apiKey, null);
        }
        EmbeddedStack.Services s = EmbeddedStack.Services.defaults(model.openBundle(), model.sessions());
        return new GlimpseConnection(null, null, EmbeddedStack.start(encoderCache ? s : s.withEncoderCache(0),
                transport, transport == EmbeddedStack.Transport.LOOPBACK ? 0 : -1,
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry()));
    }

    GlimpseGrpc.GlimpseBlockingStub blocking() {
        return RemoteOptions.withKey(GlimpseGrpc.newBlockingStub(remote != null ? remote : embedded.channel()), key);
    }

    GlimpseGrpc.GlimpseStub async() {
        return RemoteOptions.withKey(GlimpseGrpc.newStub(remote != null ? remote : embedded.channel()), key);
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
