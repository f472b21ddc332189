package io.glimpse.gateway;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.glimpse.common.server.ServerConfig;
import io.glimpse.common.server.ServiceHost;
import io.glimpse.gateway.discovery.KubernetesDiscovery;
import io.glimpse.gateway.grpc.Backends;
import io.glimpse.proto.v1.PruneRequest;
import io.glimpse.proto.v1.PruneResponse;
import io.glimpse.proto.v1.TokenPrunerGrpc;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway's Kubernetes discovery against fabric8's mock API server (CRUD mode): real gRPC
 * backends on loopback, registered in EndpointSlices, reached through the discovery name resolver
 * and round_robin while slices are added, marked not ready and deleted.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesDiscoveryTest {
    static final String NS = "glimpse";
    static final String SERVICE = "token-pruner";
    KubernetesClient client;

    /** A backend that counts its calls. */
    static final class Backend extends TokenPrunerGrpc.TokenPrunerImplBase {
        final AtomicInteger calls = new AtomicInteger();
        ServiceHost host;

        @Override
        public void prune(PruneRequest request, StreamObserver<PruneResponse> out) {
            calls.incrementAndGet();
            out.onNext(PruneResponse.getDefaultInstance());
            out.onCompleted();
        }
    }

    static EndpointSlice slice(String name, int port, boolean ready) {
        return new EndpointSliceBuilder()
                .withNewMetadata().withName(name).withNamespace(NS)
                .addToLabels(KubernetesDiscovery.SERVICE_LABEL, SERVICE).endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("grpc").withPort(port).withProtocol("TCP").endPort()
                .withEndpoints(new EndpointBuilder().withAddresses("127.0.0.1")
                        .withNewConditions().withReady(ready).withTerminating(false).endConditions().build())
                .build();
    }

    static void await(BooleanSupplier condition, long millis, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < end, what);
            Thread.sleep(20);
        }
    }

    @Test
    void spreadsOverReadyEndpointsAndFollowsChanges() throws Exception {
        List<Backend> backends = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Backend b = new Backend();
            b.host = ServiceHost.start("backend-" + i, ServerConfig.tcp(0), List.of(b), List.of());
            b.host.markReady();
            backends.add(b);
        }
        AtomicInteger failures = new AtomicInteger();
        try (KubernetesDiscovery discovery = new KubernetesDiscovery(client, NS)) {
            for (int i = 0; i < 3; i++) {
                client.resource(slice("slice-" + i, backends.get(i).host.port(), true)).create();
            }
            ManagedChannel channel = Backends.channel(SERVICE, discovery);
            TokenPrunerGrpc.TokenPrunerBlockingStub stub = TokenPrunerGrpc.newBlockingStub(channel);
            Runnable call = () -> {
                try {
                    stub.withDeadlineAfter(5, TimeUnit.SECONDS).prune(PruneRequest.getDefaultInstance());
                } catch (RuntimeException e) {
                    failures.incrementAndGet();
                }
            };
            try {
                // the informer delivers the three slices; round_robin spreads over all of them
                await(() -> {
                    call.run();
                    return backends.stream().limit(3).allMatch(b -> b.calls.get() > 0);
                }, 5000, "all three endpoints get calls");
                backends.forEach(b -> b.calls.set(0));
                for (int i = 0; i < 300; i++) {
                    call.run();
                }
                for (int i = 0; i < 3; i++) {
                    assertTrue(backends.get(i).calls.get() >= 60, "backend " + i + " got " + backends.get(i).calls.get() + " of 300");
                }

                // a fourth endpoint receives traffic within 2 seconds
                client.resource(slice("slice-3", backends.get(3).host.port(), true)).create();
                long t0 = System.nanoTime();
                await(() -> {
                    call.run();
                    return backends.get(3).calls.get() > 0;
                }, 2000, "the new endpoint gets traffic within 2 s");
                System.out.printf("new endpoint served after %.0f ms%n", (System.nanoTime() - t0) / 1e6);

                // marked not ready, then removed: no traffic afterwards
                client.resource(slice("slice-1", backends.get(1).host.port(), false)).update();
                client.resources(EndpointSlice.class).inNamespace(NS).withName("slice-2").delete();
                Thread.sleep(1000);
                backends.forEach(b -> b.calls.set(0));
                for (int i = 0; i < 200; i++) {
                    call.run();
                }
                assertEquals(0, backends.get(1).calls.get(), "a not-ready endpoint gets nothing");
                assertEquals(0, backends.get(2).calls.get(), "a removed endpoint gets nothing");
                assertEquals(200, backends.get(0).calls.get() + backends.get(3).calls.get());
                assertEquals(0, failures.get(), "no request failed during the changes");
            } finally {
                channel.shutdownNow();
            }
        } finally {
            for (Backend b : backends) {
                b.host.close();
            }
        }
    }

    /** Terminating-but-serving endpoints are used only while no endpoint is ready; ports are taken by name. */
    @Test
    void fallsBackToServingTerminatingEndpointsAndTakesPortsByName() {
        EndpointSlice draining = new EndpointSliceBuilder().withNewMetadata().withName("a").endMetadata()
                .addNewPort().withName("grpc-main").withPort(7001).endPort()
                .withEndpoints(new EndpointBuilder().withAddresses("10.0.0.1").withNewConditions().withReady(false)
                        .withServing(true).withTerminating(true).endConditions().build(),
                        new EndpointBuilder().withAddresses("10.0.0.2").withNewConditions().withReady(false)
                                .withServing(false).withTerminating(true).endConditions().build())
                .build();
        assertEquals(List.of(new java.net.InetSocketAddress("10.0.0.1", 7001)), KubernetesDiscovery.ready(List.of(draining)),
                "with nothing ready, the endpoint still serving while it terminates is used");
        EndpointSlice fresh = slice("b", 7002, true);
        assertEquals(1, KubernetesDiscovery.ready(List.of(draining, fresh)).size(), "a ready endpoint is preferred");
        EndpointSlice http = new EndpointSliceBuilder().withNewMetadata().withName("c").endMetadata()
                .addNewPort().withName("http").withPort(8080).endPort()
                .withEndpoints(new EndpointBuilder().withAddresses("10.0.0.3").build()).build();
        assertEquals(null, KubernetesDiscovery.port(http), "a port named otherwise is not guessed at");
        assertTrue(KubernetesDiscovery.ready(List.of(http)).isEmpty());
    }
}
