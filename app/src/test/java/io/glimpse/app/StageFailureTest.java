package io.glimpse.app;

import io.glimpse.common.server.ServerConfig;
import io.glimpse.common.server.ServiceHost;
import io.glimpse.gateway.GatewayServer;
import io.glimpse.gateway.chain.BackendTargets;
import io.glimpse.gateway.chain.GatewayLimits;
import io.glimpse.proto.v1.GlimpseGrpc;
import io.glimpse.pruner.PrunerServer;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A stage that is down answers with its own status code and the stage's name in the message. */
class StageFailureTest {
    @Test
    void unreachableBackendIsNamed() {
        ServiceHost gateway = GatewayServer.start(new GatewayServer.Config(
                new BackendTargets("in-process:nobody-tokenizer", "in-process:nobody-pruner", "in-process:nobody-runner"),
                GatewayLimits.defaults(), ServerConfig.inProcess("stage-failure-gw")), List.of());
        ManagedChannel ch = InProcessChannelBuilder.forName("stage-failure-gw").build();
        try {
            ExampleSet.Example e = StackFixture.examples().examples().get(0);
            StatusRuntimeException ex = assertThrows(StatusRuntimeException.class,
                    () -> GlimpseGrpc.newBlockingStub(ch).ask(StackFixture.ask(e).build()));
            assertEquals(Status.Code.UNAVAILABLE, ex.getStatus().getCode());
            assertTrue(ex.getStatus().getDescription().startsWith("image-tokenizer: "), ex.getStatus().getDescription());
        } finally {
            ch.shutdownNow();
            gateway.close();
        }
    }

    @Test
    void prunerValidatesTokensItIsSent() {
        ServiceHost pruner = PrunerServer.start(new PrunerServer.Config(8, ServerConfig.inProcess("stage-failure-pruner")), List.of());
        ManagedChannel ch = InProcessChannelBuilder.forName("stage-failure-pruner").build();
        try {
            var stub = io.glimpse.proto.v1.TokenPrunerGrpc.newBlockingStub(ch);
            io.glimpse.proto.v1.Tensor nan = io.glimpse.common.grpc.TensorCodec.encode(
                    io.glimpse.common.tensor.FloatTensor.of(new float[]{Float.NaN, 1f}, 1, 2));
            StatusRuntimeException ex = assertThrows(StatusRuntimeException.class, () -> stub.prune(
                    io.glimpse.proto.v1.PruneRequest.newBuilder().addImages(io.glimpse.proto.v1.VisualTokens.newBuilder()
                            .setEmbeddings(nan).addOrigin(0).setSpan(1)).build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, ex.getStatus().getCode());
            assertTrue(ex.getStatus().getDescription().contains("NaN"), ex.getStatus().getDescription());
            StatusRuntimeException shape = assertThrows(StatusRuntimeException.class, () -> stub.prune(
                    io.glimpse.proto.v1.PruneRequest.newBuilder().addImages(io.glimpse.proto.v1.VisualTokens.newBuilder()
                            .setEmbeddings(io.glimpse.common.grpc.TensorCodec.encode(
                                    io.glimpse.common.tensor.FloatTensor.of(new float[4], 2, 2)))
                            .addOrigin(0).setSpan(2)).build()));
            assertTrue(shape.getStatus().getDescription().contains("1 origins for 2 tokens"), shape.getStatus().getDescription());
        } finally {
            ch.shutdownNow();
            pruner.close();
        }
    }
}
