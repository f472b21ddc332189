package io.glimpse.pruner.grpc;

import io.glimpse.common.admission.BoundedAdmission;
import io.glimpse.common.cancel.Cancellation;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.grpc.CallCancellation;
import io.glimpse.common.grpc.PruningPipeline;
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
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

import java.util.ArrayList;
import java.util.List;

/** Maps {@code TokenPruner.Prune} to the engine. */
public final class TokenPrunerService extends TokenPrunerGrpc.TokenPrunerImplBase {
    private final TokenPrunerEngine engine;
    private final int maxImages;
    private final int maxTokensPerImage;
    private final BoundedAdmission admission;

    private final Counter tokensIn;
    private final Counter tokensOut;

    public TokenPrunerService(TokenPrunerEngine engine, int maxImages, int maxTokensPerImage, BoundedAdmission admission,
                              MeterRegistry meters) {
        this.tokensIn = meters.counter("glimpse.pruner.visual.tokens.in");
        this.tokensOut = meters.counter("glimpse.pruner.visual.tokens.out");
        this.engine = engine;
        this.maxImages = maxImages;
        this.maxTokensPerImage = maxTokensPerImage;
        this.admission = admission;
    }

    @Override
    public void prune(PruneRequest request, StreamObserver<PruneResponse> out) {
        Context ctx = Context.current();
        try {
            if (ctx.isCancelled()) {
                out.onError(Status.DEADLINE_EXCEEDED.withDescription("deadline expired before pruning").asRuntimeException());
                return;
            }
            long t0 = System.nanoTime();
            if (request.getImagesCount() > maxImages) {
                throw GlimpseException.invalid("too many images: " + request.getImagesCount() + " (the limit is " + maxImages + ")");
            }
            PruningSpec spec = spec(request.getPruning());
            // the token cap is checked from each tensor's declared shape before anything is decoded
            List<TokenSet> sets = new ArrayList<>();
            for (int i = 0; i < request.getImagesCount(); i++) {
                sets.add(VisualTokensCodec.decode(request.getImages(i), i, maxTokensPerImage));
            }
            TokenPrunerEngine.Result kept;
            try (BoundedAdmission.Permit ignored = admission.admit(() -> !ctx.isCancelled());
                 Cancellation.Scope bound = Cancellation.bind(CallCancellation.current())) {
                kept = engine.prune(sets, spec, request.getQuestion());
            }
            PruneResponse.Builder b = PruneResponse.newBuilder();
            DType embeddings = VisualTokensCodec.floatDtype(request.getEmbeddingsDtype(), "embeddings_dtype");
            kept.images().forEach(s -> b.addImages(VisualTokensCodec.encode(s, DType.FP32, embeddings)));
            sets.forEach(s -> tokensIn.increment(s.count()));
            kept.images().forEach(s -> tokensOut.increment(s.count()));
            out.onNext(b.setComputeMicros((System.nanoTime() - t0) / 1000).setFlops(kept.flops()).build());
            out.onCompleted();
        } catch (Throwable t) {
            out.onError(StatusMapping.toStatus(t));
        }
    }

    public static PruningSpec spec(Pruning p) {
        PruningPipeline.check(p);
        return step(p);
    }

    private static PruningSpec step(Pruning p) {
        PruningMethod method = switch (p.getMethod()) {
            case METHOD_UNSPECIFIED, NONE -> PruningMethod.NONE;
            case UNRECOGNIZED -> throw GlimpseException.invalid("unknown pruning method " + p.getMethodValue()
                    + "; known: " + String.join(", ", io.glimpse.common.methods.PruningMethods.names()));
            default -> PruningMethod.valueOf(p.getMethod().name());
        };
        List<PruningSpec> then = new ArrayList<>();
        for (Pruning step : p.getThenList()) {
            then.add(step(step));
        }
        return new PruningSpec(method, p.getKeepTokens(), p.getKeepRatio(), p.getGlobalBudget(), p.getSeed(),
                p.getParamsMap(), then);
    }
}
