package io.glimpse.tokenizer.encode;

import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.tokens.TokenKind;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.common.tokens.TokenizationMode;
import io.glimpse.model.bundle.BundleValidator;
import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.shapes.ScenePng;
import io.glimpse.shapes.ShapesVqaGenerator;
import io.glimpse.tokenizer.image.ImageLimits;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bundled model's staged encoder: exact without reduction, each method's schedule kept, bad schedules refused. */
class EncoderReductionTest {
    static ImageTokenizerEngine engine;
    static List<byte[]> images;

    @BeforeAll
    static void load() {
        engine = new ImageTokenizerEngine(ModelBundle.open(BundleCopy.bundled()), OrtSessionFactory.cpu(),
                ImageLimits.defaults(), 8);
        ShapesVqaGenerator g = new ShapesVqaGenerator(17);
        images = List.of(ScenePng.encode(g.next().scene()), ScenePng.encode(g.next().scene()));
    }

    @AfterAll
    static void close() throws Exception {
        engine.close();
    }

    static TokenizationSpec reduced(EncoderReduction.Method m, int... keep) {
        return TokenizationSpec.full().withReduction(new EncoderReduction(m, keep, 0));
    }

    @Test
    void stagesWithoutReductionAreTheEncoder() {
        TokenSet whole = engine.tokenize(images, TokenizationSpec.full(), true).get(1);
        // a schedule that keeps everything runs every stage on all 144 patches
        TokenSet staged = engine.tokenize(images, reduced(EncoderReduction.Method.ATTENTION_DROP, 144, 144, 144), true).get(1);
        assertEquals(144, staged.count());
        float[] a = whole.embeddings().data();
        float[] b = staged.embeddings().data();
        assertEquals(a.length, b.length);
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i], b[i], 1e-4, "feature " + i);
        }
        int[] all = new int[144];
        Arrays.setAll(all, i -> i);
        assertArrayEquals(all, staged.origin());
    }

    @Test
    void eachMethodKeepsItsSchedule() {
        TokenSet whole = engine.tokenize(images.subList(0, 1), TokenizationSpec.full(), false).get(0);
        for (EncoderReduction.Method m : List.of(EncoderReduction.Method.TOME, EncoderReduction.Method.ZERO_TPRUNE,
                EncoderReduction.Method.ATTENTION_DROP)) {
            TokenSet t = engine.tokenize(images.subList(0, 1), reduced(m, 100, 64, 36), true).get(0);
            assertEquals(36, t.count(), m + " leaves the last stage's count");
            assertEquals(128, t.hidden());
            assertEquals(144, t.span(), "positions stay those of the full grid");
            assertEquals(m == EncoderReduction.Method.TOME ? TokenKind.MERGED : TokenKind.GRID, t.kind());
            int[] o = t.origin();
            for (int i = 1; i < o.length; i++) {
                assertTrue(o[i] > o[i - 1] && o[i] < 144, m + " origins ascend within the grid");
            }
            assertEquals(37, t.attention().dim(1), "the last stage's attention covers CLS and the tokens kept");
            assertEquals(36, t.report().chosenTokens());
            // later blocks saw fewer tokens, so a kept token is not what the full encoder gives it
            float[] row = Arrays.copyOfRange(t.embeddings().data(), 0, 128);
            float[] full = Arrays.copyOfRange(whole.embeddings().data(), o[0] * 128, o[0] * 128 + 128);
            assertFalse(Arrays.equals(row, full), m.name());
        }
        // ToMe's r: 3 boundaries x 30 = 54 left
        TokenSet r = engine.tokenize(images.subList(0, 1), TokenizationSpec.full()
                .withReduction(new EncoderReduction(EncoderReduction.Method.TOME, new int[0], 30)), false).get(0);
        assertEquals(54, r.count());
        // a shorter schedule reduces once; later stages keep what it left
        assertEquals(64, engine.tokenize(images.subList(0, 1), reduced(EncoderReduction.Method.ZERO_TPRUNE, 64), false)
                .get(0).count());
    }

    @Test
    void dropByAttentionKeepsWhatClsAttendsToMost() {
        TokenSet t = engine.tokenize(images.subList(0, 1), reduced(EncoderReduction.Method.ATTENTION_DROP, 16), false).get(0);
        TokenSet z = engine.tokenize(images.subList(0, 1), reduced(EncoderReduction.Method.ZERO_TPRUNE, 16), false).get(0);
        assertEquals(16, t.count());
        assertNotEquals(Arrays.toString(t.origin()), Arrays.toString(z.origin()), "two rankings, two selections");
    }

    @Test
    void badSchedulesAreRefusedNamingTheStage() {
        var e = assertThrows(GlimpseException.class, () -> engine.tokenize(images.subList(0, 1),
                reduced(EncoderReduction.Method.TOME, 64, 100), false));
        assertEquals(GlimpseException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().contains("keep_per_stage[1] = 100") && e.getMessage().contains("(64)"), e.getMessage());
        e = assertThrows(GlimpseException.class, () -> engine.tokenize(images.subList(0, 1),
                reduced(EncoderReduction.Method.TOME, 100, 64, 36, 16), false));
        assertTrue(e.getMessage().contains("4 stages"), e.getMessage());
        e = assertThrows(GlimpseException.class, () -> engine.tokenize(images.subList(0, 1),
                reduced(EncoderReduction.Method.ATTENTION_DROP, 0), false));
        assertTrue(e.getMessage().contains("stage 2 needs at least one"), e.getMessage());
        e = assertThrows(GlimpseException.class, () -> engine.tokenize(images.subList(0, 1),
                reduced(EncoderReduction.Method.ATTENTION_DROP, 200), false));
        assertTrue(e.getMessage().contains("stage 1 has (144 patches)"), e.getMessage());
        e = assertThrows(GlimpseException.class, () -> engine.tokenize(images.subList(0, 1), TokenizationSpec.full()
                .withReduction(new EncoderReduction(EncoderReduction.Method.TOME, new int[0], 48)), false));
        assertTrue(e.getMessage().contains("r = 48") && e.getMessage().contains("at most 47"), e.getMessage());
        e = assertThrows(GlimpseException.class, () -> engine.tokenize(images.subList(0, 1), TokenizationSpec.full()
                .withReduction(new EncoderReduction(EncoderReduction.Method.NONE, new int[]{64}, 0)), false));
        assertTrue(e.getMessage().contains("without a method"), e.getMessage());
        e = assertThrows(GlimpseException.class, () -> engine.tokenize(images.subList(0, 1),
                new TokenizationSpec(TokenizationMode.POOLED, 16, 0, 0, 0f)
                        .withReduction(new EncoderReduction(EncoderReduction.Method.TOME, new int[]{64}, 0)), false));
        assertEquals(GlimpseException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().contains("mode FULL"), e.getMessage());
        // the engine serves the next request
        assertEquals(64, engine.tokenize(images.subList(0, 1), reduced(EncoderReduction.Method.TOME, 64), false).get(0).count());
    }

    @Test
    void aBundleWithoutStagesOrWithStagesThatDisagree(@TempDir Path dir) throws Exception {
        BundleCopy.into(dir);
        Path config = dir.resolve("config.json");
        String original = Files.readString(config);
        Files.writeString(config, original.replace("\"stages\"", "\"no_stages\""));
        try (ImageTokenizerEngine plain = new ImageTokenizerEngine(ModelBundle.open(dir), OrtSessionFactory.cpu(),
                ImageLimits.defaults(), 8)) {
            var e = assertThrows(GlimpseException.class, () -> plain.tokenize(images.subList(0, 1),
                    reduced(EncoderReduction.Method.TOME, 64), false));
            assertEquals(GlimpseException.Kind.FAILED_PRECONDITION, e.kind());
            assertTrue(e.getMessage().contains("vision.stages"), e.getMessage());
            assertEquals(144, plain.tokenize(images.subList(0, 1), TokenizationSpec.full(), false).get(0).count());
        }
        // block counts that do not add up to the ViT's layers, and a stage of another width
        Files.writeString(config, original.replace("{ \"graph\": \"vision_stage_3.onnx\", \"blocks\": 1 }",
                "{ \"graph\": \"vision_stage_3.onnx\", \"blocks\": 2 }"));
        var report = BundleValidator.check(dir);
        assertTrue(report.problems().stream().anyMatch(p -> p.contains("hold 5 blocks") && p.contains("num_layers is 4")),
                report.problems().toString());
        Files.writeString(config, original);
        Files.copy(dir.resolve("onnx/vision_stage_head.onnx"), dir.resolve("onnx/vision_stage_2.onnx"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        report = BundleValidator.check(dir);
        assertTrue(report.problems().stream().anyMatch(p -> p.startsWith("onnx/vision_stage_2.onnx")), report.problems().toString());
        Files.copy(BundleCopy.bundled().resolve("onnx/vision_stage_2.onnx"), dir.resolve("onnx/vision_stage_2.onnx"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertTrue(BundleValidator.check(dir).ok(), BundleValidator.check(dir).problems().toString());
    }
}
