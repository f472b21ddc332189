package io.glimpse.app;

import com.google.protobuf.ByteString;
import io.glimpse.common.grpc.StatusMapping;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.gateway.chain.GatewayLimits;
import io.glimpse.proto.v1.AskEvent;
import io.glimpse.proto.v1.AskRequest;
import io.glimpse.proto.v1.DType;
import io.glimpse.proto.v1.GenerateRequest;
import io.glimpse.proto.v1.Generation;
import io.glimpse.proto.v1.Image;
import io.glimpse.proto.v1.ImageTokenizerGrpc;
import io.glimpse.proto.v1.PruneRequest;
import io.glimpse.proto.v1.Pruning;
import io.glimpse.proto.v1.Tensor;
import io.glimpse.proto.v1.TokenKind;
import io.glimpse.proto.v1.TokenPolicy;
import io.glimpse.proto.v1.TokenPrunerGrpc;
import io.glimpse.proto.v1.TokenizeRequest;
import io.glimpse.proto.v1.Tokenization;
import io.glimpse.proto.v1.VisualTokens;
import io.glimpse.proto.v1.VlmRunnerGrpc;
import io.glimpse.runner.engine.RunnerLimits;
import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What production does to a service, through the real chain over loopback TCP: hostile tensors and
 * token counts sent straight to the backends, pipelines and images built to be expensive, overload
 * at the gateway and an unreachable backend. Each answer is the right status with a message that
 * names the field, and the stack serves the next good call.
 */
class ProductionSurvivalTest {
    static EmbeddedStack stack;
    static ExampleSet.Example good;
    static ManagedChannel tokenizer;
    static ManagedChannel pruner;
    static ManagedChannel runner;

    @BeforeAll
    static void start() {
        stack = StackFixture.start(EmbeddedStack.Transport.LOOPBACK);
        good = StackFixture.examples().examples().get(2);
        tokenizer = channel(stack.backends().get(0).port());
        pruner = channel(stack.backends().get(1).port());
        runner = channel(stack.backends().get(2).port());
    }

    @AfterAll
    static void stop() {
        for (ManagedChannel c : new ManagedChannel[]{tokenizer, pruner, runner}) {
            c.shutdownNow();
        }
        stack.close();
    }

    static ManagedChannel channel(int port) {
        return Grpc.newChannelBuilder("127.0.0.1:" + port, InsecureChannelCredentials.create())
                .maxInboundMessageSize(64 << 20).build();
    }

    private static StatusRuntimeException refused(Status.Code code, String part, Runnable call) {
        long t0 = System.nanoTime();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription() != null && e.getStatus().getDescription().contains(part),
                e.getStatus().getDescription());
        assertTrue(ms < 2000, "refused in " + ms + " ms, without doing the work first");
        assertEquals(good.answer(), stack.blocking().ask(StackFixture.ask(good).build()).getAnswer(),
                "the chain still answers the next good call");
        return e;
    }

    private static VisualTokens.Builder tokens(int n, int hidden) {
        return VisualTokens.newBuilder().setKind(TokenKind.GRID).setSpan(n).setGridH(12).setGridW(12)
                .setEmbeddings(Tensor.newBuilder().setDtype(DType.FP16).addShape(n).addShape(hidden)
                        .setData(ByteString.copyFrom(new byte[n * hidden * 2])));
    }

    private static VisualTokens.Builder withOrigins(VisualTokens.Builder v, int n) {
        for (int i = 0; i < n; i++) {
            v.addOrigin(i);
        }
        return v;
    }

    /** A 20-byte tensor that claims two billion elements is refused before anything is allocated. */
    @Test
    void tensorClaimingAHugeShapeIsRefusedBeforeAllocation() {
        Tensor claim = Tensor.newBuilder().setDtype(DType.FP32).addShape(1_070_000_000L).addShape(2)
                .setData(ByteString.copyFrom(new byte[20])).build();
        VisualTokens v = VisualTokens.newBuilder().setEmbeddings(claim).setSpan(144).addOrigin(0).build();
        refused(Status.Code.INVALID_ARGUMENT, "images[0].embeddings has 1070000000 tokens", () ->
                TokenPrunerGrpc.newBlockingStub(pruner).prune(PruneRequest.newBuilder().addImages(v).build()));
        Tensor tall = Tensor.newBuilder().setDtype(DType.FP32).addShape(200_000_000L).addShape(1)
                .setData(ByteString.copyFrom(new byte[20])).build();
        refused(Status.Code.INVALID_ARGUMENT, "images[0].embeddings has 200000000 tokens", () ->
                VlmRunnerGrpc.newBlockingStub(runner).generate(GenerateRequest.newBuilder().setQuestion("what ?")
                        .addImages(VisualTokens.newBuilder().setEmbeddings(tall).setSpan(1)).build()).hasNext());
        // under the token cap, the byte length is checked against the shape before decoding
        Tensor shortData = Tensor.newBuilder().setDtype(DType.FP16).addShape(100).addShape(128)
                .setData(ByteString.copyFrom(new byte[20])).build();
        refused(Status.Code.INVALID_ARGUMENT, "needs 25600 bytes, got 20", () ->
                TokenPrunerGrpc.newBlockingStub(pruner).prune(PruneRequest.newBuilder()
                        .addImages(withOrigins(VisualTokens.newBuilder().setEmbeddings(shortData).setSpan(100), 100)).build()));
    }

    /** More visual tokens than the model's grid produces never reach a kernel or the LM's prefill. */
    @Test
    void tokenCountsBeyondTheGridAreRefused() {
        VisualTokens many = withOrigins(tokens(100_000, 128).setSpan(100_000), 100_000).build();
        refused(Status.Code.INVALID_ARGUMENT, "at most 144 per image", () ->
                VlmRunnerGrpc.newBlockingStub(runner).generate(GenerateRequest.newBuilder().setQuestion("what color ?")
                        .addImages(many).build()).hasNext());
        refused(Status.Code.INVALID_ARGUMENT, "at most 144 per image", () ->
                TokenPrunerGrpc.newBlockingStub(pruner).prune(PruneRequest.newBuilder().addImages(many)
                        .setPruning(Pruning.newBuilder().setMethod(Pruning.Method.DIVPRUNE).setKeepTokens(8)).build()));
    }

    /** Eight images of 144 tokens and 200 new tokens do not fit the model's 1280 positions: refused before the runner queues them. */
    @Test
    void promptBeyondThePositionsIsRefused() {
        GenerateRequest.Builder g = GenerateRequest.newBuilder().setQuestion("what color ?")
                .setGeneration(Generation.newBuilder().setMaxNewTokens(200));
        for (int i = 0; i < 8; i++) {
            g.addImages(withOrigins(tokens(144, 128), 144));
        }
        refused(Status.Code.INVALID_ARGUMENT, "but the model has 1280", () ->
                VlmRunnerGrpc.newBlockingStub(runner).generate(g.build()).hasNext());
    }

    @Test
    void nanOrInfInKeysIsRefused() {
        int n = 4;
        ByteBuffer keys = ByteBuffer.allocate(2 * (n + 1) * 2 * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        keys.putFloat(Float.NaN);
        VisualTokens v = withOrigins(tokens(n, 128), n).setKeys(Tensor.newBuilder().setDtype(DType.FP32)
                .addShape(2).addShape(n + 1).addShape(2).setData(ByteString.copyFrom(keys.array()))).build();
        refused(Status.Code.INVALID_ARGUMENT, "images[0].keys contains NaN or Inf", () ->
                TokenPrunerGrpc.newBlockingStub(pruner).prune(PruneRequest.newBuilder().addImages(v).build()));
    }

    /** A pipeline nested past protobuf's depth limit, or one of too many steps: INVALID_ARGUMENT naming pruning.then. */
    @Test
    void deeplyNestedPipelinesAreRefused() {
        Pruning deep = Pruning.newBuilder().setMethod(Pruning.Method.RANDOM).setKeepTokens(8).build();
        for (int i = 0; i < 1000; i++) {
            deep = Pruning.newBuilder().setMethod(Pruning.Method.RANDOM).setKeepTokens(8).addThen(deep).build();
        }
        Pruning nested = deep;
        refused(Status.Code.INVALID_ARGUMENT, "pruning.then", () -> stack.blocking()
                .ask(StackFixture.ask(good).setPolicy(TokenPolicy.newBuilder().setPruning(nested)).build()));
        Pruning wide = Pruning.newBuilder().setMethod(Pruning.Method.RANDOM).setKeepTokens(8).build();
        for (int i = 0; i < 20; i++) {
            wide = Pruning.newBuilder().setMethod(Pruning.Method.RANDOM).setKeepTokens(8).addThen(wide).build();
        }
        Pruning twenty = wide;
        refused(Status.Code.INVALID_ARGUMENT, "more than 16 steps (counting every nested pruning.then)", () -> stack.blocking()
                .ask(StackFixture.ask(good).setPolicy(TokenPolicy.newBuilder().setPruning(twenty)).build()));
        refused(Status.Code.INVALID_ARGUMENT, "more than 16 steps", () -> TokenPrunerGrpc.newBlockingStub(pruner)
                .prune(PruneRequest.newBuilder().addImages(withOrigins(tokens(4, 128), 4)).setPruning(twenty).build()));
    }

    /** Each image within the per-image limit, together over the per-request one: refused from the headers alone. */
    @Test
    void requestPixelBudgetIsCheckedFromTheHeaders() {
        TokenizeRequest.Builder r = TokenizeRequest.newBuilder();
        for (int i = 0; i < 3; i++) {
            r.addImages(Image.newBuilder().setData(ByteString.copyFrom(StackFixture.pngHeaderClaiming(4000, 4000))));
        }
        refused(Status.Code.INVALID_ARGUMENT, "the limit per request is 33554432", () ->
                ImageTokenizerGrpc.newBlockingStub(tokenizer).tokenize(r.build()));
        refused(Status.Code.INVALID_ARGUMENT, "pixels exceeds the limit of 16777216 pixels per image", () ->
                ImageTokenizerGrpc.newBlockingStub(tokenizer).tokenize(TokenizeRequest.newBuilder()
                        .addImages(Image.newBuilder().setData(ByteString.copyFrom(StackFixture.pngHeaderClaiming(6000, 6000)))).build()));
    }

    /**
     * Beyond its in-flight limit the gateway refuses at once with RESOURCE_EXHAUSTED and a
     * retry-after trailer, before any backend works on the call.
     */
    @Test
    void gatewayShedsLoadBeforeAnyStage() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        EmbeddedStack.Services one = EmbeddedStack.Services.defaults(StackFixture.bundle(), OrtSessionFactory.cpu())
                .withGateway(new GatewayLimits(8, 16 << 20, 2000, Duration.ofSeconds(60), 1));
        try (EmbeddedStack s = EmbeddedStack.start(one, EmbeddedStack.Transport.IN_PROCESS, -1, meters)) {
            AskRequest busy = StackFixture.ask(good).setPolicy(TokenPolicy.newBuilder().setTokenization(
                            Tokenization.newBuilder().setMode(Tokenization.Mode.FLEX_PREFIX).setTokens(4)))
                    .setGeneration(Generation.newBuilder().setMaxNewTokens(200).setMinNewTokens(200)).build();
            Context.CancellableContext ctx = Context.current().withCancellation();
            Context prev = ctx.attach();
            try {
                Iterator<AskEvent> events = s.blocking().askStream(busy);
                events.next();
                double imagesBefore = meters.counter("glimpse.tokenizer.images").count();
                StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                        () -> s.blocking().ask(StackFixture.ask(good).build()));
                assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
                assertTrue(e.getStatus().getDescription().startsWith("gateway is busy: 1 running"), e.getStatus().getDescription());
                Duration retry = StatusMapping.retryAfter(e);
                assertNotNull(retry, "the refusal carries grpc-retry-pushback-ms");
                assertTrue(retry.toMillis() >= 50, retry.toString());
                assertEquals(imagesBefore, meters.counter("glimpse.tokenizer.images").count(),
                        "the refused call never reached the tokenizer");
            } finally {
                ctx.cancel(null);
                ctx.detach(prev);
            }
        }
    }

    /**
     * A gateway whose runner cannot be reached reports NOT_SERVING on readiness and refuses Asks
     * with UNAVAILABLE before tokenizing; once a runner listens there, it serves.
     */
    @Test
    void unreachableBackendFailsFastAndReadinessFollowsIt() throws Exception {
        int port = ServiceProcess.freePort();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        var c = EmbeddedStack.Services.defaults(StackFixture.bundle(), OrtSessionFactory.cpu());
        try (EmbeddedStack s = EmbeddedStack.start(c, EmbeddedStack.Transport.LOOPBACK, 0, meters)) {
            var b = s.backends();
            var gw = io.glimpse.gateway.GatewayServer.start(new io.glimpse.gateway.GatewayServer.Config(
                    new io.glimpse.gateway.chain.BackendTargets("127.0.0.1:" + b.get(0).port(), "127.0.0.1:" + b.get(1).port(),
                            "127.0.0.1:" + port), GatewayLimits.defaults(), io.glimpse.common.server.ServerConfig.tcp(0),
                    new io.glimpse.gateway.discovery.StaticDiscovery()), java.util.List.of());
            ManagedChannel ch = channel(gw.port());
            try {
                assertEquals(HealthCheckResponse.ServingStatus.NOT_SERVING, awaitReadiness(ch,
                        HealthCheckResponse.ServingStatus.NOT_SERVING));
                double before = meters.counter("glimpse.tokenizer.images").count();
                StatusRuntimeException e = null;
                for (int i = 0; i < 50 && e == null; i++) {    // until the runner channel has failed once
                    StatusRuntimeException x = assertThrows(StatusRuntimeException.class, () ->
                            io.glimpse.proto.v1.GlimpseGrpc.newBlockingStub(ch).ask(StackFixture.ask(good).build()));
                    assertEquals(Status.Code.UNAVAILABLE, x.getStatus().getCode(), x.getStatus().toString());
                    assertTrue(!x.getStatus().getDescription().contains("127.0.0.1"), "no internal address: " + x.getStatus());
                    if (x.getStatus().getDescription().contains("no reachable replica")) {
                        e = x;
                    } else {
                        Thread.sleep(100);
                    }
                }
                assertNotNull(e, "the gateway refuses up front once the runner is known unreachable");
                assertTrue(e.getStatus().getDescription().startsWith("vlm-runner: no reachable replica; retry in"),
                        e.getStatus().getDescription());
                assertTrue(!e.getStatus().getDescription().contains("127.0.0.1") && !e.getStatus().getDescription().contains(":" + port),
                        "a public error names the stage, not its address: " + e.getStatus().getDescription());
                assertNotNull(StatusMapping.retryAfter(e));
                double after = meters.counter("glimpse.tokenizer.images").count();
                StatusRuntimeException again = assertThrows(StatusRuntimeException.class, () ->
                        io.glimpse.proto.v1.GlimpseGrpc.newBlockingStub(ch).ask(StackFixture.ask(good).build()));
                assertTrue(again.getStatus().getDescription().contains("no reachable replica"));
                assertEquals(after, meters.counter("glimpse.tokenizer.images").count(), "no tokenizing for a refused call");
                assertTrue(after - before <= 2, "at most the first calls reached the tokenizer, " + (after - before));
                try (var late = io.glimpse.runner.RunnerServer.start(new io.glimpse.runner.RunnerServer.Config(StackFixture.bundle(),
                        OrtSessionFactory.cpu(), RunnerLimits.defaults(), io.glimpse.common.server.ServerConfig.tcp(port)),
                        java.util.List.of()).host()) {
                    assertEquals(HealthCheckResponse.ServingStatus.SERVING, awaitReadiness(ch,
                            HealthCheckResponse.ServingStatus.SERVING));
                    assertEquals(good.answer(), io.glimpse.proto.v1.GlimpseGrpc.newBlockingStub(ch)
                            .ask(StackFixture.ask(good).build()).getAnswer());
                }
            } finally {
                ch.shutdownNow();
                gw.close();
            }
        }
    }

    static HealthCheckResponse.ServingStatus awaitReadiness(ManagedChannel ch, HealthCheckResponse.ServingStatus want)
            throws InterruptedException {
        HealthCheckResponse.ServingStatus s = null;
        for (int i = 0; i < 150 && s != want; i++) {
            s = HealthGrpc.newBlockingStub(ch).withDeadlineAfter(2, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.newBuilder().setService("readiness").build()).getStatus();
            if (s != want) {
                Thread.sleep(100);
            }
        }
        return s;
    }

    /** A message over the size limit: RESOURCE_EXHAUSTED naming the limit, no stack trace logged, and the service serves on. */
    @Test
    void oversizeMessageIsRefused() {
        java.util.List<java.util.logging.LogRecord> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                logged.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger transport = java.util.logging.Logger.getLogger(
                "io.grpc.netty.shaded.io.grpc.netty.NettyServerStream");
        transport.addHandler(capture);
        try {
            oversize();
        } finally {
            transport.removeHandler(capture);
        }
        assertTrue(logged.stream().noneMatch(r -> r.getThrown() != null), "no stack trace per refused message");
    }

    private void oversize() {
        ByteString big = ByteString.copyFrom(new byte[33 << 20]);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> TokenPrunerGrpc.newBlockingStub(pruner)
                .prune(PruneRequest.newBuilder().setQuestion("x").addImages(VisualTokens.newBuilder()
                        .setEmbeddings(Tensor.newBuilder().setData(big))).build()));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().contains("exceeds maximum size 33554432"), e.getStatus().getDescription());
        assertEquals(good.answer(), stack.blocking().ask(StackFixture.ask(good).build()).getAnswer());
    }
}
