package io.glimpse.app;

import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.proto.v1.AskEvent;
import io.glimpse.proto.v1.AskRequest;
import io.glimpse.proto.v1.Generation;
import io.glimpse.proto.v1.TokenPolicy;
import io.glimpse.proto.v1.Tokenization;
import io.glimpse.runner.engine.RunnerLimits;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

import java.util.Iterator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Beyond the runner's running + queued slots a call is refused at once with RESOURCE_EXHAUSTED. */
class OverloadTest {
    @Test
    void fullRunnerAnswersResourceExhaustedThenRecovers() {
        RunnerLimits oneSlot = new RunnerLimits(256, 32, 2000, 8, 1, 0);
        try (EmbeddedStack stack = EmbeddedStack.start(StackFixture.bundle(), OrtSessionFactory.cpu(),
                EmbeddedStack.Transport.IN_PROCESS, oneSlot, -1)) {
            ExampleSet.Example e = StackFixture.examples().examples().get(1);
            AskRequest busy = StackFixture.ask(e).setPolicy(TokenPolicy.newBuilder().setTokenization(Tokenization.newBuilder()
                            .setMode(Tokenization.Mode.FLEX_PREFIX).setTokens(4)))
                    .setGeneration(Generation.newBuilder().setMaxNewTokens(200).setMinNewTokens(200)).build();
            Context.CancellableContext ctx = Context.current().withCancellation();
            Context prev = ctx.attach();
            try {
                Iterator<AskEvent> events = stack.blocking().askStream(busy);
                events.next();   // the only slot is now decoding
                StatusRuntimeException ex = assertThrows(StatusRuntimeException.class,
                        () -> stack.blocking().ask(StackFixture.ask(e).build()));
                assertEquals(Status.Code.RESOURCE_EXHAUSTED, ex.getStatus().getCode());
                assertTrue(ex.getStatus().getDescription().startsWith("vlm-runner: vlm-runner is busy"),
                        ex.getStatus().getDescription());
            } finally {
                ctx.cancel(null);
                ctx.detach(prev);
            }
            String answer = null;
            for (int i = 0; i < 100 && answer == null; i++) {   // the cancelled call frees the slot promptly
                try {
                    answer = stack.blocking().ask(StackFixture.ask(e).build()).getAnswer();
                } catch (StatusRuntimeException busyStill) {
                    assertEquals(Status.Code.RESOURCE_EXHAUSTED, busyStill.getStatus().getCode());
                    sleep();
                }
            }
            assertTrue(answer != null && !answer.isBlank(), "the runner serves again once the slot is free");
        }
    }

    /**
     * A runner that takes 1 running + 2 queued behind a gateway allowing 16: after the first refusals
     * the gateway admits only what the runner can take, so the tokenizer does not work for calls the
     * runner will refuse, and refusals come before any stage.
     */
    @Test
    void theGatewayLearnsTheNarrowStagesCapacity() throws Exception {
        io.micrometer.core.instrument.simple.SimpleMeterRegistry meters = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        var c = EmbeddedStack.Services.defaults(StackFixture.bundle(), OrtSessionFactory.cpu())
                .withRunnerLimits(new RunnerLimits(256, 32, 2000, 8, 1, 2));
        try (EmbeddedStack stack = EmbeddedStack.start(c, EmbeddedStack.Transport.IN_PROCESS, -1, meters)) {
            ExampleSet.Example e = StackFixture.examples().examples().get(1);
            AskRequest ask = StackFixture.ask(e).setGeneration(Generation.newBuilder().setMaxNewTokens(8).setMinNewTokens(8)).build();
            java.util.concurrent.atomic.AtomicInteger ok = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.ConcurrentLinkedQueue<String> other = new java.util.concurrent.ConcurrentLinkedQueue<>();
            long end = System.nanoTime() + java.time.Duration.ofSeconds(3).toNanos();
            java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(32);
            for (int i = 0; i < 32; i++) {
                clients.submit(() -> {
                    while (System.nanoTime() < end) {
                        try {
                            stack.blocking().ask(ask);
                            ok.incrementAndGet();
                        } catch (StatusRuntimeException x) {
                            if (x.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED) {
                                refused.incrementAndGet();
                            } else {
                                other.add(x.getStatus().toString());
                            }
                        }
                    }
                });
            }
            clients.shutdown();
            assertTrue(clients.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS));
            double tokenized = meters.counter("glimpse.tokenizer.images").count();
            assertTrue(other.isEmpty(), "only load refusals: " + other);
            assertTrue(ok.get() > 0 && refused.get() > 0, ok + " served, " + refused + " refused");
            // the first burst (the gateway's 16) and one probe per 2 s may be wasted; nothing more
            assertTrue(tokenized - ok.get() <= 16 + 3, "tokenized " + tokenized + " for " + ok + " answers");
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }
}
