package io.glimpse.model;

import io.glimpse.model.bundle.BundleValidator;
import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.common.error.GlimpseException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BundleValidatorTest {
    static final Path BUNDLE = Path.of(System.getProperty("glimpse.bundle", "../models/glimpse-shapes-v3"));

    @Test
    void shippedBundleIsValid() {
        BundleValidator.Report r = BundleValidator.check(BUNDLE);
        assertTrue(r.ok(), r.problems().toString());
        assertEquals(128, ModelBundle.open(BUNDLE).config().hiddenSize());
    }

    @Test
    void missingRequiredFileIsNamedAndOptionalOneIsOnlyNoted(@TempDir Path tmp) throws IOException {
        Path copy = copy(BUNDLE, tmp.resolve("b"));
        Files.delete(copy.resolve(ModelBundle.DECODER));
        Files.delete(copy.resolve(ModelBundle.RESAMPLER));
        BundleValidator.Report r = BundleValidator.check(copy);
        assertFalse(r.ok());
        assertEquals(1, r.problems().size(), r.problems().toString());
        assertTrue(r.problems().get(0).contains("onnx/decoder_model_merged.onnx"));
        assertTrue(r.notes().stream().anyMatch(n -> n.contains("onnx/resampler.onnx")));
    }

    @Test
    void misShapedTensorIsNamed(@TempDir Path tmp) throws IOException {
        Path copy = copy(BUNDLE, tmp.resolve("b"));
        Path cfg = copy.resolve("config.json");
        Files.writeString(cfg, Files.readString(cfg).replaceFirst("\"hidden_size\"\\s*:\\s*128", "\"hidden_size\": 256"));
        BundleValidator.Report r = BundleValidator.check(copy);
        assertTrue(r.problems().stream().anyMatch(p -> p.contains("vision_encoder.onnx") && p.contains("image_features")),
                r.problems().toString());
        assertTrue(r.problems().stream().anyMatch(p -> p.contains("decoder_model_merged.onnx") && p.contains("inputs_embeds")),
                r.problems().toString());
    }

    @Test
    void missingConfigFieldFailsPrecondition(@TempDir Path tmp) throws IOException {
        Path copy = copy(BUNDLE, tmp.resolve("b"));
        Path cfg = copy.resolve("config.json");
        Files.writeString(cfg, Files.readString(cfg).replace("\"eos_token_id\"", "\"eos_token_idx\""));
        GlimpseException e = assertThrows(GlimpseException.class, () -> ModelBundle.open(copy));
        assertEquals(GlimpseException.Kind.FAILED_PRECONDITION, e.kind());
        assertTrue(e.getMessage().contains("eos_token_id"), e.getMessage());
    }

    @Test
    void requireNamesTheMissingFile(@TempDir Path tmp) throws IOException {
        Path copy = copy(BUNDLE, tmp.resolve("b"));
        Files.delete(copy.resolve(ModelBundle.LM_PROBE));
        GlimpseException e = assertThrows(GlimpseException.class,
                () -> ModelBundle.open(copy).require(ModelBundle.LM_PROBE, "CORE_MATCHING"));
        assertEquals(GlimpseException.Kind.FAILED_PRECONDITION, e.kind());
        assertTrue(e.getMessage().contains("onnx/lm_probe.onnx") && e.getMessage().contains("CORE_MATCHING"));
    }

    static Path copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        return to;
    }
}
