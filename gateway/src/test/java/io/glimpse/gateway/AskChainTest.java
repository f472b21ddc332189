package io.glimpse.gateway;

import com.google.protobuf.ByteString;
import io.glimpse.common.server.ServerConfig;
import io.glimpse.common.server.ServiceHost;
import io.glimpse.gateway.chain.BackendTargets;
import io.glimpse.gateway.chain.GatewayLimits;
import io.glimpse.proto.v1.AskEvent;
import io.glimpse.proto.v1.AskRequest;
import io.glimpse.proto.v1.GenerateDone;
import io.glimpse.proto.v1.GenerateEvent;
import io.glimpse.proto.v1.GenerateRequest;
import io.glimpse.proto.v1.GlimpseGrpc;
import io.glimpse.proto.v1.Image;
import io.glimpse.proto.v1.ImageTokenizerGrpc;
import io.glimpse.proto.v1.PruneRequest;
import io.glimpse.proto.v1.PruneResponse;
import io.glimpse.proto.v1.TokenPrunerGrpc;
import io.glimpse.proto.v1.TokenizeRequest;
import io.glimpse.proto.v1.TokenizeResponse;
import io.glimpse.proto.v1.VisualTokens;
import io.glimpse.proto.v1.VlmRunnerGrpc;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway's chain against fake in-process backends (no model): the caller's deadline reaches
 * every stage, a failing stage names itself with its own code, and a replica that fails UNAVAILABLE
 * is retried — unless the client has already seen part of the answer.
 */
class AskChainTest {
    final String id = UUID.randomUUID().toString().substring(0, 8);
    final List<Long> deadlinesSeenMillis = new CopyOnWriteArrayList<>();
    final AtomicInteger generateCalls = new AtomicInteger();
    Function<Integer, Status> runnerFailure = attempt -> null;
    boolean runnerSendsDeltaBeforeFailing;
    Status prunerFailure;
    final List<ServiceHost> hosts = new ArrayList<>();
    ManagedChannel client;

    void seeDeadline() {
        var d = Context.current().getDeadline();
        deadlinesSeenMillis.add(d == null ? -1 : d.timeRemaining(TimeUnit.MILLISECONDS));
    }

    @BeforeEach
    void start() {
        hosts.add(host("tok", new ImageTokenizerGrpc.ImageTokenizerImplBase() {
            @Override
            public void tokenize(TokenizeRequest r, StreamObserver<TokenizeResponse> out) {
                seeDeadline();
                out.onNext(TokenizeResponse.newBuilder().addImages(VisualTokens.newBuilder().setGridH(2).setGridW(2)
                        .addOrigin(0).addOrigin(1)).build());
                out.onCompleted();
            }
        }));
        hosts.add(host("prune", new TokenPrunerGrpc.TokenPrunerImplBase() {
            @Override
            public void prune(PruneRequest r, StreamObserver<PruneResponse> out) {
                seeDeadline();
                if (prunerFailure != null) {
                    out.onError(prunerFailure.asRuntimeException());
                    return;
                }
                out.onNext(PruneResponse.newBuilder().addAllImages(r.getImagesList()).build());
                out.onCompleted();
            }
        }));
        hosts.add(host("run", new VlmRunnerGrpc.VlmRunnerImplBase() {
            @Override
            public void generate(GenerateRequest r, StreamObserver<GenerateEvent> out) {
                seeDeadline();
                int attempt = generateCalls.incrementAndGet();
                Status fail = runnerFailure.apply(attempt);
                if (fail != null) {
                    if (runnerSendsDeltaBeforeFailing) {
                        out.onNext(GenerateEvent.newBuilder().setDelta("red").build());
                    }
                    out.onError(fail.asRuntimeException());
                    return;
                }
                out.onNext(GenerateEvent.newBuilder().setDelta("red").build());
                out.onNext(GenerateEvent.newBuilder().setDone(GenerateDone.newBuilder().setText("red")).build());
                out.onCompleted();
            }
        }));
        ServiceHost gateway = GatewayServer.start(new GatewayServer.Config(new BackendTargets("in-process:" + id + "-tok",
                "in-process:" + id + "-prune", "in-process:" + id + "-run"),
                new GatewayLimits(8, 1 << 20, 2000, Duration.ofSeconds(7)), ServerConfig.inProcess(id + "-gw")), List.of());
        hosts.add(gateway);
        client = InProcessChannelBuilder.forName(id + "-gw").build();
    }

    private ServiceHost host(String name, io.grpc.BindableService service) {
        ServiceHost h = ServiceHost.start(name, ServerConfig.inProcess(id + "-" + name), List.of(service), List.of());
        h.markReady();
        return h;
    }

    @AfterEach
    void stop() {
        client.shutdownNow();
        for (int i = hosts.size() - 1; i >= 0; i--) {
            hosts.get(i).close();
        }
    }

    static AskRequest ask() {
        return AskRequest.newBuilder().setQuestion("what color is the square ?")
                .addImages(Image.newBuilder().setData(ByteString.copyFromUtf8("not decoded by the fakes"))).build();
    }

    @Test
    void callersDeadlineReachesEveryStage() {
        assertEquals("red", GlimpseGrpc.newBlockingStub(client).withDeadlineAfter(3, TimeUnit.SECONDS).ask(ask()).getAnswer());
        assertEquals(3, deadlinesSeenMillis.size());
        for (long ms : deadlinesSeenMillis) {
            assertTrue(ms > 0 && ms <= 3000, "each stage sees the caller's deadline, " + ms + " ms left");
        }
        deadlinesSeenMillis.clear();
        GlimpseGrpc.newBlockingStub(client).ask(ask());
        for (long ms : deadlinesSeenMillis) {
            assertTrue(ms > 3000 && ms <= 7000, "without one, the gateway's default (7 s here) applies: " + ms);
        }
    }

    @Test
    void failingStageNamesItselfWithItsOwnCode() {
        prunerFailure = Status.INVALID_ARGUMENT.withDescription("keep_ratio must be in (0, 1]");
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> GlimpseGrpc.newBlockingStub(client).ask(ask()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertEquals("token-pruner: keep_ratio must be in (0, 1]", e.getStatus().getDescription());
        assertEquals(0, generateCalls.get(), "the runner is never called after a failed stage");
    }

    @Test
    void unavailableReplicaIsRetriedBeforeAnythingReachedTheClient() {
        runnerFailure = attempt -> attempt == 1 ? Status.UNAVAILABLE.withDescription("replica went away") : null;
        assertEquals("red", GlimpseGrpc.newBlockingStub(client).ask(ask()).getAnswer());
        assertEquals(2, generateCalls.get());
    }

    /** grpc-java's Netty transport reports a connection reset under a call as UNKNOWN "channel closed". */
    @Test
    void aResetConnectionIsRetriedLikeAnUnavailableReplica() {
        runnerFailure = attempt -> attempt == 1 ? Status.UNKNOWN.withDescription("channel closed") : null;
        assertEquals("red", GlimpseGrpc.newBlockingStub(client).ask(ask()).getAnswer());
        assertEquals(2, generateCalls.get());
        generateCalls.set(0);
        runnerFailure = attempt -> attempt == 1 ? Status.UNKNOWN.withDescription("something else broke") : null;
        assertEquals(Status.Code.UNKNOWN, assertThrows(StatusRuntimeException.class,
                () -> GlimpseGrpc.newBlockingStub(client).ask(ask())).getStatus().getCode());
        assertEquals(1, generateCalls.get(), "other UNKNOWN failures are not retried");
    }

    @Test
    void streamIsNotRetriedOnceTheClientHasSeenText() {
        runnerFailure = attempt -> Status.UNAVAILABLE.withDescription("replica went away");
        runnerSendsDeltaBeforeFailing = true;
        Iterator<AskEvent> events = GlimpseGrpc.newBlockingStub(client).askStream(ask());
        assertEquals("red", events.next().getDelta());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, events::next);
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        assertEquals(1, generateCalls.get(), "a stream that has sent text is not started over");
    }

    @Test
    void otherFailuresAreNotRetried() {
        runnerFailure = attempt -> Status.RESOURCE_EXHAUSTED.withDescription("vlm-runner is busy");
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> GlimpseGrpc.newBlockingStub(client).ask(ask()));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
        assertEquals(1, generateCalls.get());
    }
}
