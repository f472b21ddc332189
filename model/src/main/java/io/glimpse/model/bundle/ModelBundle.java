package io.glimpse.model.bundle;

import com.fasterxml.jackson.databind.JsonNode;
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
    /** The decoder with each layer's FFN as inputs, and the weights it takes (CoreMatching's neuron half). */
    public static final String CORE_DECODER = "onnx/decoder_model_core.onnx";
    public static final String FFN_WEIGHTS = "onnx/ffn_weights.bin";
    /** One decode step over a fixed-capacity past, returning only the new keys and values (the batch's KV in place). */
    public static final String STATIC_DECODER = "onnx/decoder_model_static.onnx";
    /** ADAPTIVE's question-aware head: image features and the question's words -> each candidate's predicted fidelity. */
    public static final String SUFFICIENCY_QUERY = "onnx/sufficiency_query.onnx";
    public static final String TOKENIZER = "tokenizer.json";
    public static final String CONFIG = "config.json";
    public static final String PREPROCESSOR = "preprocessor_config.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final BundleConfig config;
    private final PreprocessorConfig preprocessor;
    private final ModelFamily family;
    private final String suffix;
    private volatile String version;

    private ModelBundle(Path dir, BundleConfig config, PreprocessorConfig preprocessor, ModelFamily family,
                        String suffix) {
        this.dir = dir;
        this.config = config;
        this.preprocessor = preprocessor;
        this.family = family;
        this.suffix = suffix;
    }

    /**
     * The ONNX file-name suffix of each weight variant, as transformers.js names them
     * ({@code decoder_model_merged_q4.onnx}, ...). Variants whose graphs take float16 inputs are
     * refused when a session opens them: Glimpse feeds float32.
     */
    public static final java.util.Map<String, String> DTYPE_SUFFIXES = java.util.Map.of(
            "fp32", "", "fp16", "_fp16", "q8", "_quantized", "int8", "_int8", "uint8", "_uint8",
            "q4", "_q4", "q4f16", "_q4f16", "bnb4", "_bnb4");

    /** The model family, resolved when the bundle opened. */
    public ModelFamily family() {
        return family;
    }

    /** The most visual tokens one image can carry (the family's grid, registers or tiles). */
    public int maxVisualTokensPerImage() {
        return family.maxVisualTokensPerImage();
    }

    /** Reads config files; fails with FAILED_PRECONDITION naming what is missing or malformed. */
    public static ModelBundle open(Path dir) {
        return open(dir, "fp32");
    }

    /** @param dtype which weight variant's ONNX files to use ({@link #DTYPE_SUFFIXES}) */
    public static ModelBundle open(Path dir, String dtype) {
        if (!Files.isDirectory(dir)) {
            throw GlimpseException.precondition("model bundle directory " + dir + " does not exist");
        }
        String suffix = DTYPE_SUFFIXES.get(dtype);
        if (suffix == null) {
            throw GlimpseException.invalid("model dtype must be one of " + new java.util.TreeSet<>(DTYPE_SUFFIXES.keySet())
                    + ", got " + dtype);
        }
        JsonNode raw = json(existing(dir, CONFIG));
        JsonNode preprocessorJson = json(existing(dir, PREPROCESSOR));
        if (Idefics3Spec.describes(raw)) {
            Idefics3Spec spec = Idefics3Spec.parse(raw, preprocessorJson, optionalJson(dir.resolve("processor_config.json")),
                    chatTemplate(dir));
            JsonNode generation = optionalJson(dir.resolve("generation_config.json"));
            JsonNode eos = generation.path("eos_token_id");
            // several ends of sequence: the last is the chat turn's end (SmolVLM: <end_of_utterance>)
            int eosId = eos.isArray() && !eos.isEmpty() ? eos.get(eos.size() - 1).asInt()
                    : eos.isInt() ? eos.asInt() : raw.path("text_config").path("eos_token_id").asInt(2);
            BundleConfig config = BundleConfig.ofIdefics3(raw, spec, eosId);
            PreprocessorConfig pre = new PreprocessorConfig(spec.tileSize(), spec.tileSize(), "lanczos", spec.doRescale(),
                    spec.rescaleFactor(), spec.doNormalize(), spec.mean(), spec.std());
            return new ModelBundle(dir.toAbsolutePath().normalize(), config, pre, new ModelFamily.Idefics3(spec), suffix);
        }
        BundleConfig config = BundleConfig.parse(raw);
        PreprocessorConfig pre = PreprocessorConfig.parse(preprocessorJson, config.imageSize());
        return new ModelBundle(dir.toAbsolutePath().normalize(), config, pre, new ModelFamily.Glimpse(config), suffix);
    }

    private static JsonNode json(Path p) {
        try {
            return JSON.readTree(p.toFile());
        } catch (IOException e) {
            throw GlimpseException.precondition(p + " is not valid JSON: " + e.getMessage());
        }
    }

    private static JsonNode optionalJson(Path p) {
        return Files.isRegularFile(p) ? json(p) : com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }

    /**
     * The chat template where transformers keeps it: {@code chat_template.jinja}, {@code
     * chat_template.json}, or {@code tokenizer_config.json} (a string, or a list of named
     * templates of which "default" is used). Null when there is none.
     */
    private static String chatTemplate(Path dir) {
        try {
            if (Files.isRegularFile(dir.resolve("chat_template.jinja"))) {
                return Files.readString(dir.resolve("chat_template.jinja"));
            }
        } catch (IOException e) {
            throw GlimpseException.precondition(dir.resolve("chat_template.jinja") + " cannot be read: " + e.getMessage());
        }
        for (String file : List.of("chat_template.json", "tokenizer_config.json")) {
            JsonNode t = optionalJson(dir.resolve(file)).path("chat_template");
            if (t.isTextual()) {
                return t.asText();
            }
            if (t.isArray()) {
                for (JsonNode named : t) {
                    if (named.path("name").asText().equals("default")) {
                        return named.path("template").asText();
                    }
                }
            }
        }
        return null;
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
        return Files.isRegularFile(dir.resolve(variant(relative)));
    }

    /** Path of a bundle file a feature needs (in the chosen weight variant), or FAILED_PRECONDITION naming it. */
    public Path require(String relative, String feature) {
        String name = variant(relative);
        Path p = dir.resolve(name);
        if (!Files.isRegularFile(p)) {
            throw GlimpseException.precondition(feature + " needs " + name + ", which bundle " + dir + " does not have");
        }
        return p;
    }

    /** {@code onnx/x.onnx} -> {@code onnx/x_q4.onnx} for the chosen variant; other files as they are. */
    public String variant(String relative) {
        return suffix.isEmpty() || !relative.endsWith(".onnx") ? relative
                : relative.substring(0, relative.length() - ".onnx".length()) + suffix + ".onnx";
    }
}
