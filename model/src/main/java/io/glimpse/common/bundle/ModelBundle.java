package io.glimpse.common.bundle;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.glimpse.common.error.GlimpseException;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A model directory in the Hugging Face / transformers.js ONNX layout (docs/design/model.md). Optional parts
 * ({@code resampler}, {@code lm_probe}, attention outputs) are looked up when a feature needs them;
 * {@link #require} names the missing file in a FAILED_PRECONDITION error.
 */
public final class ModelBundle {
    public static final String VISION_ENCODER = "onnx/vision_encoder.onnx";
    public static final String EMBED_TOKENS = "onnx/embed_tokens.onnx";
    public static final String DECODER = "onnx/decoder_model_merged.onnx";
    public static final String RESAMPLER = "onnx/resampler.onnx";
    public static final String LM_PROBE = "onnx/lm_probe.onnx";
    public static final String TOKENIZER = "tokenizer.json";
    public static final String CONFIG = "config.json";
    public static final String PREPROCESSOR = "preprocessor_config.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final BundleConfig config;
    private final PreprocessorConfig preprocessor;
    private volatile String version;

    private ModelBundle(Path dir, BundleConfig config, PreprocessorConfig preprocessor) {
        this.dir = dir;
        this.config = config;
        this.preprocessor = preprocessor;
    }

    /** Reads config files; fails with FAILED_PRECONDITION naming what is missing or malformed. */
    public static ModelBundle open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw GlimpseException.precondition("model bundle directory " + dir + " does not exist");
        }
        BundleConfig config;
        try {
            config = BundleConfig.parse(JSON.readTree(existing(dir, CONFIG).toFile()));
        } catch (IOException e) {
            throw GlimpseException.precondition(dir.resolve(CONFIG) + " is not valid JSON: " + e.getMessage());
        }
        PreprocessorConfig pre;
        try {
            pre = PreprocessorConfig.parse(JSON.readTree(existing(dir, PREPROCESSOR).toFile()), config.imageSize());
        } catch (IOException e) {
            throw GlimpseException.precondition(dir.resolve(PREPROCESSOR) + " is not valid JSON: " + e.getMessage());
        }
        return new ModelBundle(dir.toAbsolutePath().normalize(), config, pre);
    }

    private static Path existing(Path dir, String name) {
        Path p = dir.resolve(name);
        if (!Files.isRegularFile(p)) {
            throw GlimpseException.precondition("model bundle " + dir + " has no " + name);
        }
        return p;
    }

    public Path dir() {
        return dir;
    }

    public BundleConfig config() {
        return config;
    }

    public PreprocessorConfig preprocessor() {
        return preprocessor;
    }

    /**
     * config.json's {@code version} when it names one; else the first 12 hex digits of a SHA-256
     * over config.json and the ONNX files, so two replicas serving different weights say so.
     * Computed once, on first use (hashing a large model takes a moment).
     */
    public String version() {
        String v = version;
        if (v == null) {
            v = config.raw().path("version").asText("");
            if (v.isBlank()) {
                v = contentHash();
            }
            version = v;
        }
        return v;
    }

    private String contentHash() {
        try {
            java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
            List<Path> files = new ArrayList<>(List.of(dir.resolve(CONFIG)));
            Path onnx = dir.resolve("onnx");
            if (Files.isDirectory(onnx)) {
                try (Stream<Path> s = Files.list(onnx)) {
                    s.filter(Files::isRegularFile).sorted().forEach(files::add);
                }
            }
            byte[] buf = new byte[1 << 16];
            for (Path f : files) {
                sha.update(dir.relativize(f).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                try (InputStream in = Files.newInputStream(f)) {
                    for (int n; (n = in.read(buf)) > 0; ) {
                        sha.update(buf, 0, n);
                    }
                }
            }
            return java.util.HexFormat.of().formatHex(sha.digest()).substring(0, 12);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public boolean has(String relative) {
        return Files.isRegularFile(dir.resolve(relative));
    }

    /** Path of a bundle file a feature needs, or FAILED_PRECONDITION naming it. */
    public Path require(String relative, String feature) {
        Path p = dir.resolve(relative);
        if (!Files.isRegularFile(p)) {
            throw GlimpseException.precondition(feature + " needs " + relative + ", which bundle " + dir + " does not have");
        }
        return p;
    }
}
