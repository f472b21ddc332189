package io.glimpse.tokenizer.encode;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.glimpse.common.tokens.TokenKind;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.common.tokens.TokenizationMode;
import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.shapes.ScenePng;
import io.glimpse.shapes.ShapesVqaGenerator;
import io.glimpse.tokenizer.image.ImageLimits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A bundle with {@code video.frame_pool_side} pools a clip's frames at full resolution; one image keeps its grid. */
class FramePoolingTest {
    @TempDir
    Path dir;

    @Test
    void aClipsFramesEnterPooledAndASingleImageKeepsItsGrid() throws Exception {
        Path bundled = BundleCopy.bundled();
        BundleCopy.into(dir);
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(dir.resolve(ModelBundle.CONFIG).toFile());
        config.putObject("video").put("frame_pool_side", 6);
        json.writeValue(dir.resolve(ModelBundle.CONFIG).toFile(), config);
        ShapesVqaGenerator g = new ShapesVqaGenerator(9);
        List<byte[]> clip = List.of(ScenePng.encode(g.next().scene()), ScenePng.encode(g.next().scene()));
        try (ImageTokenizerEngine pooling = new ImageTokenizerEngine(ModelBundle.open(dir), OrtSessionFactory.cpu(),
                ImageLimits.defaults(), 8);
             ImageTokenizerEngine plain = new ImageTokenizerEngine(ModelBundle.open(bundled), OrtSessionFactory.cpu(),
                     ImageLimits.defaults(), 8)) {
            List<TokenSet> frames = pooling.tokenize(clip, TokenizationSpec.full(), false);
            TokenSet pooled6 = plain.tokenize(clip.subList(0, 1), new TokenizationSpec(TokenizationMode.POOLED, 36, 0, 0, 0f),
                    false).get(0);
            assertEquals(2, frames.size());
            for (TokenSet f : frames) {
                assertEquals(TokenKind.POOLED, f.kind());
                assertEquals(36, f.embeddings().dim(0));
                assertEquals(6, f.pooledSide());
            }
            assertArrayEquals(pooled6.embeddings().data(), frames.get(0).embeddings().data(), 1e-6f,
                    "a frame's tokens are its grid pooled to 6 x 6");
            assertEquals(144, pooling.tokenize(clip.subList(0, 1), TokenizationSpec.full(), false).get(0).embeddings().dim(0),
                    "one image keeps its grid");
            assertEquals(144, plain.tokenize(clip, TokenizationSpec.full(), false).get(1).embeddings().dim(0),
                    "without video.frame_pool_side every frame keeps its grid");

            // ADAPTIVE's ceiling on a clip is the pooled frame: asked for every answer (target 1), or allowed up to the
            // whole grid, a frame gets at most 36 tokens, and falls back to the pooled frame rather than the grid
            for (TokenizationSpec.Estimator e : List.of(TokenizationSpec.Estimator.SUFFICIENCY_HEAD,
                    TokenizationSpec.Estimator.COMPLEXITY_PROXY)) {
                for (TokenizationSpec spec : List.of(new TokenizationSpec(TokenizationMode.ADAPTIVE, 0, 0, 0, 1f, e),
                        new TokenizationSpec(TokenizationMode.ADAPTIVE, 0, 0, 144, 1f, e))) {
                    List<TokenSet> adaptive = pooling.tokenize(clip, spec, false);
                    for (TokenSet f : adaptive) {
                        assertTrue(f.embeddings().dim(0) <= 36, e + " gave " + f.embeddings().dim(0) + " tokens to a frame");
                    }
                }
                TokenSet fallback = pooling.tokenize(clip, new TokenizationSpec(TokenizationMode.ADAPTIVE, 0, 0, 0, 1f, e),
                        false).get(0);
                if (e == TokenizationSpec.Estimator.SUFFICIENCY_HEAD) {
                    assertEquals(36, fallback.embeddings().dim(0), "nothing reaches target 1: the full-resolution frame");
                    assertArrayEquals(pooled6.embeddings().data(), fallback.embeddings().data(), 1e-6f);
                }
                assertEquals(144, pooling.tokenize(clip.subList(0, 1), new TokenizationSpec(TokenizationMode.ADAPTIVE, 0, 0,
                        0, 1f, e), false).get(0).embeddings().dim(0), "one image: the grid is the ceiling and the fallback");
            }
        }
    }
}
