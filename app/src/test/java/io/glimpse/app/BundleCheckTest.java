package io.glimpse.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.glimpse.model.bundle.BundleValidator;
import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.common.server.ServerConfig;
import io.glimpse.tokenizer.TokenizerServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code glimpse bundle check} and the services' start-up check on both layouts: copies of the
 * shipped bundles with one thing broken, each named in the report.
 */
class BundleCheckTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SHAPES = StackFixture.TEST_BUNDLE;
    private static final Path SMOLVLM = StackFixture.HOME.resolve("models/smolvlm-tiny");

    private static Path copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path d = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(d);
                } else {
                    Files.copy(p, d);
                }
            }
        }
        return to;
    }

    private static void editJson(Path file, Consumer<ObjectNode> edit) throws IOException {
        ObjectNode n = (ObjectNode) JSON.readTree(file.toFile());
        edit.accept(n);
        JSON.writeValue(file.toFile(), n);
    }

    private static String problems(Path dir) {
        BundleValidator.Report r = BundleValidator.check(dir);
        return String.join("\n", r.problems());
    }

    @Test
    void bothShippedLayoutsAreValidAndRecognised() {
        BundleValidator.Report shapes = BundleValidator.check(SHAPES);
        assertTrue(shapes.ok(), shapes.problems().toString());
        assertTrue(shapes.notes().get(0).startsWith("layout: Glimpse"), shapes.notes().toString());
        BundleValidator.Report smol = BundleValidator.check(SMOLVLM);
        assertTrue(smol.ok(), smol.problems().toString());
        assertTrue(smol.notes().get(0).startsWith("layout: Idefics3"), smol.notes().toString());
        assertEquals("idefics3", ModelBundle.open(SMOLVLM).family().name());
    }

    @Test
    void everyMissingFileIsNamed(@TempDir Path tmp) throws IOException {
        Path b = copy(SMOLVLM, tmp.resolve("b"));
        Files.delete(b.resolve("onnx/decoder_model_merged.onnx"));
        Files.delete(b.resolve("onnx/embed_tokens.onnx"));
        Files.delete(b.resolve("tokenizer.json"));
        String p = problems(b);
        assertTrue(p.contains("missing onnx/decoder_model_merged.onnx"), p);
        assertTrue(p.contains("missing onnx/embed_tokens.onnx"), p);
        assertTrue(p.contains("missing tokenizer.json"), p);
        String variant = String.join("\n", BundleValidator.check(SMOLVLM, "q4").problems());
        assertTrue(variant.contains("missing onnx/vision_encoder_q4.onnx"), variant);
    }

    @Test
    void sizesThatDoNotMatchAreNamed(@TempDir Path tmp) throws IOException {
        Path tiles = copy(SMOLVLM, tmp.resolve("tiles"));
        editJson(tiles.resolve("preprocessor_config.json"), n -> ((ObjectNode) n.get("max_image_size")).put("longest_edge", 96));
        String p = problems(tiles);
        assertTrue(p.contains("max_image_size.longest_edge is 96 but the vision encoder takes 64 x 64"), p);

        Path seq = copy(SMOLVLM, tmp.resolve("seq"));
        editJson(seq.resolve("processor_config.json"), n -> n.put("image_seq_len", 64));
        assertTrue(problems(seq).contains("image_seq_len 64 does not match the vision encoder"), problems(seq));

        Path width = copy(SMOLVLM, tmp.resolve("width"));
        editJson(width.resolve("config.json"), n -> ((ObjectNode) n.get("text_config")).put("hidden_size", 96));
        String w = problems(width);
        assertTrue(w.contains("onnx/vision_encoder.onnx: 'image_features' has shape"), w);
        assertTrue(w.contains("onnx/decoder_model_merged.onnx: 'inputs_embeds' has shape"), w);

        Path missing = copy(SMOLVLM, tmp.resolve("missing"));
        editJson(missing.resolve("config.json"), n -> ((ObjectNode) n.get("vision_config")).remove("patch_size"));
        assertTrue(problems(missing).contains("config.json vision_config.patch_size"), problems(missing));

        Path pre = copy(SHAPES, tmp.resolve("shapes"));
        editJson(pre.resolve("preprocessor_config.json"), n -> n.set("size", JSON.createObjectNode().put("height", 64).put("width", 64)));
        String g = problems(pre);
        assertTrue(g.contains("resizes to 64 x 64 but the vision encoder takes 96 x 96"), g);
    }

    @Test
    void theCoreNeuronDecoderNeedsItsWeightsAtTheirSize(@TempDir Path tmp) throws IOException {
        assertTrue(BundleValidator.check(SHAPES).notes().stream().anyMatch(n -> n.contains("core neurons")));
        Path lone = copy(SHAPES, tmp.resolve("lone"));
        Files.delete(lone.resolve(ModelBundle.FFN_WEIGHTS));
        assertTrue(problems(lone).contains("onnx/decoder_model_core.onnx without onnx/ffn_weights.bin"), problems(lone));
        Path cut = copy(SHAPES, tmp.resolve("cut"));
        byte[] w = Files.readAllBytes(cut.resolve(ModelBundle.FFN_WEIGHTS));
        Files.write(cut.resolve(ModelBundle.FFN_WEIGHTS), java.util.Arrays.copyOf(w, w.length - 4));
        assertTrue(problems(cut).contains("onnx/ffn_weights.bin has " + (w.length - 4) + " bytes"), problems(cut));
    }

    @Test
    void aServiceRefusesToStartOnABundleItCannotServe(@TempDir Path tmp) throws IOException {
        Path b = copy(SHAPES, tmp.resolve("b"));
        editJson(b.resolve("config.json"), n -> n.put("hidden_size", 64));
        ModelBundle bundle = ModelBundle.open(b);
        GlimpseException e = assertThrows(GlimpseException.class, () -> TokenizerServer.start(
                TokenizerServer.Config.defaults(bundle, OrtSessionFactory.cpu(), ServerConfig.inProcess("check-" + tmp.hashCode())),
                List.of()));
        assertEquals(GlimpseException.Kind.FAILED_PRECONDITION, e.kind());
        assertTrue(e.getMessage().contains("'image_features' has shape"), e.getMessage());
    }
}
