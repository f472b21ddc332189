package io.glimpse.gateway.discovery;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * Where a backend's ready replicas are. Implementations push the complete current list on every
 * change; the gateway's name resolver hands it to gRPC's round_robin balancer.
 */
public interface BackendDiscovery extends AutoCloseable {
    /** Receives the full list of ready addresses after each change (possibly empty). */
    interface Listener {
        void onAddresses(List<InetSocketAddress> addresses);

        void onError(String message);
    }

    /** Starts watching {@code service}; the listener gets the current list at once and every change after. */
    AutoCloseable watch(String service, Listener listener);

    @Override
    void close();

    /**
     * The discovery {@code --discovery} names: {@code static} (fixed addresses), {@code kubernetes}
     * (EndpointSlices in {@code namespace}, or the pod's own when blank), or {@code dns}, which is
     * gRPC's own resolver and so no discovery here (null).
     */
    static BackendDiscovery named(String kind, String namespace) {
        return switch (kind.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "static" -> new StaticDiscovery();
            case "dns" -> null;
            case "kubernetes" -> KubernetesDiscovery.inCluster(namespace);
            default -> throw new IllegalArgumentException("--discovery must be static, kubernetes or dns, got " + kind);
        };
    }
}
