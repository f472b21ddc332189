package io.glimpse.gateway;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceListBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.glimpse.gateway.discovery.BackendDiscovery;
import io.glimpse.gateway.discovery.KubernetesDiscovery;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The EndpointSlice watch survives a failed start: fabric8's mock API server (expectations mode)
 * answers the first two lists 403 Forbidden — a missing RBAC rule being fixed, an API-server blip —
 * and the third with a ready endpoint, which the discovery then publishes.
 */
@EnableKubernetesMockClient
class DiscoveryRetryTest {
    static final String NS = "glimpse";
    static final String SERVICE = "token-pruner";
    KubernetesMockServer server;
    KubernetesClient client;

    @Test
    void retriesAfterForbiddenUntilTheListSucceeds() throws Exception {
        String list = "/apis/discovery.k8s.io/v1/namespaces/" + NS + "/endpointslices?labelSelector="
                + "kubernetes.io%2Fservice-name%3D" + SERVICE + "&resourceVersion=0";
        server.expect().get().withPath(list).andReturn(403, new StatusBuilder().withCode(403)
                .withReason("Forbidden").withMessage("endpointslices is forbidden").build()).times(2);
        server.expect().get().withPath(list).andReturn(200, new EndpointSliceListBuilder()
                .withMetadata(new io.fabric8.kubernetes.api.model.ListMetaBuilder().withResourceVersion("5").build())
                .addToItems(KubernetesDiscoveryTest.slice("slice-0", 50123, true)).build()).once();
        List<List<InetSocketAddress>> published = new CopyOnWriteArrayList<>();
        List<String> errors = new CopyOnWriteArrayList<>();
        try (KubernetesDiscovery discovery = new KubernetesDiscovery(client, NS)) {
            discovery.watch(SERVICE, new BackendDiscovery.Listener() {
                @Override
                public void onAddresses(List<InetSocketAddress> addresses) {
                    published.add(addresses);
                }

                @Override
                public void onError(String message) {
                    errors.add(message);
                }
            });
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (published.stream().noneMatch(l -> !l.isEmpty()) && System.nanoTime() < end) {
                Thread.sleep(50);
            }
            assertTrue(published.stream().anyMatch(l -> l.equals(List.of(new InetSocketAddress("127.0.0.1", 50123)))),
                    "the endpoint is published after the failed lists; published " + published + ", errors " + errors);
            assertEquals(2, errors.size(), "each failed list is reported to the resolver: " + errors);
            assertTrue(errors.get(0).contains("Forbidden") || errors.get(0).contains("forbidden"), errors.get(0));
        }
    }
}
