package io.glimpse.tokenizer.grpc;

import io.glimpse.common.admission.BoundedAdmission;
import io.glimpse.common.cancel.Cancellation;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.grpc.CallCancellation;
import io.glimpse.common.grpc.StatusMapping;
import io.glimpse.common.grpc.VisualTokensCodec;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.common.tokens.TokenizationMode;
import io.glimpse.model.bundle.BundleConfig;
import io.glimpse.model.bundle.VisionStages;
import io.glimpse.proto.v1.DType;
import io.glimpse.proto.v1.DescribeRequest;
import io.glimpse.proto.v1.ModelInfo;
import io.glimpse.proto.v1.TokenizerInfo;
import io.glimpse.proto.v1.Image;
import io.glimpse.proto.v1.ImageTokenizerGrpc;
import io.glimpse.proto.v1.TokenizeRequest;
import io.glimpse.proto.v1.TokenizeResponse;
import io.glimpse.proto.v1.Tokenization;
import io.glimpse.tokenizer.encode.ImageTokenizerEngine;
import io.glimpse.tokenizer.encode.EncoderReduction;
import io.glimpse.tokenizer.encode.TokenizationSpec;
import io.grpc.Context;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/** Maps {@code ImageTokenizer.Tokenize} to the engine. */
public final class ImageTokenizerService extends ImageTokenizerGrpc.ImageTokenizerImplBase {
    private final ImageTokenizerEngine engine;
    private final BoundedAdmission admission;

    private final Counter tokensOut;
    private final Counter imagesIn;

    public ImageTokenizerService(ImageTokenizerEngine engine, BoundedAdmission admission) {
        this(engine, admission, new SimpleMeterRegistry());
    }

    public ImageTokenizerService(ImageTokenizerEngine engine, BoundedAdmission admission, MeterRegistry meters) {
        this.tokensOut = meters.counter("glimpse.tokenizer.visual.tokens");
        this.imagesIn = meters.counter("glimpse.tokenizer.images");
        this.engine = engine;
        this.admission = admission;
    }

    /** The bundle and limits this tokenizer serves: the gateway's metadata call is built on it. */
    @Override
    public void describe(DescribeRequest request, StreamObserver<TokenizerInfo> out) {
        try {
            BundleConfig c = engine.config();
            ModelInfo model = ModelInfo.newBuilder()
                    .setName(String.valueOf(engine.bundle().dir().getFileName()))
                    .setVersion(engine.bundle().version())
                    .setModelType(c.modelType())
                    .setImageSize(engine.bundle().preprocessor().height())
                    .setGridH(c.gridH()).setGridW(c.gridW())
                    .addAllPooledSides(Arrays.stream(c.pooledSides()).boxed().toList())
                    .addAllPrefixLengths(Arrays.stream(c.prefixLengths()).boxed().toList())
                    .setRegisters(engine.features().contains("resampler") ? c.registers() : 0)
                    .setMaxPositions(c.maxPositions())
                    .setCompactPositions(c.compactPositions())
                    .setImagePrefixTokens(c.imagePrefixes().stream().mapToInt(s -> s.trim().split("\\s+").length).max().orElse(0))
                    .setMaxImages(c.imagePrefixes().size())
                    .setFramePoolSide(c.framePoolSide())
                    .addAllFeatures(engine.features())
                    .setLayout(engine.bundle().family().name())
                    .setTileSize(engine.tiling()[0])
                    .setLongestEdge(engine.tiling()[1])
                    .addAllEncoderStageBlocks(c.visionStages() == null ? List.of()
                            : c.visionStages().stages().stream().map(VisionStages.Stage::blocks).toList())
                    .build();
            out.onNext(TokenizerInfo.newBuilder().setModel(model)
                    .setMaxPixels(engine.limits().maxPixels())
                    .setMaxRequestPixels(engine.limits().maxRequestPixels()).build());
            out.onCompleted();
        } catch (Throwable t) {
            out.onError(StatusMapping.toStatus(t));
        }
    }

    @Override
    public void tokenize(TokenizeRequest request, StreamObserver<TokenizeResponse> out) {
        Context ctx = Context.current();
        Cancellation cancel = CallCancellation.current();
        try (BoundedAdmission.Permit ignored = admission.admit(() -> !ctx.isCancelled());
             Cancellation.Scope bound = Cancellation.bind(cancel)) {
            if (ctx.isCancelled()) {
                out.onError(Status.DEADLINE_EXCEEDED.withDescription("deadline expired before tokenizing").asRuntimeException());
                return;
            }
            long t0 = System.nanoTime();
            DType attentionDtype = VisualTokensCodec.floatDtype(request.getAttentionDtype(), "attention_dtype");
            DType embeddingsDtype = VisualTokensCodec.floatDtype(request.getEmbeddingsDtype(), "embeddings_dtype");
            List<Supplier<byte[]>> images = request.getImagesList().stream().map(Image::getData)
                    .<Supplier<byte[]>>map(b -> b::toByteArray).toList();
            List<TokenSet> sets = engine.tokenizeSources(images,
                    spec(request.getTokenization()).withQuestion(request.getQuestion()), request.getIncludeAttention());
            TokenizeResponse.Builder b = TokenizeResponse.newBuilder();
            for (TokenSet s : sets) {
                b.addImages(VisualTokensCodec.encode(s, attentionDtype, embeddingsDtype));
                tokensOut.increment(s.count());
            }
            imagesIn.increment(sets.size());
            out.onNext(b.setComputeMicros((System.nanoTime() - t0) / 1000).build());
            out.onCompleted();
        } catch (Throwable t) {
            out.onError(StatusMapping.toStatus(t));
        }
    }

    static TokenizationSpec spec(Tokenization t) {
        TokenizationMode mode = switch (t.getMode()) {
            case MODE_UNSPECIFIED, FULL -> TokenizationMode.FULL;
            case POOLED -> TokenizationMode.POOLED;
            case FLEX_PREFIX -> TokenizationMode.FLEX_PREFIX;
            case ADAPTIVE -> TokenizationMode.ADAPTIVE;
            default -> throw io.glimpse.common.error.GlimpseException.invalid("unknown tokenization mode " + t.getModeValue());
        };
        TokenizationSpec.Estimator estimator = switch (t.getEstimator()) {
            case ESTIMATOR_AUTO -> TokenizationSpec.Estimator.AUTO;
            case SUFFICIENCY_HEAD -> TokenizationSpec.Estimator.SUFFICIENCY_HEAD;
            case COMPLEXITY_PROXY -> TokenizationSpec.Estimator.COMPLEXITY_PROXY;
            case QUERY_SUFFICIENCY_HEAD -> TokenizationSpec.Estimator.QUERY_HEAD;
            default -> throw io.glimpse.common.error.GlimpseException.invalid("unknown ADAPTIVE estimator " + t.getEstimatorValue());
        };
        return new TokenizationSpec(mode, t.getTokens(), t.getMinTokens(), t.getMaxTokens(), t.getQualityTarget(),
                estimator).withReduction(reduction(t.getEncoderReduction())).withMaxTiles(t.getMaxTiles());
    }

    static EncoderReduction reduction(io.glimpse.proto.v1.EncoderReduction r) {
        EncoderReduction.Method method = switch (r.getMethod()) {
            case METHOD_UNSPECIFIED, NONE -> EncoderReduction.Method.NONE;
            case TOME -> EncoderReduction.Method.TOME;
            case ZERO_TPRUNE -> EncoderReduction.Method.ZERO_TPRUNE;
            case ATTENTION_DROP -> EncoderReduction.Method.ATTENTION_DROP;
            default -> throw io.glimpse.common.error.GlimpseException.invalid("unknown encoder_reduction method "
                    + r.getMethodValue() + "; use TOME, ZERO_TPRUNE or ATTENTION_DROP");
        };
        return new EncoderReduction(method, r.getKeepPerStageList().stream().mapToInt(Integer::intValue).toArray(), r.getR());
    }
}
