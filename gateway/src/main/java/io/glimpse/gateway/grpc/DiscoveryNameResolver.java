package io.glimpse.gateway.grpc;

import io.glimpse.gateway.discovery.BackendDiscovery;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.Status;

import java.net.SocketAddress;
import java.net.URI;
import java.util.List;

/**
 * gRPC name resolver fed by a {@link BackendDiscovery}: target {@code discovery:///SERVICE}. Every
 * list the discovery pushes becomes the channel's address set (one group per address), so
 * round_robin spreads calls over every ready replica and drops removed ones.
 */
final class DiscoveryNameResolver extends NameResolver {
    static final String SCHEME = "discovery";

    private final BackendDiscovery discovery;
    private final String service;
    private final NameResolver.Args args;
    private AutoCloseable watch;

    DiscoveryNameResolver(BackendDiscovery discovery, String service, NameResolver.Args args) {
        this.discovery = discovery;
        this.service = service;
        this.args = args;
    }

    @Override
    public String getServiceAuthority() {
        return service;
    }

    @Override
    public void start(Listener2 listener) {
        watch = discovery.watch(service, new BackendDiscovery.Listener() {
            @Override
            public void onAddresses(List<java.net.InetSocketAddress> addresses) {
                args.getSynchronizationContext().execute(() -> {
                    if (addresses.isEmpty()) {
                        listener.onError(Status.UNAVAILABLE.withDescription("no ready endpoints for " + service));
                        return;
                    }
                    List<EquivalentAddressGroup> groups = addresses.stream()
                            .map(a -> new EquivalentAddressGroup((SocketAddress) a)).toList();
                    listener.onResult(ResolutionResult.newBuilder().setAddresses(groups).build());
                });
            }

            @Override
            public void onError(String message) {
                args.getSynchronizationContext().execute(() ->
                        listener.onError(Status.UNAVAILABLE.withDescription(message)));
            }
        });
    }

    @Override
    public void shutdown() {
        if (watch != null) {
            try {
                watch.close();
            } catch (Exception ignored) {
                // the watch is being torn down with the channel
            }
        }
    }

    /** Creates resolvers for {@code discovery:///SERVICE} targets on one channel. */
    static final class Factory extends NameResolver.Factory {
        private final BackendDiscovery discovery;

        Factory(BackendDiscovery discovery) {
            this.discovery = discovery;
        }

        @Override
        public NameResolver newNameResolver(URI target, NameResolver.Args args) {
            if (!SCHEME.equals(target.getScheme())) {
                return null;
            }
            String path = target.getPath();
            return new DiscoveryNameResolver(discovery, path.startsWith("/") ? path.substring(1) : path, args);
        }

        @Override
        public String getDefaultScheme() {
            return SCHEME;
        }
    }
}
