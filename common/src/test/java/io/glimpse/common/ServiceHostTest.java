package io.glimpse.common;

import io.glimpse.common.metrics.MetricsEndpoint;
import io.glimpse.common.server.ServerConfig;
import io.glimpse.common.server.ServiceHost;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ServiceHostTest {
    @Test
    void readinessTurnsServingOnlyWhenMarkedReady() {
        ServiceHost host = ServiceHost.start("test", ServerConfig.inProcess("host-test"), List.of(), List.of());
        ManagedChannel ch = InProcessChannelBuilder.forName("host-test").build();
        try {
            var health = HealthGrpc.newBlockingStub(ch);
            assertEquals(ServingStatus.SERVING, health.check(HealthCheckRequest.newBuilder().build()).getStatus());
            assertEquals(ServingStatus.NOT_SERVING,
                    health.check(HealthCheckRequest.newBuilder().setService(ServiceHost.READINESS).build()).getStatus());
            host.markReady();
            assertEquals(ServingStatus.SERVING,
                    health.check(HealthCheckRequest.newBuilder().setService(ServiceHost.READINESS).build()).getStatus());
        } finally {
            ch.shutdownNow();
            host.close();
        }
    }

    /** Servers listen on loopback unless told otherwise. */
    @Test
    void listensOnLoopbackByDefault() {
        ServiceHost host = ServiceHost.start("test", ServerConfig.tcp(0), List.of(), List.of());
        try {
            assertEquals("127.0.0.1:" + host.port(), host.describe());
        } finally {
            host.close();
        }
    }

    /** A connection that sends half a request and stalls does not hold the metrics endpoint for everyone. */
    @Test
    void stalledMetricsConnectionDoesNotBlockScrapes() throws Exception {
        var registry = new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
                io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
        registry.counter("glimpse.test.scrapes").increment();
        try (MetricsEndpoint endpoint = MetricsEndpoint.start(registry, "127.0.0.1", 0);
             java.net.Socket stalled = new java.net.Socket("127.0.0.1", endpoint.port())) {
            stalled.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\n".getBytes());
            stalled.getOutputStream().flush();
            Thread.sleep(200);
            var client = java.net.http.HttpClient.newBuilder().connectTimeout(java.time.Duration.ofSeconds(2)).build();
            var response = client.send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create("http://127.0.0.1:" + endpoint.port() + "/metrics"))
                    .timeout(java.time.Duration.ofSeconds(2)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode());
            org.junit.jupiter.api.Assertions.assertTrue(response.body().contains("glimpse_test_scrapes_total 1.0"), response.body());
        }
    }
}
