package io.glimpse.app;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.glimpse.common.server.TlsFiles;
import io.glimpse.gateway.grpc.ApiKeyInterceptor;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;

/** --target and how to reach it: TLS and an API key. Shared by ask, eval and bench. */
final class RemoteOptions {
    @Option(names = "--target", description = "Gateway host:port (default: run the chain in this JVM).")
    String target;

    @Option(names = "--tls", description = "Reach --target over TLS, trusting the JDK's CAs (implied by --tls-ca).")
    boolean tls;

    @Option(names = "--tls-ca", description = "Reach --target over TLS, trusting this CA (PEM).")
    Path tlsCa;

    @Option(names = "--tls-cert", description = "Client certificate (PEM) when --target asks for one.")
    Path tlsCert;

    @Option(names = "--tls-key", description = "The client certificate's private key (PEM).")
    Path tlsKey;

    @Option(names = "--api-key", defaultValue = "${env:GLIMPSE_API_KEY}",
            description = "API key for --target (default: $GLIMPSE_API_KEY); sent as 'authorization: Bearer <key>'.")
    String apiKey;

    boolean remote() {
        return target != null && !target.isBlank();
    }

    ManagedChannel channel() {
        ChannelCredentials creds = tls || tlsCa != null || tlsCert != null
                ? new TlsFiles(tlsCert, tlsKey, tlsCa, Duration.ofMinutes(10)).channelCredentials()
                : InsecureChannelCredentials.create();
        return Grpc.newChannelBuilder(target, creds).maxInboundMessageSize(64 << 20).build();
    }

    /** {@code client} sending {@code key} as {@code authorization: Bearer <key>} on every call; unchanged without a key. */
    static <S extends AbstractStub<S>> S withKey(S client, String key) {
        if (key == null || key.isBlank()) {
            return client;
        }
        Metadata m = new Metadata();
        m.put(ApiKeyInterceptor.AUTHORIZATION, "Bearer " + key.strip());
        return client.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(m));
    }

}
