package io.glimpse.runner.grpc;

import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.grpc.StatusMapping;
import io.glimpse.common.grpc.VisualTokensCodec;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.proto.v1.GenerateDone;
import io.glimpse.proto.v1.GenerateEvent;
import io.glimpse.proto.v1.GenerateRequest;
import io.glimpse.proto.v1.Generation;
import io.glimpse.proto.v1.VlmRunnerGrpc;
import io.glimpse.common.cancel.Cancellation;
import io.glimpse.runner.engine.GenerationParams;
import io.glimpse.runner.engine.GenerationResult;
import io.glimpse.runner.engine.VlmEngine;
import io.grpc.Context;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

import java.util.ArrayList;
import java.util.List;

/** Maps {@code VlmRunner.Generate} to the engine; client cancel or deadline cancels the generation. */
public final class VlmRunnerService extends VlmRunnerGrpc.VlmRunnerImplBase {
    private final VlmEngine engine;

    private final Counter generated;
    private final DistributionSummary tokensPerSecond;

    public VlmRunnerService(VlmEngine engine) {
        this(engine, new SimpleMeterRegistry());
    }

    public VlmRunnerService(VlmEngine engine, MeterRegistry meters) {
        this.engine = engine;
        this.generated = meters.counter("glimpse.runner.generated.tokens");
        this.tokensPerSecond = DistributionSummary.builder("glimpse.runner.tokens.per.second")
                .description("generated tokens per second of decoding, per generation").register(meters);
    }

    @Override
    public void generate(GenerateRequest request, StreamObserver<GenerateEvent> responses) {
        ServerCallStreamObserver<GenerateEvent> out = (ServerCallStreamObserver<GenerateEvent>) responses;
        Cancellation cancel = new Cancellation();
        out.setOnCancelHandler(cancel::cancel);
        Context.current().addListener(c -> cancel.cancel(), Runnable::run);
        if (Context.current().isCancelled()) {
            cancel.cancel();
        }
        try {
            if (Context.current().isCancelled()) {
                throw new GlimpseException(GlimpseException.Kind.DEADLINE_EXCEEDED, "deadline expired before generation");
            }
            List<TokenSet> images = new ArrayList<>();
            for (int i = 0; i < request.getImagesCount(); i++) {
                images.add(VisualTokensCodec.decode(request.getImages(i), i, engine.maxTokensPerImage()));
            }
            GenerationResult r = engine.generate(request.getQuestion(), images, params(request.getGeneration()),
                    delta -> {
                        if (!out.isCancelled()) {
                            out.onNext(GenerateEvent.newBuilder().setDelta(delta).build());
                        }
                    }, cancel, deadlineNanos());
            generated.increment(r.generatedTokens());
            if (r.decodeMicros() > 0) {
                tokensPerSecond.record(r.generatedTokens() * 1e6 / r.decodeMicros());
            }
            out.onNext(GenerateEvent.newBuilder().setDone(GenerateDone.newBuilder()
                    .setText(r.text()).setPromptTokens(r.promptTokens()).setVisualTokens(r.visualTokens())
                    .setGeneratedTokens(r.generatedTokens()).setFinishReason(r.finishReason())
                    .setQueueMicros(r.queueMicros()).setPrefillMicros(r.prefillMicros())
                    .setDecodeMicros(r.decodeMicros())
                    .setPrefillFlops(engine.prefillFlops(r.promptTokens()))
                    .setPrefillFlopsFull(engine.prefillFlops(r.promptTokens() - r.visualTokens()
                            + Math.max(r.visualTokens(), request.getVisualTokensFull())))).build());
            out.onCompleted();
        } catch (Throwable t) {
            if (!out.isCancelled()) {
                out.onError(StatusMapping.toStatus(t));
            }
        }
    }

    /** The call's deadline on {@link System#nanoTime()}'s clock, so that queued work past it never runs. */
    private static long deadlineNanos() {
        io.grpc.Deadline d = Context.current().getDeadline();
        return d == null ? Long.MAX_VALUE : System.nanoTime() + d.timeRemaining(java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    public static GenerationParams params(Generation g) {
        return new GenerationParams(g.getMaxNewTokens(), g.getMinNewTokens(), g.getTemperature(), g.getTopP(), g.getSeed(),
                g.getCoreNeurons());
    }
}
