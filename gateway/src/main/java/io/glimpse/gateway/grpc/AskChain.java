package io.glimpse.gateway.grpc;

import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.grpc.StatusMapping;
import io.glimpse.common.tokens.TokenizationMode;
import io.glimpse.gateway.chain.GatewayLimits;
import io.glimpse.gateway.chain.NarrowStageLimit;
import io.glimpse.gateway.chain.PositionBudget;
import io.glimpse.proto.v1.AskRequest;
import io.glimpse.proto.v1.AskResponse;
import io.glimpse.proto.v1.DescribeRequest;
import io.glimpse.proto.v1.TokenizerInfo;
import io.glimpse.proto.v1.GenerateDone;
import io.glimpse.proto.v1.GenerateEvent;
import io.glimpse.proto.v1.GenerateRequest;

import io.glimpse.proto.v1.ImageSelection;
import io.glimpse.proto.v1.PruneRequest;
import io.glimpse.proto.v1.PruneResponse;
import io.glimpse.proto.v1.DType;
import io.glimpse.proto.v1.Pruning;
import io.glimpse.proto.v1.StageTimings;
import io.glimpse.proto.v1.TokenizeRequest;
import io.glimpse.proto.v1.TokenizeResponse;
import io.glimpse.proto.v1.Usage;
import io.glimpse.proto.v1.VisualTokens;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.glimpse.common.grpc.PruningPipeline;
import io.glimpse.common.methods.PruningMethods;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Iterator;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * One request through tokenizer -> pruner -> runner. Outgoing calls run in the incoming call's
 * gRPC context, so the caller's deadline and cancellation reach every backend. A failing stage
 * yields its own status code with the stage named in the description.
 */
final class AskChain {
    private static final Logger LOG = LoggerFactory.getLogger(AskChain.class);
    private static final int ATTEMPTS = 4;
    /** Long enough for the balancer to see the dead replica's connection close. */
    private static final long RETRY_PAUSE_MILLIS = 20;

    private final Backends backends;
    private final GatewayLimits limits;
    private final NarrowStageLimit narrow;

    AskChain(Backends backends, GatewayLimits limits, NarrowStageLimit narrow) {
        this.backends = backends;
        this.limits = limits;
        this.narrow = narrow;
    }

    /** What the gateway can judge alone, before a slot or a backend is spent on the request. */
    void validate(AskRequest request) {
        limits.check(request.getImagesCount(),
                request.getImagesList().stream().mapToInt(i -> i.getData().size()).toArray(), request.getQuestion());
        limits.checkNewTokens(request.getGeneration().getMaxNewTokens(), request.getGeneration().getMinNewTokens());
        PruningPipeline.check(request.getPolicy().getPruning());
        float core = request.getGeneration().getCoreNeurons();
        if (!Float.isFinite(core) || core < 0f || core > 1f) {
            throw GlimpseException.invalid("generation.core_neurons must be in [0, 1] (0 = the dense FFN), got " + core);
        }
    }

    /** The tokenizer's account of the bundle and its limits (any replica: they serve one bundle). */
    TokenizerInfo describeTokenizer() {
        backends.requireReachable();
        TokenizerInfo info = failover("image-tokenizer", () -> backends.tokenizer().describe(DescribeRequest.getDefaultInstance()));
        described = info;
        describedAt = System.nanoTime();
        return info;
    }

    private volatile TokenizerInfo described;
    private volatile long describedAt;
    private static final long DESCRIBE_TTL_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(30);

    /**
     * Refuses, before anything is tokenized, a request whose images cannot fit the model's positions
     * at its policy (Glimpse-layout bundles; the bundle's facts are asked again every 30 s, and a
     * tokenizer that cannot say leaves the check to the runner).
     */
    void checkPositions(AskRequest request, int defaultMaxNewTokens) {
        TokenizerInfo info = described;
        if (info == null || System.nanoTime() - describedAt > DESCRIBE_TTL_NANOS) {
            try {
                info = describeTokenizer();
            } catch (RuntimeException e) {
                return;
            }
        }
        var m = info.getModel();
        if (!m.getLayout().isEmpty() && !m.getLayout().equals("glimpse")) {
            return;
        }
        var t = request.getPolicy().getTokenization();
        EncoderReductionCheck.check(t.getEncoderReduction(), request.getPolicy().getPruning(), m);
        TokenizationMode mode = switch (t.getMode()) {
            case POOLED -> TokenizationMode.POOLED;
            case FLEX_PREFIX -> TokenizationMode.FLEX_PREFIX;
            case ADAPTIVE -> TokenizationMode.ADAPTIVE;
            default -> TokenizationMode.FULL;
        };
        int maxNew = request.getGeneration().getMaxNewTokens() > 0 ? request.getGeneration().getMaxNewTokens() : defaultMaxNewTokens;
        Pruning p = request.getPolicy().getPruning();
        boolean prunes = p.getMethod() != Pruning.Method.NONE && p.getMethod() != Pruning.Method.METHOD_UNSPECIFIED;
        PositionBudget.Keep keep = !prunes ? PositionBudget.Keep.ALL
                : p.getGlobalBudget() && p.getKeepTokens() > 0 ? new PositionBudget.Keep(0, 0f, p.getKeepTokens())
                : new PositionBudget.Keep(p.getKeepTokens(), p.getKeepRatio(), 0);
        new PositionBudget(m.getMaxPositions(), m.getGridH() * m.getGridW(), m.getRegisters(),
                m.getPooledSidesList().stream().mapToInt(Integer::intValue).toArray(), m.getCompactPositions(),
                m.getImagePrefixTokens(), m.getMaxImages(), m.getFramePoolSide())
                .check(request.getImagesCount(), mode, t.getTokens(), keep, maxNew);
    }

    /** @param deltas receives streamed text (null: the caller only wants the final answer) */
    AskResponse run(AskRequest request, Consumer<String> deltas) {
        long t0 = System.nanoTime();
        backends.requireReachable();
        Pruning pruning = request.getPolicy().getPruning();

        TokenizeResponse tokens = failover("image-tokenizer", () -> backends.tokenizer().tokenize(TokenizeRequest.newBuilder()
                .addAllImages(request.getImagesList())
                .setTokenization(request.getPolicy().getTokenization())
                .setIncludeAttention(PruningMethods.readsVisionGraph(pruning))   // the catalog says who reads it
                .setAttentionDtype(DType.FP16)        // selection-identical to fp32 (docs/pruning.md), half the bytes
                .setEmbeddingsDtype(DType.FP16)       // answer-identical to fp32 (HalfPrecisionTokensTest), half the bytes
                .setQuestion(request.getQuestion())   // ADAPTIVE's question-aware head runs beside the encoder
                .build()));
        long t1 = System.nanoTime();

        PruneResponse pruned = failover("token-pruner", () -> backends.pruner().prune(PruneRequest.newBuilder()
                .addAllImages(tokens.getImagesList())
                .setPruning(pruning)
                .setQuestion(request.getQuestion())
                .setEmbeddingsDtype(DType.FP16)
                .build()));
        long t2 = System.nanoTime();

        int full = 0;
        int tokenized = 0;
        int used = 0;
        int tiles = 0;
        for (int i = 0; i < tokens.getImagesCount(); i++) {
            VisualTokens v = tokens.getImages(i);
            // a tiled image's FULL count is every tile's grid (the global image included)
            int imageTiles = v.getTileTokens() == 0 ? 1 : v.getTileRows() * v.getTileCols() + 1;
            tiles += v.getTileTokens() == 0 ? 0 : imageTiles;
            full += v.getGridH() * v.getGridW() * imageTiles;
            tokenized += v.getOriginCount();
            used += pruned.getImages(i).getOriginCount();
        }
        GenerateRequest.Builder gen = GenerateRequest.newBuilder()
                .setQuestion(request.getQuestion())
                .setGeneration(request.getGeneration())
                .setVisualTokensFull(full);
        // the runner needs embeddings and origins only: drop the pruner's per-token scores
        pruned.getImagesList().forEach(v -> gen.addImages(v.toBuilder().clearScores().clearAttention().clearKeys()));
        GenerateDone done = generate(gen.build(), deltas);
        long t3 = System.nanoTime();

        AskResponse.Builder out = AskResponse.newBuilder()
                .setAnswer(done.getText())
                .setFinishReason(done.getFinishReason())
                .setUsage(Usage.newBuilder()
                        .setImages(request.getImagesCount())
                        .setTiles(tiles)
                        .setPruningFlops(pruned.getFlops())
                        .setVisualTokensFull(full)
                        .setVisualTokensTokenized(tokenized)
                        .setVisualTokensUsed(used)
                        .setPromptTokens(done.getPromptTokens())
                        .setGeneratedTokens(done.getGeneratedTokens())
                        .setPrefillFlopsFull(done.getPrefillFlopsFull())
                        .setPrefillFlopsUsed(done.getPrefillFlops())
                        .setEncoderFlopsFull(tokens.getImagesList().stream().mapToDouble(v -> v.getReport().getEncoderFlopsFull()).sum())
                        .setEncoderFlopsUsed(tokens.getImagesList().stream().mapToDouble(v -> v.getReport().getEncoderFlops()).sum()))
                .setTimings(StageTimings.newBuilder()
                        .setTokenizeMicros((t1 - t0) / 1000)
                        .setPruneMicros((t2 - t1) / 1000)
                        .setGenerateMicros((t3 - t2) / 1000)
                        .setPrefillMicros(done.getPrefillMicros())
                        .setDecodeMicros(done.getDecodeMicros())
                        .setTokenizeComputeMicros(tokens.getComputeMicros())
                        .setPruneComputeMicros(pruned.getComputeMicros())
                        .setRunnerQueueMicros(done.getQueueMicros())
                        .setTotalMicros((System.nanoTime() - t0) / 1000));
        for (int i = 0; i < pruned.getImagesCount(); i++) {
            VisualTokens v = pruned.getImages(i);
            VisualTokens in = tokens.getImages(i);
            ImageSelection.Builder sel = ImageSelection.newBuilder().setKind(v.getKind()).addAllKeptOrigin(v.getOriginList())
                    .setSpan(v.getSpan()).setReport(in.getReport())
                    .setGridH(in.getGridH()).setGridW(in.getGridW()).setPooledSide(in.getPooledSide())
                    .setTileRows(in.getTileRows()).setTileCols(in.getTileCols()).setTileTokens(in.getTileTokens());
            if (v.getScoresCount() == in.getOriginCount()) {
                sel.addAllScores(v.getScoresList()).addAllScoredOrigin(in.getOriginList());
            }
            out.addSelections(sel);
        }
        return out.build();
    }

    /**
     * Generate, retried on another replica when the one serving it becomes UNAVAILABLE (died or
     * began draining) before any text reached the client: the answer of a greedy run is the same.
     */
    private GenerateDone generate(GenerateRequest request, Consumer<String> deltas) {
        boolean[] forwarded = {false};
        return failover("vlm-runner", () -> {
            Iterator<GenerateEvent> events = backends.runner().generate(request);
            GenerateDone last = null;
            while (events.hasNext()) {
                GenerateEvent e = events.next();
                if (e.hasDelta() && deltas != null) {
                    forwarded[0] = true;
                    deltas.accept(e.getDelta());
                } else if (e.hasDone()) {
                    last = e.getDone();
                }
            }
            if (last == null) {
                throw new GlimpseException(GlimpseException.Kind.INTERNAL, "stream ended without a final event");
            }
            return last;
        }, () -> !forwarded[0]);
    }

    private <T> T failover(String name, Call<T> call) {
        return failover(name, call, () -> true);
    }

    /**
     * Runs a stage, again on another replica (round_robin picks the next ready one) when the call
     * fails UNAVAILABLE — the replica died, or began draining — while {@code mayRetry} holds and
     * the caller still waits. Every stage is idempotent: tokenizing and pruning are pure, and a
     * generation that has sent nothing to the client can start over.
     */
    private <T> T failover(String name, Call<T> call, BooleanSupplier mayRetry) {
        for (int attempt = 1; ; attempt++) {
            long ticket = narrow.enter(name);
            boolean refusedForLoad = false;
            try {
                return call.run();
            } catch (StatusRuntimeException e) {
                refusedForLoad = e.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED;
                boolean retry = replicaLost(e) && attempt < ATTEMPTS && mayRetry.getAsBoolean()
                        && !Context.current().isCancelled();
                if (!retry) {
                    throw StatusMapping.fromStage(name, e);
                }
                LOG.info("{} attempt {} lost its replica ({}: {}); retrying on another", name, attempt,
                        e.getStatus().getCode(), e.getStatus().getDescription());
                try {
                    Thread.sleep(RETRY_PAUSE_MILLIS * attempt);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw StatusMapping.fromStage(name, e);
                }
            } finally {
                narrow.leave(name, ticket, refusedForLoad);
            }
        }
    }

    /**
     * UNAVAILABLE, or the UNKNOWN "channel closed" grpc-java's Netty transport reports when the
     * connection is reset under a call (grpc/grpc-java#10120): the replica went away.
     */
    private static boolean replicaLost(StatusRuntimeException e) {
        Status s = e.getStatus();
        if (s.getCode() == Status.Code.UNAVAILABLE) {
            return true;
        }
        if (s.getCode() != Status.Code.UNKNOWN) {
            return false;
        }
        for (Throwable t = s.getCause(); t != null; t = t.getCause()) {
            if (t instanceof java.nio.channels.ClosedChannelException) {
                return true;
            }
        }
        return "channel closed".equals(s.getDescription());
    }

    private interface Call<T> {
        T run();
    }
}
