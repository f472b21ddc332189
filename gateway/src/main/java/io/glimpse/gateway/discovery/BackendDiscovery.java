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
}
