package io.glimpse.tokenizer.encode;

import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.methods.MethodNeed;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.model.bundle.BundleConfig;
import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.model.bundle.ModelFamily;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.tokenizer.image.ImageDecoder;
import io.glimpse.tokenizer.image.ImageLimits;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Images -> visual tokens: the checks every model family shares (how many images, none at all),
 * then the bundle's family's vision side ({@link GlimpseVisionSide}, {@link Idefics3ImageTokenizer}).
 */
public final class ImageTokenizerEngine implements AutoCloseable {
    private final ModelBundle bundle;
    private final int maxImages;
    private final ImageLimits limits;
    private final EncoderCache cache;   // null: every request encodes its images
    private final VisionSide side;      // the model family's way from images to tokens

    public ImageTokenizerEngine(ModelBundle bundle, OrtSessionFactory sessions, ImageLimits limits, int maxImages) {
        this(bundle, sessions, limits, maxImages, Batching.OFF);
    }

    /**
     * Cross-request batching of the vision encoder: up to {@code maxBatch} images, waiting at most
     * {@code maxWaitMicros} (and only while other requests are on their way), {@code workers}
     * batches at once.
     */
    public record Batching(int maxBatch, long maxWaitMicros, int workers) {
        public static final Batching OFF = new Batching(1, 0, 1);

        public Batching(int maxBatch, long maxWaitMicros) {
            this(maxBatch, maxWaitMicros, 2);
        }
    }

    public ImageTokenizerEngine(ModelBundle bundle, OrtSessionFactory sessions, ImageLimits limits, int maxImages,
                                Batching batching) {
        this(bundle, sessions, limits, maxImages, batching, 0);
    }

    /** @param cacheBytes encoder results kept for repeated images (0 = none; Glimpse-layout bundles) */
    public ImageTokenizerEngine(ModelBundle bundle, OrtSessionFactory sessions, ImageLimits limits, int maxImages,
                                Batching batching, long cacheBytes) {
        this.bundle = bundle;
        this.maxImages = maxImages;
        this.limits = limits;
        this.cache = cacheBytes > 0 ? new EncoderCache(cacheBytes) : null;
        ImageDecoder decoder = new ImageDecoder(limits);
        this.side = bundle.family().accept(new ModelFamily.Visitor<VisionSide>() {
            @Override
            public VisionSide glimpse(ModelFamily.Glimpse family) {
                return new GlimpseVisionSide(bundle, sessions, decoder, limits, batching, cache);
            }

            @Override
            public VisionSide idefics3(ModelFamily.Idefics3 family) {
                return new Idefics3ImageTokenizer(bundle, family.spec(), sessions, decoder, limits, cache);
            }
        });
    }

    /** The encoder cache, or null when there is none. */
    public EncoderCache cache() {
        return cache;
    }

    /** Vision-encoder runs made through the batcher (0 without batching). */
    public long encoderRuns() {
        return side.encoderRuns();
    }

    /** Tiles encoded so far by a tiled bundle's encoder (0 for untiled bundles). */
    public long tilesEncoded() {
        return side.tilesEncoded();
    }

    public BundleConfig config() {
        return bundle.config();
    }

    /**
     * Worst-case bytes of one running call's encoder input at {@code maxImages} images (every image at
     * the encoder's size, or a tiled image's tiles at a time plus its resized copies).
     */
    public long worstCaseInputBytes() {
        return side.worstCaseInputBytes(maxImages);
    }

    /** The tile side and longest edge a tiled family splits images by; 0 and 0 for one image at the encoder's size. */
    public int[] tiling() {
        return side.tiling();
    }

    public ModelBundle bundle() {
        return bundle;
    }

    public ImageLimits limits() {
        return limits;
    }

    /**
     * The optional parts of the bundle, by the names the metadata call lists: what the methods
     * need ({@link MethodNeed#feature()}) and what the tokenization modes need.
     */
    public List<String> features() {
        List<String> f = new ArrayList<>(side.features());
        if (bundle.has(ModelBundle.LM_PROBE)) {
            f.add(MethodNeed.LM_PROBE.feature());
        }
        if (bundle.has(ModelBundle.DECODER)) {
            f.add(MethodNeed.LM_DECODER.feature());
        }
        if (bundle.has(ModelBundle.CORE_DECODER) && bundle.has(ModelBundle.FFN_WEIGHTS)) {
            f.add("core_decoder");   // generation.core_neurons can be served
        }
        return f;
    }

    /** One encode of a blank image so the first real request does not pay for lazy initialisation. */
    public void warmUp() {
        side.warmUp();
    }

    public List<TokenSet> tokenize(List<byte[]> images, TokenizationSpec spec, boolean includeAttention) {
        return tokenizeSources(images.stream().<Supplier<byte[]>>map(b -> () -> b).toList(), spec, includeAttention);
    }

    /**
     * Tokenizes images whose bytes are fetched one at a time (so a request's images are never all
     * copied at once). Every header is checked first, against the per-image and per-request pixel
     * limits, before any pixel is decoded; then each image is decoded, preprocessed (and scored for
     * the complexity proxy) and released before the next, checking for cancellation in between.
     */
    public List<TokenSet> tokenizeSources(List<Supplier<byte[]>> images, TokenizationSpec spec, boolean includeAttention) {
        if (images.isEmpty()) {
            throw GlimpseException.invalid("no images: send at least one");
        }
        if (images.size() > maxImages) {
            throw GlimpseException.invalid("too many images: " + images.size() + " (the limit is " + maxImages + ")");
        }
        return side.tokenize(images, spec, includeAttention);
    }

    @Override
    public void close() throws Exception {
        side.close();
    }
}
