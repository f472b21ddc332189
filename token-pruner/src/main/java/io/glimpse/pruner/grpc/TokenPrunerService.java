package io.glimpse.pruner.grpc;

import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.grpc.StatusMapping;
import io.glimpse.common.grpc.VisualTokensCodec;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.proto.v1.DType;
import io.glimpse.proto.v1.PruneRequest;
import io.glimpse.proto.v1.PruneResponse;
import io.glimpse.proto.v1.Pruning;
import io.glimpse.proto.v1.TokenPrunerGrpc;
import io.glimpse.pruner.select.PruningMethod;
import io.glimpse.pruner.select.PruningSpec;
import io.glimpse.pruner.select.TokenPrunerEngine;
import io.grpc.Context;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

import java.util.ArrayList;
import java.util.List;

/** Maps {@code TokenPruner.Prune} to the engine. */
public final class TokenPrunerService extends TokenPrunerGrpc.TokenPrunerImplBase {
    private final TokenPrunerEngine engine;
    private final int maxImages;

    private final Counter tokensIn;
    private final Counter tokensOut;

    public TokenPrunerService(TokenPrunerEngine engine, int maxImages) {
        this(engine, maxImages, new SimpleMeterRegistry());
    }

    public TokenPrunerService(TokenPrunerEngine engine, int maxImages, MeterRegistry meters) {
        this.tokensIn = meters.counter("glimpse.pruner.visual.tokens.in");
        this.tokensOut = meters.counter("glimpse.pruner.visual.tokens.out");
        this.engine = engine;
        this.maxImages = maxImages;
    }

    @Override
    public void prune(PruneRequest request, StreamObserver<PruneResponse> out) {
        try {
            if (Context.current().isCancelled()) {
                out.onError(Status.DEADLINE_EXCEEDED.withDescription("deadline expired before pruning").asRuntimeException());
                return;
            }
            long t0 = System.nanoTime();
            if (request.getImagesCount() > maxImages) {
                throw GlimpseException.invalid("too many images: " + request.getImagesCount() + " (the limit is " + maxImages + ")");
            }
            List<TokenSet> sets = new ArrayList<>();
            for (int i = 0; i < request.getImagesCount(); i++) {
                sets.add(VisualTokensCodec.decode(request.getImages(i), i));
            }
            TokenPrunerEngine.Result kept = engine.prune(sets, spec(request.getPruning()), request.getQuestion());
            PruneResponse.Builder b = PruneResponse.newBuilder();
            kept.images().forEach(s -> b.addImages(VisualTokensCodec.encode(s, DType.FP32)));
            sets.forEach(s -> tokensIn.increment(s.count()));
            kept.images().forEach(s -> tokensOut.increment(s.count()));
            out.onNext(b.setComputeMicros((System.nanoTime() - t0) / 1000).setFlops(kept.flops()).build());
            out.onCompleted();
        } catch (Throwable t) {
            out.onError(StatusMapping.toStatus(t));
        }
    }

    public static PruningSpec spec(Pruning p) {
        PruningMethod method = switch (p.getMethod()) {
            case METHOD_UNSPECIFIED, NONE -> PruningMethod.NONE;
            case UNRECOGNIZED -> throw GlimpseException.invalid("unknown pruning method " + p.getMethodValue()
                    + "; known: NONE, RANDOM, UNIFORM, ZERO_TPRUNE, CORE_MATCHING, QUOTA, TOME, FASTV, VISIONZIP, DIVPRUNE");
            default -> PruningMethod.valueOf(p.getMethod().name());
        };
        if (p.getThenCount() > 16) {
            throw GlimpseException.invalid("a pruning pipeline has at most 16 steps, got " + p.getThenCount());
        }
        List<PruningSpec> then = new ArrayList<>();
        for (Pruning step : p.getThenList()) {
            then.add(spec(step));
        }
        return new PruningSpec(method, p.getKeepTokens(), p.getKeepRatio(), p.getGlobalBudget(), p.getSeed(),
                p.getParamsMap(), then);
    }
}
