package io.glimpse.common;

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
}
