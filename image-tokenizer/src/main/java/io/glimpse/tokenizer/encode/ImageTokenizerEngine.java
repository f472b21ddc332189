package io.glimpse.tokenizer.encode;

import io.glimpse.common.bundle.BundleConfig;
import io.glimpse.common.bundle.ModelBundle;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.onnx.OrtSessionFactory;
import io.glimpse.common.tensor.FloatTensor;
import io.glimpse.common.tokens.TokenKind;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.common.tokens.TokenizationMode;
import io.glimpse.common.tokens.TokenizationReport;
import io.glimpse.tokenizer.image.ImageDecoder;
import io.glimpse.tokenizer.image.ImageLimits;
import io.glimpse.tokenizer.image.Preprocessor;
import io.glimpse.tokenizer.image.RgbImage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Images -> visual tokens: decode, preprocess, one batched vision-encoder run, then the mode's selection. */
public final class ImageTokenizerEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ImageTokenizerEngine.class);

    private final ModelBundle bundle;
    private final BundleConfig config;
    private final ImageDecoder decoder;
    private final Preprocessor preprocessor;
    private final VisionEncoder encoder;
    private final RegisterResampler resampler;   // null when the bundle has none
    private final int maxImages;

    public ImageTokenizerEngine(ModelBundle bundle, OrtSessionFactory sessions, ImageLimits limits, int maxImages) {
        this.bundle = bundle;
        this.config = bundle.config();
        this.decoder = new ImageDecoder(limits);
        this.preprocessor = new Preprocessor(bundle.preprocessor());
        this.encoder = new VisionEncoder(bundle, sessions);
        this.resampler = bundle.has(ModelBundle.RESAMPLER) ? new RegisterResampler(bundle, sessions) : null;
        this.maxImages = maxImages;
        LOG.info("image tokenizer: OpenCV {}, bundle {}, grid {}x{}, registers {}", ImageDecoder.openCvVersion(),
                bundle.dir(), config.gridH(), config.gridW(), resampler == null ? "none" : config.registers());
    }

    public BundleConfig config() {
        return config;
    }

    /** One encode of a blank image so the first real request does not pay for lazy initialisation. */
    public void warmUp() {
        float[] px = new float[3 * preprocessor.height() * preprocessor.width()];
        VisionOutputs out = encoder.encode(px, 1, true);
        if (resampler != null) {
            resampler.run(out.features());
        }
    }

    public List<TokenSet> tokenize(List<byte[]> images, TokenizationSpec spec, boolean includeAttention) {
        if (images.isEmpty()) {
            throw GlimpseException.invalid("no images: send at least one");
        }
        if (images.size() > maxImages) {
            throw GlimpseException.invalid("too many images: " + images.size() + " (the limit is " + maxImages + ")");
        }
        validate(spec);
        int plane = 3 * preprocessor.height() * preprocessor.width();
        float[] pixels = new float[images.size() * plane];
        List<RgbImage> decoded = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            RgbImage img = decoder.decode(images.get(i), "images[" + i + "]");
            decoded.add(img);
            preprocessor.toPixelValues(img, pixels, i * plane);
        }
        boolean attention = includeAttention && spec.mode() == TokenizationMode.FULL;
        VisionOutputs out = encoder.encode(pixels, images.size(), attention);
        RegisterResampler.Output regs = needsRegisters(spec) ? resampler.run(out.features()) : null;
        List<TokenSet> result = new ArrayList<>();
        for (int b = 0; b < images.size(); b++) {
            RgbImage img = decoded.get(b);
            FloatTensor grid = VisionOutputs.slice(out.features(), b);
            result.add(switch (spec.mode()) {
                case FULL -> new TokenSet(grid, TokenKind.GRID, range(grid.dim(0)), grid.dim(0), config.gridH(),
                        config.gridW(), 0, VisionOutputs.slice(out.attentions(), b), VisionOutputs.slice(out.keys(), b),
                        report(spec, img, grid.dim(0), 0f, 0f, new int[]{grid.dim(0)}), null);
                case POOLED -> pooled(grid, side(spec.tokens()), spec, img);
                case FLEX_PREFIX -> prefix(VisionOutputs.slice(regs.registers(), b), spec.tokens(),
                        report(spec, img, spec.tokens(), 0f, 0f, new int[]{spec.tokens()}));
                case ADAPTIVE -> adaptive(VisionOutputs.slice(regs.registers(), b),
                        VisionOutputs.slice(regs.sufficiency(), b), spec, img);
            });
        }
        return result;
    }

    private boolean needsRegisters(TokenizationSpec spec) {
        return spec.mode() == TokenizationMode.FLEX_PREFIX || spec.mode() == TokenizationMode.ADAPTIVE;
    }

    private void validate(TokenizationSpec spec) {
        int grid = config.gridTokens();
        switch (spec.mode()) {
            case FULL -> { }
            case POOLED -> {
                int n = side(spec.tokens());
                if (spec.tokens() <= 0 || n * n != spec.tokens() || n > Math.min(config.gridH(), config.gridW())) {
                    throw GlimpseException.invalid("POOLED tokens must be a square n*n with 1 <= n <= "
                            + Math.min(config.gridH(), config.gridW()) + ", got " + spec.tokens());
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
                requireResampler("ADAPTIVE");
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
    }

    private void requireResampler(String mode) {
        if (resampler == null) {
            bundle.require(ModelBundle.RESAMPLER, mode + " tokenization");
        }
    }

    private TokenSet pooled(FloatTensor grid, int n, TokenizationSpec spec, RgbImage img) {
        FloatTensor pooled = AdaptiveAvgPool.pool(grid, config.gridH(), config.gridW(), n);
        return new TokenSet(pooled, TokenKind.POOLED, range(n * n), n * n, config.gridH(), config.gridW(), n,
                null, null, report(spec, img, n * n, 0f, 0f, new int[]{n * n}), null);
    }

    private TokenSet prefix(FloatTensor registers, int k, TokenizationReport report) {
        int[] rows = range(k);
        // span = all registers: a prefix is the register sequence with its tail cut, positions unchanged
        return new TokenSet(registers.selectRows(rows), TokenKind.REGISTER, rows, registers.dim(0),
                config.gridH(), config.gridW(), 0, null, null, report, null);
    }

    /** KARL-style single pass: the smallest supported prefix whose predicted fidelity reaches the target. */
    private TokenSet adaptive(FloatTensor registers, FloatTensor sufficiency, TokenizationSpec spec, RgbImage img) {
        int[] ks = config.sufficiencyKs();
        int min = spec.minTokens() > 0 ? spec.minTokens() : 1;
        int max = spec.maxTokens() > 0 ? Math.min(spec.maxTokens(), config.registers()) : config.registers();
        int chosen = -1;
        float fidelity = 0f;
        List<Integer> considered = new ArrayList<>();
        for (int i = 0; i < ks.length; i++) {
            if (ks[i] < min || ks[i] > max) {
                continue;
            }
            considered.add(ks[i]);
            if (chosen < 0 && sufficiency.data()[i] >= spec.qualityTarget()) {
                chosen = ks[i];
                fidelity = sufficiency.data()[i];
            }
        }
        if (chosen < 0) {
            chosen = considered.isEmpty() ? Math.max(min, Math.min(max, config.registers())) : considered.get(considered.size() - 1);
            int idx = Arrays.stream(ks).boxed().toList().indexOf(chosen);
            fidelity = idx >= 0 ? sufficiency.data()[idx] : 0f;
        }
        float complexity = 1f - sufficiency.data()[0];
        return prefix(registers, chosen, report(spec, img, chosen, complexity, fidelity,
                considered.stream().mapToInt(Integer::intValue).toArray()));
    }

    private static TokenizationReport report(TokenizationSpec spec, RgbImage img, int chosen, float complexity,
                                             float fidelity, int[] considered) {
        return new TokenizationReport(spec.mode(), complexity, chosen, fidelity, considered, img.width(), img.height());
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
    public void close() throws Exception {
        encoder.close();
        if (resampler != null) {
            resampler.close();
        }
    }
}
