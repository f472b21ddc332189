package io.glimpse.common.grpc;

import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.tensor.FloatTensor;
import io.glimpse.common.tokens.TokenKind;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.common.tokens.Tiles;
import io.glimpse.common.tokens.TokenizationMode;
import io.glimpse.common.tokens.TokenizationReport;
import io.glimpse.proto.v1.DType;
import io.glimpse.proto.v1.Tokenization;
import io.glimpse.proto.v1.VisualTokens;

/** Proto {@link VisualTokens} <-> domain {@link TokenSet}, validating everything a caller sends. */
public final class VisualTokensCodec {
    private VisualTokensCodec() {
    }

    public static VisualTokens encode(TokenSet t, DType attentionDtype) {
        return encode(t, attentionDtype, DType.FP32);
    }

    /** @param embeddingsDtype FP32 or FP16 for the embeddings (receivers widen FP16 back to float) */
    public static VisualTokens encode(TokenSet t, DType attentionDtype, DType embeddingsDtype) {
        VisualTokens.Builder b = VisualTokens.newBuilder()
                .setEmbeddings(TensorCodec.encode(t.embeddings(), embeddingsDtype))
                .setKind(io.glimpse.proto.v1.TokenKind.valueOf(t.kind().name()))
                .setSpan(t.span()).setGridH(t.gridH()).setGridW(t.gridW()).setPooledSide(t.pooledSide());
        for (int o : t.origin()) {
            b.addOrigin(o);
        }
        if (t.attention() != null) {
            b.setAttention(TensorCodec.encode(t.attention(), attentionDtype));
        }
        if (t.keys() != null) {
            b.setKeys(TensorCodec.encode(t.keys(), attentionDtype));
        }
        if (t.report() != null) {
            b.setReport(encodeReport(t.report()));
        }
        if (t.scores() != null) {
            for (float s : t.scores()) {
                b.addScores(s);
            }
        }
        if (t.tiles() != null) {
            b.setTileRows(t.tiles().rows()).setTileCols(t.tiles().cols()).setTileTokens(t.tiles().tokensPerTile());
        }
        return b.build();
    }

    public static io.glimpse.proto.v1.TokenizationReport encodeReport(TokenizationReport r) {
        io.glimpse.proto.v1.TokenizationReport.Builder b = io.glimpse.proto.v1.TokenizationReport.newBuilder()
                .setMode(Tokenization.Mode.valueOf(r.mode().name()))
                .setComplexity(r.complexity()).setChosenTokens(r.chosenTokens())
                .setPredictedFidelity(r.predictedFidelity())
                .setImageWidth(r.imageWidth()).setImageHeight(r.imageHeight()).setTargetReached(r.targetReached())
                .setEncoderFlops(r.encoderFlops()).setEncoderFlopsFull(r.encoderFlopsFull());
        if (r.estimator() != null) {
            b.setEstimator(r.estimator());
        }
        for (int c : r.consideredCounts()) {
            b.addConsideredCounts(c);
        }
        return b.build();
    }

    /**
     * Decodes and validates image {@code index} of a request. {@code maxTokens} caps the tokens and
     * the span (what the bundle's grid can produce); it is checked from the declared shape, before
     * any tensor is decoded.
     */
    /** A request's wire dtype for floats: FP32 (also when unset) or FP16; anything else is INVALID_ARGUMENT. */
    public static DType floatDtype(DType requested, String field) {
        return switch (requested) {
            case DTYPE_UNSPECIFIED, FP32 -> DType.FP32;
            case FP16 -> DType.FP16;
            default -> throw GlimpseException.invalid(field + " must be FP32 or FP16, got " + requested);
        };
    }

    public static TokenSet decode(VisualTokens v, int index, int maxTokens) {
        String what = "images[" + index + "]";
        if (!v.hasEmbeddings()) {
            throw GlimpseException.invalid(what + ".embeddings is missing");
        }
        if (v.getEmbeddings().getShapeCount() > 0 && v.getEmbeddings().getShape(0) > maxTokens) {
            throw GlimpseException.invalid(what + ".embeddings has " + v.getEmbeddings().getShape(0)
                    + " tokens; at most " + maxTokens + " per image (what the model's vision grid produces)");
        }
        if (v.getSpan() > maxTokens || v.getSpan() < 0) {
            throw GlimpseException.invalid(what + ".span " + v.getSpan() + " must be in 0.." + maxTokens);
        }
        if (v.getOriginCount() > maxTokens) {
            throw GlimpseException.invalid(what + ": " + v.getOriginCount() + " origins; at most " + maxTokens + " per image");
        }
        FloatTensor emb = TensorCodec.decode(v.getEmbeddings(), what + ".embeddings");
        if (emb.rank() != 2 || emb.dim(0) == 0) {
            throw GlimpseException.invalid(what + ".embeddings must be [n > 0, hidden], got rank " + emb.rank()
                    + (emb.rank() > 0 ? " with n = " + emb.dim(0) : ""));
        }
        if (!emb.allFinite()) {
            throw GlimpseException.invalid(what + ".embeddings contains NaN or Inf");
        }
        int n = emb.dim(0);
        if (v.getOriginCount() != n) {
            throw GlimpseException.invalid(what + ": " + v.getOriginCount() + " origins for " + n + " tokens");
        }
        int[] origin = new int[n];
        for (int i = 0; i < n; i++) {
            origin[i] = v.getOrigin(i);
            if (origin[i] < 0 || origin[i] >= v.getSpan()) {
                throw GlimpseException.invalid(what + ": origin " + origin[i] + " outside span " + v.getSpan());
            }
        }
        TokenKind kind = switch (v.getKind()) {
            case GRID, TOKEN_KIND_UNSPECIFIED -> TokenKind.GRID;
            case POOLED -> TokenKind.POOLED;
            case REGISTER -> TokenKind.REGISTER;
            case MERGED -> TokenKind.MERGED;
            default -> throw GlimpseException.invalid(what + ": unknown token kind " + v.getKindValue());
        };
        FloatTensor attention = null;
        if (v.hasAttention()) {
            attention = TensorCodec.decode(v.getAttention(), what + ".attention");
            if (attention.rank() != 3 || attention.dim(1) != n + 1 || attention.dim(2) != n + 1) {
                throw GlimpseException.invalid(what + ".attention must be [heads, n+1, n+1] with n = " + n);
            }
            if (!attention.allFinite()) {
                throw GlimpseException.invalid(what + ".attention contains NaN or Inf");
            }
        }
        FloatTensor keys = null;
        if (v.hasKeys()) {
            keys = TensorCodec.decode(v.getKeys(), what + ".keys");
            if (keys.rank() != 3 || keys.dim(1) != n + 1) {
                throw GlimpseException.invalid(what + ".keys must be [heads, n+1, head_dim] with n = " + n);
            }
            if (!keys.allFinite()) {
                throw GlimpseException.invalid(what + ".keys contains NaN or Inf");
            }
        }
        TokenizationReport report = null;
        if (v.hasReport()) {
            var r = v.getReport();
            TokenizationMode mode = r.getMode() == Tokenization.Mode.MODE_UNSPECIFIED || r.getMode() == Tokenization.Mode.UNRECOGNIZED
                    ? TokenizationMode.FULL : TokenizationMode.valueOf(r.getMode().name());
            report = new TokenizationReport(mode, r.getComplexity(), r.getChosenTokens(),
                    r.getPredictedFidelity(), r.getConsideredCountsList().stream().mapToInt(Integer::intValue).toArray(),
                    r.getImageWidth(), r.getImageHeight(), r.getEstimator().isEmpty() ? null : r.getEstimator(),
                    r.getTargetReached(), r.getEncoderFlops(), r.getEncoderFlopsFull());
        }
        float[] scores = null;
        if (v.getScoresCount() > 0) {
            scores = new float[v.getScoresCount()];
            for (int i = 0; i < scores.length; i++) {
                scores[i] = v.getScores(i);
            }
        }
        Tiles tiles = null;
        if (v.getTileTokens() > 0) {
            try {
                tiles = new Tiles(v.getTileRows(), v.getTileCols(), v.getTileTokens());
            } catch (IllegalArgumentException e) {
                throw GlimpseException.invalid(what + ": " + e.getMessage());
            }
            if ((long) tiles.count() * tiles.tokensPerTile() != v.getSpan()) {
                throw GlimpseException.invalid(what + ": " + tiles.count() + " tiles of " + tiles.tokensPerTile()
                        + " tokens do not make the span " + v.getSpan());
            }
        }
        return new TokenSet(emb, kind, origin, v.getSpan(), v.getGridH(), v.getGridW(), v.getPooledSide(),
                attention, keys, report, scores, tiles);
    }
}
