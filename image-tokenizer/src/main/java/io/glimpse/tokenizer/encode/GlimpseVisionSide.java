package io.glimpse.tokenizer.encode;

import io.glimpse.model.bundle.BundleConfig;
import io.glimpse.model.bundle.SufficiencyCandidate;
import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.common.cancel.Cancellation;
import io.glimpse.common.cost.PrefillCost;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.methods.MethodNeed;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.common.tensor.FloatTensor;
import io.glimpse.common.tokens.TokenKind;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.common.tokens.TokenizationMode;
import io.glimpse.common.tokens.TokenizationReport;
import io.glimpse.tokenizer.image.ImageDecoder;
import io.glimpse.tokenizer.encode.TokenizationSpec.Estimator;
import io.glimpse.tokenizer.image.ImageLimits;
import io.glimpse.tokenizer.image.EdgeComplexity;
import io.glimpse.tokenizer.image.Preprocessor;
import io.glimpse.tokenizer.image.DecodedImage;
import io.glimpse.tokenizer.image.ImageHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * The vision side of a Glimpse-layout bundle: each image decoded and preprocessed to the encoder's
 * size, one batched vision-encoder run (cached for repeated images), the register resampler when
 * the mode needs it, then the mode's selection (grid, pooling, prefix, adaptive).
 */
final class GlimpseVisionSide implements VisionSide {
    private static final Logger LOG = LoggerFactory.getLogger(GlimpseVisionSide.class);

    private final ModelBundle bundle;
    private final BundleConfig config;
    private final ImageDecoder decoder;
    private final Preprocessor preprocessor;
    private final VisionEncoder encoder;
    private final EncoderBatcher batcher;        // null: every request runs the encoder on its own
    private final RegisterResampler resampler;   // null when the bundle has none
    private final ComplexityCalibration calibration;   // null when the bundle has none
    private final QuerySufficiencyHead queryHead;       // null when the bundle has none
    private final io.glimpse.model.bundle.SufficiencySelection querySelection;
    private final ImageLimits limits;
    private final EncoderCache cache;                 // null: every request encodes its images
    private final StagedVisionEncoder staged;         // null when the bundle declares no stages
    private final double encoderFlops;                // the full encoder on one image (cost model; 0: ViT unknown)

    GlimpseVisionSide(ModelBundle bundle, OrtSessionFactory sessions, ImageDecoder decoder, ImageLimits limits,
                      ImageTokenizerEngine.Batching batching, EncoderCache cache) {
        this.bundle = bundle;
        this.config = bundle.config();
        this.decoder = decoder;
        this.preprocessor = new Preprocessor(bundle.preprocessor());
        this.cache = cache;
        this.encoder = new VisionEncoder(bundle, sessions);
        int plane = 3 * bundle.preprocessor().height() * bundle.preprocessor().width();
        this.batcher = batching.maxBatch() > 1
                ? new EncoderBatcher(encoder, batching.maxBatch(), batching.maxWaitMicros(), plane, batching.workers()) : null;
        this.resampler = bundle.has(ModelBundle.RESAMPLER) ? new RegisterResampler(bundle, sessions) : null;
        this.calibration = ComplexityCalibration.parse(config.complexityCalibration());
        this.queryHead = bundle.has(ModelBundle.SUFFICIENCY_QUERY) ? new QuerySufficiencyHead(bundle, sessions) : null;
        this.querySelection = config.querySelection();
        this.staged = config.visionStages() == null ? null : new StagedVisionEncoder(bundle, config.visionStages(), sessions);
        int[] vit = config.visionShape();
        this.encoderFlops = PrefillCost.encoderFlops(new int[]{config.gridTokens() + 1}, new int[]{vit[1]}, vit[0]);
        this.limits = limits;
        LOG.info("image tokenizer: OpenCV {}, bundle {}, grid {}x{}, registers {}", ImageDecoder.openCvVersion(),
                bundle.dir(), config.gridH(), config.gridW(), resampler == null ? "none" : config.registers());
    }

    @Override
    public long encoderRuns() {
        return batcher == null ? 0 : batcher.runs();
    }

    /**
     * The optional parts of the bundle, by the names the metadata call lists: what the methods
     * need ({@link MethodNeed#feature()}) and what the tokenization modes need.
     */
    @Override
    public List<String> features() {
        List<String> f = new ArrayList<>();
        if (encoder.hasAttention()) {
            f.add(MethodNeed.VISION_ATTENTION.feature());
        }
        if (encoder.hasKeys()) {
            f.add(MethodNeed.VISION_KEYS.feature());
        }
        if (resampler != null) {
            f.add("resampler");
            if (!config.sufficiency().isEmpty()) {
                f.add("sufficiency_head");
            }
        }
        if (calibration != null) {
            f.add("complexity_calibration");
        }
        if (queryHead != null) {
            f.add("query_sufficiency_head");
        }
        if (staged != null) {
            f.add("encoder_stages");
        }
        return f;
    }

    @Override
    public void warmUp() {
        float[] px = new float[3 * preprocessor.height() * preprocessor.width()];
        VisionOutputs out = encoder.encode(px, 1, true);
        if (resampler != null) {
            resampler.run(out.features());
        }
    }

    @Override
    public List<TokenSet> tokenize(List<Supplier<byte[]>> images, TokenizationSpec spec, boolean includeAttention) {
        validate(spec);
        if (spec.reduction().active()) {
            return reducedInEncoder(images, spec, includeAttention);
        }
        Estimator estimator = estimator(spec);
        boolean proxy = estimator == Estimator.COMPLEXITY_PROXY;
        int h = preprocessor.height();
        int w = preprocessor.width();
        ImageHeader[] headers = decoder.requestHeaders(images, w, h, limits.maxRequestPixels());
        boolean attention = includeAttention && spec.mode() == TokenizationMode.FULL && !pooledFrames(images.size());
        int n = images.size();
        EncoderCache.Entry[] encoded = new EncoderCache.Entry[n];
        String[] keys = new String[n];
        List<Integer> misses = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (cache != null) {
                keys[i] = EncoderCache.key(images.get(i).get());
                encoded[i] = cache.get(keys[i], attention && encoder.hasAttention(), proxy);
            }
            if (encoded[i] == null) {
                misses.add(i);
            }
        }
        if (!misses.isEmpty()) {
            encode(images, headers, misses, attention, proxy, encoded);
            if (cache != null) {
                misses.forEach(i -> cache.put(keys[i], encoded[i]));
            }
        }
        float[] all = new float[n * encoded[0].features().data().length];
        for (int i = 0; i < n; i++) {
            System.arraycopy(encoded[i].features().data(), 0, all, i * encoded[0].features().data().length,
                    encoded[0].features().data().length);
        }
        int[] shape = encoded[0].features().shape();
        VisionOutputs out = new VisionOutputs(new FloatTensor(new int[]{n, shape[0], shape[1]}, all), null, null);
        RegisterResampler.Output regs = needsRegisters(spec, estimator) ? resampler.run(out.features()) : null;
        List<TokenSet> result = new ArrayList<>();
        for (int b = 0; b < images.size(); b++) {
            result.add(select(spec, estimator, encoded[b], regs, b, attention, images.size()));
        }
        result.replaceAll(t -> t.withReport(t.report().withEncoderFlops(encoderFlops, encoderFlops)));
        return result;
    }

    /** Image {@code b}'s tokens under the request's mode, from its encoding (and the batch's registers when the mode reads them). */
    private TokenSet select(TokenizationSpec spec, Estimator estimator, EncoderCache.Entry entry,
                            RegisterResampler.Output regs, int b, boolean attention, int imageCount) {
        int[] img = {entry.width(), entry.height()};
        FloatTensor grid = entry.features();
        return switch (spec.mode()) {
            case FULL -> pooledFrames(imageCount)
                    ? pooled(grid, config.framePoolSide(), spec, img)
                    : new TokenSet(grid, TokenKind.GRID, range(grid.dim(0)), grid.dim(0), config.gridH(),
                    config.gridW(), 0, attention ? entry.attention() : null, attention ? entry.keys() : null,
                    report(spec, img, grid.dim(0), 0f, 0f, new int[]{grid.dim(0)}), null);
            case POOLED -> pooled(grid, side(spec.tokens()), spec, img);
            case FLEX_PREFIX -> prefix(VisionOutputs.slice(regs.registers(), b), spec.tokens(),
                    report(spec, img, spec.tokens(), 0f, 0f, new int[]{spec.tokens()}));
            case ADAPTIVE -> switch (estimator) {
                case SUFFICIENCY_HEAD -> adaptive(VisionOutputs.slice(regs.registers(), b),
                        VisionOutputs.slice(regs.sufficiency(), b).data(), grid, spec, img, config.selection(), estimator,
                        imageCount);
                case QUERY_HEAD -> adaptive(regs == null ? null : VisionOutputs.slice(regs.registers(), b),
                        queryHead.predict(grid, spec.question()), grid, spec, img, querySelection, estimator, imageCount);
                default -> adaptiveByProxy(grid, regs == null ? null : VisionOutputs.slice(regs.registers(), b), spec,
                        img, entry.complexity(), imageCount);
            };
        };
    }

    /**
     * Decodes, preprocesses and encodes the images at {@code which} (one encoder batch), each
     * released before the next is decoded, checking for cancellation in between.
     */
    private void encode(List<Supplier<byte[]>> images, ImageHeader[] headers, List<Integer> which, boolean attention,
                        boolean proxy, EncoderCache.Entry[] into) {
        int h = preprocessor.height();
        int w = preprocessor.width();
        int plane = 3 * h * w;
        float[] pixels = new float[which.size() * plane];
        int[][] sizes = new int[which.size()][];
        double[] complexity = new double[which.size()];
        if (batcher != null) {
            batcher.arrive();
        }
        try {
            for (int k = 0; k < which.size(); k++) {
                int i = which.get(k);
                Cancellation.checkpoint();
                try (DecodedImage img = decoder.decode(images.get(i).get(), headers[i], "images[" + i + "]", w, h)) {
                    preprocessor.toPixelValues(img, pixels, k * plane);
                    complexity[k] = proxy ? EdgeComplexity.edgeDensity(img, w) : Double.NaN;
                    sizes[k] = new int[]{img.width(), img.height()};
                }
            }
            Cancellation.checkpoint();
        } catch (RuntimeException e) {
            if (batcher != null) {
                batcher.leave();
            }
            throw e;
        }
        VisionOutputs out = batcher != null ? batcher.encode(pixels, which.size(), attention)
                : encoder.encode(pixels, which.size(), attention);
        for (int k = 0; k < which.size(); k++) {
            into[which.get(k)] = new EncoderCache.Entry(VisionOutputs.slice(out.features(), k),
                    VisionOutputs.slice(out.attentions(), k), VisionOutputs.slice(out.keys(), k), sizes[k][0], sizes[k][1],
                    complexity[k]);
        }
    }

    /**
     * FULL with encoder reduction: each image through the staged encoder, reduced between stages by the
     * request's schedule. No encoder cache: the later blocks run on the kept tokens, so a cached full encoding
     * does not serve. No cross-request batching yet (a schedule fixes the counts, so requests sharing one could).
     */
    private List<TokenSet> reducedInEncoder(List<Supplier<byte[]>> images, TokenizationSpec spec, boolean includeAttention) {
        if (pooledFrames(images.size())) {
            throw GlimpseException.invalid("encoder_reduction applies to single images; this bundle pools the frames of a "
                    + images.size() + "-image request to " + config.framePoolSide() + " x " + config.framePoolSide()
                    + " instead (video.frame_pool_side)");
        }
        int[] schedule = spec.reduction().schedule(staged.patches(), staged.stageCount());
        int h = preprocessor.height();
        int w = preprocessor.width();
        ImageHeader[] headers = decoder.requestHeaders(images, w, h, limits.maxRequestPixels());
        float[] px = new float[3 * h * w];
        List<TokenSet> out = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            Cancellation.checkpoint();
            int[] img;
            try (DecodedImage d = decoder.decode(images.get(i).get(), headers[i], "images[" + i + "]", w, h)) {
                preprocessor.toPixelValues(d, px, 0);
                img = new int[]{d.width(), d.height()};
            }
            StagedVisionEncoder.Output o = staged.encode(px, spec.reduction().method(), schedule);
            int k = o.origin().length;
            LOG.debug("encoder reduction {}: stages {} ms, reductions {} ms ({} multiply-adds), {} tokens leave",
                    spec.reduction(), o.encoderNanos() / 1_000_000, o.reductionNanos() / 1_000_000, o.flops(), k);
            out.add(new TokenSet(o.tokens(), o.merged() ? TokenKind.MERGED : TokenKind.GRID, o.origin(), config.gridTokens(),
                    config.gridH(), config.gridW(), 0, includeAttention ? o.attention() : null,
                    includeAttention ? o.keys() : null, report(spec, img, k, 0f, 0f, new int[]{k})
                    .withEncoderFlops(reducedFlops(schedule), encoderFlops), null));
        }
        return out;
    }

    /** The cost model's encoder FLOPs when stage s runs on what the reduction before it kept. */
    private double reducedFlops(int[] schedule) {
        var stages = config.visionStages().stages();
        int[] tokens = new int[stages.size()];
        int[] blocks = new int[stages.size()];
        for (int s = 0; s < stages.size(); s++) {
            tokens[s] = 1 + (s == 0 ? config.gridTokens() : schedule[s - 1]);
            blocks[s] = stages.get(s).blocks();
        }
        return PrefillCost.encoderFlops(tokens, blocks, config.visionShape()[0]);
    }

    /** A clip's frames at full resolution enter pooled when the bundle says so (video.frame_pool_side). */
    private boolean pooledFrames(int images) {
        return images > 1 && config.framePoolSide() > 0;
    }

    /** What one image of a request of {@code images} brings at full resolution: its grid, or its pooled frame. */
    private int fullTokens(int images) {
        return pooledFrames(images) ? config.framePoolSide() * config.framePoolSide() : config.gridTokens();
    }

    private boolean needsRegisters(TokenizationSpec spec, Estimator estimator) {
        if (spec.mode() == TokenizationMode.FLEX_PREFIX) {
            return true;
        }
        if (spec.mode() != TokenizationMode.ADAPTIVE) {
            return false;
        }
        return switch (estimator) {
            case SUFFICIENCY_HEAD -> true;
            case QUERY_HEAD -> resampler != null;   // its prefix candidates need registers
            default -> calibration.tokens().equals("registers");
        };
    }

    /** The ADAPTIVE estimator a request gets: AUTO prefers the learned head. */
    private Estimator estimator(TokenizationSpec spec) {
        if (spec.mode() != TokenizationMode.ADAPTIVE) {
            return null;
        }
        boolean head = resampler != null && !config.sufficiency().isEmpty();
        boolean query = queryHead != null && !config.sufficiency().isEmpty();
        Estimator e = spec.estimator() != Estimator.AUTO ? spec.estimator()
                : query && !spec.question().isBlank() ? Estimator.QUERY_HEAD
                : head ? Estimator.SUFFICIENCY_HEAD : Estimator.COMPLEXITY_PROXY;
        if (e == Estimator.QUERY_HEAD) {
            if (queryHead == null) {
                bundle.require(ModelBundle.SUFFICIENCY_QUERY, "ADAPTIVE with the question-aware head");
            }
            if (config.sufficiency().isEmpty()) {
                throw GlimpseException.precondition("ADAPTIVE with the question-aware head needs sufficiency.candidates"
                        + " in config.json");
            }
            if (spec.question().isBlank()) {
                throw GlimpseException.invalid("ADAPTIVE with the question-aware head needs the question the tokens will"
                        + " answer (TokenizeRequest.question; the gateway sends the Ask's); none was given");
            }
        }
        if (e == Estimator.SUFFICIENCY_HEAD && !head) {
            bundle.require(ModelBundle.RESAMPLER, "ADAPTIVE with the sufficiency head");
            throw GlimpseException.precondition("ADAPTIVE with the sufficiency head needs sufficiency.candidates in config.json");
        }
        if (e == Estimator.COMPLEXITY_PROXY) {
            if (calibration == null) {
                throw GlimpseException.precondition("ADAPTIVE with the complexity proxy needs complexity_calibration in "
                        + bundle.dir().resolve(ModelBundle.CONFIG) + " (write it with: glimpse bundle calibrate --write)");
            }
            if (calibration.tokens().equals("registers")) {
                requireResampler("ADAPTIVE with a register calibration");
            }
        }
        return e;
    }

    /** Non-learned single pass: the image's edge density -> the calibrated count for the target. */
    private TokenSet adaptiveByProxy(FloatTensor grid, FloatTensor registers, TokenizationSpec spec, int[] img,
                                     double complexity, int imageCount) {
        boolean pooled = calibration.tokens().equals("pooled");
        int cap = pooled ? fullTokens(imageCount) : config.registers();
        int min = spec.minTokens() > 0 ? spec.minTokens() : 1;
        int max = spec.maxTokens() > 0 ? Math.min(spec.maxTokens(), cap) : cap;
        ComplexityCalibration.Choice c = calibration.choose(complexity, spec.qualityTarget(), min, max);
        TokenizationReport report = report(spec, img, c.count(), (float) complexity, c.fidelity(), c.considered(),
                Estimator.COMPLEXITY_PROXY, c.fidelity() >= spec.qualityTarget());
        if (pooled) {
            return pooled(grid, side(c.count()), report);
        }
        return prefix(registers, c.count(), report);
    }

    private void validate(TokenizationSpec spec) {
        int grid = config.gridTokens();
        if (spec.maxTiles() != 0) {
            throw GlimpseException.precondition("max_tiles chooses which tiles of a tiled image to encode, and bundle "
                    + bundle.dir().getFileName() + " (layout glimpse) does not split images into tiles");
        }
        switch (spec.mode()) {
            case FULL -> { }
            case POOLED -> {
                int n = side(spec.tokens());
                if (spec.tokens() <= 0 || n * n != spec.tokens() || n > Math.min(config.gridH(), config.gridW())) {
                    throw GlimpseException.invalid("POOLED tokens must be a square n*n with 1 <= n <= "
                            + Math.min(config.gridH(), config.gridW()) + ", got " + spec.tokens());
                }
                // a side the model never saw answers far worse (9 x 9 on the default model: 54% against 98%
                // for its trained sides): refused, naming the ones it was trained on
                int[] trained = config.pooledSides();
                if (trained.length > 0 && Arrays.stream(trained).noneMatch(t -> t == n)) {
                    throw GlimpseException.invalid("POOLED " + spec.tokens() + " (" + n + "x" + n + ") is not a side this model"
                            + " was trained on; use one of " + Arrays.stream(trained).mapToObj(t -> t * t + " (" + t + "x" + t + ")")
                            .collect(java.util.stream.Collectors.joining(", ")));
                }
            }
            case FLEX_PREFIX -> {
                requireResampler("FLEX_PREFIX");
                if (spec.tokens() < 1 || spec.tokens() > config.registers()) {
                    throw GlimpseException.invalid("FLEX_PREFIX tokens must be in 1.." + config.registers()
                            + ", got " + spec.tokens());
                }
            }
            case ADAPTIVE -> {
                if (!(spec.qualityTarget() > 0f && spec.qualityTarget() <= 1f)) {
                    throw GlimpseException.invalid("ADAPTIVE quality_target must be in (0, 1], got " + spec.qualityTarget());
                }
                if (spec.minTokens() < 0 || spec.maxTokens() < 0
                        || (spec.maxTokens() > 0 && spec.minTokens() > spec.maxTokens())) {
                    throw GlimpseException.invalid("ADAPTIVE needs 0 <= min_tokens <= max_tokens, got "
                            + spec.minTokens() + ".." + spec.maxTokens());
                }
            }
        }
        if (grid <= 0) {
            throw GlimpseException.precondition("bundle config has an empty vision grid");
        }
        if (spec.reduction().active()) {
            if (spec.mode() != TokenizationMode.FULL) {
                throw GlimpseException.invalid("encoder_reduction reduces the full grid inside the encoder: it needs "
                        + "tokenization mode FULL, not " + spec.mode());
            }
            if (staged == null) {
                throw GlimpseException.precondition("encoder_reduction needs a staged vision encoder, and bundle "
                        + bundle.dir() + " declares none (config.json vision.stages and its graphs; add them with "
                        + "tools/export.py --stages-only)");
            }
        } else {
            spec.reduction().schedule(grid, staged == null ? 1 : staged.stageCount());   // refuses a schedule without a method
        }
    }

    private void requireResampler(String mode) {
        if (resampler == null) {
            bundle.require(ModelBundle.RESAMPLER, mode + " tokenization");
        }
    }

    private TokenSet pooled(FloatTensor grid, int n, TokenizationSpec spec, int[] img) {
        return pooled(grid, n, report(spec, img, n * n, 0f, 0f, new int[]{n * n}));
    }

    private TokenSet pooled(FloatTensor grid, int n, TokenizationReport report) {
        FloatTensor pooled = AdaptiveAvgPool.pool(grid, config.gridH(), config.gridW(), n);
        return new TokenSet(pooled, TokenKind.POOLED, range(n * n), n * n, config.gridH(), config.gridW(), n,
                null, null, report, null);
    }

    private TokenSet prefix(FloatTensor registers, int k, TokenizationReport report) {
        int[] rows = range(k);
        // span = all registers: a prefix is the register sequence with its tail cut, positions unchanged
        return new TokenSet(registers.selectRows(rows), TokenKind.REGISTER, rows, registers.dim(0),
                config.gridH(), config.gridW(), 0, null, null, report, null);
    }

    /**
     * KARL-style single pass, graded: the head predicts, per candidate count (register prefixes and pooled
     * sides), the probability that it reproduces the full grid's answer; the cheapest candidate whose
     * prediction reaches the target's threshold (the bundle's measured table, else the target) wins. When
     * none does, the full grid (fidelity 1 by definition) if {@code max_tokens} allows it, else the most
     * faithful candidate allowed, reported as short of the target.
     */
    private TokenSet adaptive(FloatTensor registers, float[] p, FloatTensor grid, TokenizationSpec spec, int[] img,
                              io.glimpse.model.bundle.SufficiencySelection selection, Estimator estimator, int imageCount) {
        // a clip's frame at full resolution is its pooled frame: the ceiling and the fallback
        int full = fullTokens(imageCount);
        List<SufficiencyCandidate> candidates = config.sufficiency();
        if (p.length != candidates.size()) {
            throw GlimpseException.precondition("the " + estimator.name().toLowerCase(java.util.Locale.ROOT) + " gave "
                    + p.length + " predictions but config.json lists " + candidates.size() + " sufficiency.candidates");
        }
        float threshold = selection.threshold(spec.qualityTarget());
        int min = spec.minTokens() > 0 ? spec.minTokens() : 1;
        int max = spec.maxTokens() > 0 ? Math.min(spec.maxTokens(), full) : full;
        Integer[] order = new Integer[candidates.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        // cheapest first; at equal cost (4 registers or 2x2 pooled) the one predicted more faithful first
        Arrays.sort(order, java.util.Comparator.<Integer>comparingInt(i -> candidates.get(i).tokens())
                .thenComparing(i -> -p[i]));
        int chosen = -1;
        int best = -1;
        List<Integer> considered = new ArrayList<>();
        for (int i : order) {
            SufficiencyCandidate c = candidates.get(i);
            if (c.tokens() < min || c.tokens() > max || c.kind() == SufficiencyCandidate.Kind.PREFIX && registers == null) {
                continue;
            }
            considered.add(c.tokens());
            if (chosen < 0 && p[i] >= threshold) {
                chosen = i;
            }
            if (best < 0 || p[i] > p[best]) {
                best = i;
            }
        }
        // how much the cheapest candidate is predicted to lose: a single-pass measure of the image's difficulty
        float complexity = 1f - p[order[0]];
        boolean gridAllowed = full >= min && full <= max;
        if (gridAllowed && !considered.contains(full)) {
            considered.add(full);
        }
        int[] counts = considered.stream().mapToInt(Integer::intValue).toArray();
        if (chosen < 0 && gridAllowed) {
            TokenizationReport report = report(spec, img, full, complexity, 1f, counts, estimator, true);
            if (pooledFrames(imageCount)) {
                return pooled(grid, config.framePoolSide(), report);
            }
            return new TokenSet(grid, TokenKind.GRID, range(grid.dim(0)), grid.dim(0), config.gridH(), config.gridW(), 0,
                    null, null, report, null);
        }
        if (chosen < 0 && best < 0) {
            throw GlimpseException.invalid("ADAPTIVE: no supported count lies in [" + min + ", " + max + "]; the bundle offers "
                    + candidates + " or the full " + (pooledFrames(imageCount) ? "frame" : "grid") + " of " + full);
        }
        boolean reached = chosen >= 0;
        int pick = reached ? chosen : best;
        SufficiencyCandidate c = candidates.get(pick);
        TokenizationReport report = report(spec, img, c.tokens(), complexity, p[pick], counts, estimator, reached);
        if (c.kind() == SufficiencyCandidate.Kind.PREFIX) {
            return prefix(registers, c.param(), report);
        }
        return pooled(grid, c.param(), report);
    }

    private static TokenizationReport report(TokenizationSpec spec, int[] img, int chosen, float complexity,
                                             float fidelity, int[] considered) {
        return new TokenizationReport(spec.mode(), complexity, chosen, fidelity, considered, img[0], img[1], null, false);
    }

    private static TokenizationReport report(TokenizationSpec spec, int[] img, int chosen, float complexity,
                                             float fidelity, int[] considered, Estimator estimator, boolean reached) {
        return new TokenizationReport(spec.mode(), complexity, chosen, fidelity, considered, img[0], img[1],
                estimator == Estimator.QUERY_HEAD ? "query_sufficiency_head" : estimator.name().toLowerCase(java.util.Locale.ROOT),
                reached);
    }

    private static int side(int tokens) {
        return (int) Math.round(Math.sqrt(Math.max(0, tokens)));
    }

    private static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }

    @Override
    public long worstCaseInputBytes(int maxImages) {
        int side = Math.max(bundle.preprocessor().height(), bundle.preprocessor().width());
        return 4L * 3 * side * side * maxImages;
    }

    @Override
    public void close() throws Exception {
        if (batcher != null) {
            batcher.close();
        }
        if (queryHead != null) {
            queryHead.close();
        }
        encoder.close();
        if (staged != null) {
            staged.close();
        }
        if (resampler != null) {
            resampler.close();
        }
    }
}
