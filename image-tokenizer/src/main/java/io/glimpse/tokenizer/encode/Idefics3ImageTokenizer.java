package io.glimpse.tokenizer.encode;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.glimpse.model.bundle.Idefics3Spec;
import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.common.cancel.Cancellation;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.model.onnx.OrtTensors;
import io.glimpse.common.tensor.FloatTensor;
import io.glimpse.common.tokens.TokenKind;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.common.tokens.Tiles;
import io.glimpse.common.tokens.TokenizationReport;
import io.glimpse.tokenizer.image.DecodedImage;
import io.glimpse.tokenizer.image.Idefics3Tiles;
import io.glimpse.tokenizer.image.ImageDecoder;
import io.glimpse.tokenizer.image.ImageHeader;
import io.glimpse.tokenizer.image.ImageLimits;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Images -> visual tokens for an Idefics3 / SmolVLM bundle: each image split into tiles as its
 * processor does ({@link Idefics3Tiles}), its tiles through {@code vision_encoder.onnx}
 * ({@code pixel_values} [1, tiles, 3, S, S] and {@code pixel_attention_mask} [1, tiles, S, S] ->
 * {@code image_features} [tiles, image_seq_len, hidden]), one image at a time so a request holds
 * one image's tiles. FULL keeps every tile's tokens; POOLED n pools each tile's token grid to
 * n x n, so a tile is the unit the budget divides over. The other modes need parts these bundles
 * do not have (a resampler, a calibration) and are refused naming them.
 */
final class Idefics3ImageTokenizer implements VisionSide {
    private final ModelBundle bundle;
    private final Idefics3Spec spec;
    private final OrtSessionFactory sessions;
    private final OrtSession encoder;
    private final ImageDecoder decoder;
    private final ImageLimits limits;
    private final int hidden;
    private final EncoderCache cache;   // null: every image is encoded
    private final java.util.concurrent.atomic.AtomicLong tilesEncoded = new java.util.concurrent.atomic.AtomicLong();
    private volatile TileRelevance relevance;   // opened on the first request with max_tiles

    Idefics3ImageTokenizer(ModelBundle bundle, Idefics3Spec spec, OrtSessionFactory sessions, ImageDecoder decoder,
                           ImageLimits limits, EncoderCache cache) {
        this.cache = cache;
        this.bundle = bundle;
        this.spec = spec;
        this.sessions = sessions;
        this.encoder = sessions.open(bundle.require(ModelBundle.VISION_ENCODER, "the image tokenizer"));
        this.decoder = decoder;
        this.limits = limits;
        this.hidden = bundle.config().hiddenSize();
        for (String input : List.of("pixel_values", "pixel_attention_mask")) {
            if (!encoder.getInputNames().contains(input)) {
                throw GlimpseException.precondition(bundle.variant(ModelBundle.VISION_ENCODER) + " has no input '" + input
                        + "' (an Idefics3 vision encoder takes pixel_values and pixel_attention_mask); it has "
                        + encoder.getInputNames());
            }
        }
        if (!encoder.getOutputNames().contains("image_features")) {
            throw GlimpseException.precondition(bundle.variant(ModelBundle.VISION_ENCODER)
                    + " has no output 'image_features'; it has " + encoder.getOutputNames());
        }
    }

    @Override
    public void warmUp() {
        int s = spec.tileSize();
        encode(new float[3 * s * s], new boolean[s * s], 1);
    }

    /** Attention maps are a Glimpse-layout encoder's output; a tiled encoder's tokens carry none. */
    @Override
    public List<TokenSet> tokenize(List<Supplier<byte[]>> images, TokenizationSpec ts, boolean includeAttention) {
        int side = spec.tileGridSide();
        int pooledSide = switch (ts.mode()) {
            case FULL -> side;
            case POOLED -> {
                int n = (int) Math.round(Math.sqrt(Math.max(0, ts.tokens())));
                if (ts.tokens() <= 0 || n * n != ts.tokens() || n > side) {
                    throw GlimpseException.invalid("POOLED tokens (per tile) must be a square n*n with 1 <= n <= "
                            + side + ", got " + ts.tokens());
                }
                yield n;
            }
            case FLEX_PREFIX -> throw GlimpseException.precondition("FLEX_PREFIX tokenization needs "
                    + ModelBundle.RESAMPLER + " (a FlexTok-style register resampler), which an Idefics3 bundle does not have");
            case ADAPTIVE -> throw GlimpseException.precondition("ADAPTIVE tokenization needs a sufficiency head ("
                    + ModelBundle.RESAMPLER + ") or complexity_calibration in config.json, which this Idefics3 bundle"
                    + " does not have; use FULL or POOLED");
        };
        if (ts.maxTiles() < 0) {
            throw GlimpseException.invalid("max_tiles must be 0 (every tile) or the number of tiles to encode, got " + ts.maxTiles());
        }
        if (ts.maxTiles() > 0 && ts.question().isBlank()) {
            throw GlimpseException.invalid("max_tiles encodes the tiles most relevant to the question, and none was given"
                    + " (TokenizeRequest.question; the gateway sends the Ask's)");
        }
        int edge = spec.longestEdge();
        ImageHeader[] headers = decoder.requestHeaders(images, edge, edge, limits.maxRequestPixels());
        List<TokenSet> out = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            Cancellation.checkpoint();
            String key = cache == null ? null : EncoderCache.key(images.get(i).get());
            EncoderCache.Entry e = key == null ? null : cache.get(key, false, false);
            if (e == null) {
                Idefics3Tiles tiles;
                int w;
                int h;
                try (DecodedImage img = decoder.decode(images.get(i).get(), headers[i], "images[" + i + "]", edge, edge)) {
                    w = img.width();
                    h = img.height();
                    tiles = Idefics3Tiles.of(img.rgbBytes(), img.rgb().cols(), img.rgb().rows(), spec);
                }
                Cancellation.checkpoint();
                int split = tiles.rows() * tiles.cols();
                if (ts.maxTiles() > 0 && ts.maxTiles() < split) {
                    out.add(someTiles(tiles, ts, pooledSide, w, h));
                    continue;
                }
                e = new EncoderCache.Entry(encode(tiles.pixels(), tiles.mask(), tiles.count()), null, null, w, h, Double.NaN,
                        tiles.rows(), tiles.cols());
                if (cache != null) {
                    cache.put(key, e);
                }
            }
            FloatTensor features = e.features();
            int tileCount = e.tileRows() == 0 ? 1 : e.tileRows() * e.tileCols() + 1;
            if (ts.maxTiles() > 0 && ts.maxTiles() < tileCount - 1) {
                // a cached full encoding: the same tiles as encoding them anew would keep
                out.add(keep(features, chosen(features, e.tileRows(), e.tileCols(), ts), e.tileRows(), e.tileCols(), ts,
                        pooledSide, e.width(), e.height()));
                continue;
            }
            int w = e.width();
            int h = e.height();
            int perTile = pooledSide * pooledSide;
            FloatTensor tokens = features;
            if (pooledSide != side) {
                float[] pooled = new float[tileCount * perTile * hidden];
                int seq = spec.imageSeqLen();
                for (int t = 0; t < tileCount; t++) {
                    float[] one = new float[seq * hidden];
                    System.arraycopy(features.data(), t * seq * hidden, one, 0, one.length);
                    FloatTensor p = AdaptiveAvgPool.pool(FloatTensor.of(one, seq, hidden), side, side, pooledSide);
                    System.arraycopy(p.data(), 0, pooled, t * perTile * hidden, perTile * hidden);
                }
                tokens = FloatTensor.of(pooled, tileCount * perTile, hidden);
            }
            int n = tokens.dim(0);
            int[] origin = new int[n];
            for (int j = 0; j < n; j++) {
                origin[j] = j;
            }
            TokenizationReport report = new TokenizationReport(ts.mode(), 0f, n, 0f, new int[]{n}, w, h, null, false);
            out.add(new TokenSet(tokens, pooledSide == side ? TokenKind.GRID : TokenKind.POOLED, origin, n, side, side,
                    pooledSide == side ? 0 : pooledSide, null, null, report, null,
                    new Tiles(e.tileRows(), e.tileCols(), perTile)));
        }
        return out;
    }

    /**
     * QuoTA before the encoder: the global image is encoded first; each tile is scored by the question's
     * relevance to the global image's tokens over its region; only the {@code max_tiles} most relevant tiles are
     * encoded. The tiles left out never reach the encoder, and their positions stay empty as if a pruner had
     * dropped them (the prompt keeps their markers).
     */
    private TokenSet someTiles(Idefics3Tiles tiles, TokenizationSpec ts, int pooledSide, int w, int h) {
        int s = spec.tileSize();
        int split = tiles.rows() * tiles.cols();
        int plane = 3 * s * s;
        FloatTensor global = encode(java.util.Arrays.copyOfRange(tiles.pixels(), split * plane, (split + 1) * plane),
                java.util.Arrays.copyOfRange(tiles.mask(), split * s * s, (split + 1) * s * s), 1);
        int seq = spec.imageSeqLen();
        float[] all = new float[(split + 1) * seq * hidden];
        System.arraycopy(global.data(), 0, all, split * seq * hidden, seq * hidden);
        int[] chosen = chosen(FloatTensor.of(all, (split + 1) * seq, hidden), tiles.rows(), tiles.cols(), ts);
        float[] px = new float[chosen.length * plane];
        boolean[] mask = new boolean[chosen.length * s * s];
        for (int i = 0; i < chosen.length; i++) {
            System.arraycopy(tiles.pixels(), chosen[i] * plane, px, i * plane, plane);
            System.arraycopy(tiles.mask(), chosen[i] * s * s, mask, i * s * s, s * s);
        }
        Cancellation.checkpoint();
        FloatTensor encoded = encode(px, mask, chosen.length);
        for (int i = 0; i < chosen.length; i++) {
            System.arraycopy(encoded.data(), i * seq * hidden, all, chosen[i] * seq * hidden, seq * hidden);
        }
        return keep(FloatTensor.of(all, (split + 1) * seq, hidden), chosen, tiles.rows(), tiles.cols(), ts, pooledSide, w, h);
    }

    /** The {@code max_tiles} tiles most relevant to the question, ascending, from the global image's tokens (the last tile). */
    private int[] chosen(FloatTensor features, int rows, int cols, TokenizationSpec ts) {
        TileRelevance r = relevance;
        if (r == null) {
            synchronized (this) {
                if (relevance == null) {
                    relevance = new TileRelevance(bundle, sessions);
                }
                r = relevance;
            }
        }
        int seq = spec.imageSeqLen();
        int split = rows * cols;
        float[] global = java.util.Arrays.copyOfRange(features.data(), split * seq * hidden, (split + 1) * seq * hidden);
        float[] score = r.tiles(global, spec.tileGridSide(), hidden, rows, cols, ts.question());
        int[] best = io.glimpse.kernel.TopK.keepSorted(score, ts.maxTiles());
        java.util.Arrays.sort(best);
        return best;
    }

    /** The chosen tiles' tokens and the global image's, at their origins in the whole image's span. */
    private TokenSet keep(FloatTensor features, int[] chosen, int rows, int cols, TokenizationSpec ts, int pooledSide,
                          int w, int h) {
        int side = spec.tileGridSide();
        int seq = spec.imageSeqLen();
        int split = rows * cols;
        int perTile = pooledSide * pooledSide;
        int[] present = java.util.Arrays.copyOf(chosen, chosen.length + 1);
        present[chosen.length] = split;   // the global image
        float[] out = new float[present.length * perTile * hidden];
        int[] origin = new int[present.length * perTile];
        for (int i = 0; i < present.length; i++) {
            int t = present[i];
            FloatTensor one = FloatTensor.of(java.util.Arrays.copyOfRange(features.data(), t * seq * hidden, (t + 1) * seq * hidden),
                    seq, hidden);
            FloatTensor p = pooledSide == side ? one : AdaptiveAvgPool.pool(one, side, side, pooledSide);
            System.arraycopy(p.data(), 0, out, i * perTile * hidden, perTile * hidden);
            for (int j = 0; j < perTile; j++) {
                origin[i * perTile + j] = t * perTile + j;
            }
        }
        int n = origin.length;
        TokenizationReport report = new TokenizationReport(ts.mode(), 0f, n, 0f, new int[]{n}, w, h, null, false);
        return new TokenSet(FloatTensor.of(out, n, hidden), pooledSide == side ? TokenKind.GRID : TokenKind.POOLED, origin,
                (split + 1) * perTile, side, side, pooledSide == side ? 0 : pooledSide, null, null, report, null,
                new Tiles(rows, cols, perTile));
    }

    @Override
    public long tilesEncoded() {
        return tilesEncoded.get();
    }

    /** [tiles, image_seq_len, hidden] as [tiles * image_seq_len, hidden]. */
    private FloatTensor encode(float[] pixels, boolean[] mask, int tiles) {
        tilesEncoded.addAndGet(tiles);
        int s = spec.tileSize();
        try (OnnxTensor px = OrtTensors.floats(sessions.environment(), pixels, 1, tiles, 3, s, s);
             OnnxTensor m = OrtTensors.bools(sessions.environment(), mask, 1, tiles, s, s);
             OrtSession.Result r = encoder.run(Map.of("pixel_values", px, "pixel_attention_mask", m))) {
            FloatTensor f = OrtTensors.read(r.get("image_features").orElseThrow());
            long expected = (long) tiles * spec.imageSeqLen() * hidden;
            if (f.data().length != expected) {
                throw GlimpseException.precondition(bundle.variant(ModelBundle.VISION_ENCODER) + " gave "
                        + f.data().length + " values for " + tiles + " tiles; expected " + tiles + " x "
                        + spec.imageSeqLen() + " x " + hidden + " (image_seq_len x text hidden size)");
            }
            return FloatTensor.of(f.data(), tiles * spec.imageSeqLen(), hidden);
        } catch (OrtException e) {
            throw new GlimpseException(GlimpseException.Kind.INTERNAL, "vision encoder failed: " + e.getMessage(), e);
        }
    }

    @Override
    public List<String> features() {
        return List.of();
    }

    @Override
    public long encoderRuns() {
        return 0;
    }

    /** One image's tiles at a time (pixels and mask) plus its resized copies. */
    @Override
    public long worstCaseInputBytes(int maxImages) {
        long tile = spec.tileSize();
        long edge = spec.splitEdge();
        long tiles = bundle.maxVisualTokensPerImage() / spec.imageSeqLen();
        return (4L * 3 + 1) * tile * tile * tiles + 2L * 3 * (edge + tile) * (edge + tile);
    }

    @Override
    public int[] tiling() {
        return new int[]{spec.tileSize(), spec.longestEdge()};
    }

    @Override
    public void close() throws Exception {
        encoder.close();
        if (relevance != null) {
            relevance.close();
        }
    }
}
