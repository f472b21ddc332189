package io.glimpse.tokenizer.encode;

import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.common.tokens.TokenizationMode;
import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.shapes.ScenePng;
import io.glimpse.shapes.ShapesVqaGenerator;
import io.glimpse.tokenizer.image.ImageLimits;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ADAPTIVE's question-aware head through the tokenizer: the bundled model plus a seeded, untrained
 * {@code sufficiency_query.onnx} of its shapes (width 128, 70 words, 11 candidates; made with
 * tools/glimpse_model.py's QuerySufficiencyHead and tools/export.py's QuerySufficiencyExport, seed 3).
 * Untrained, it says nothing about accuracy; it shows that the question reaches the head and the
 * head's choice reaches the tokens.
 */
class QuerySufficiencyHeadTest {
    @TempDir
    static Path dir;
    static ModelBundle withHead;
    static ImageTokenizerEngine engine;
    static byte[] image;

    @BeforeAll
    static void load() throws IOException {
        BundleCopy.into(dir);
        try (InputStream in = QuerySufficiencyHeadTest.class.getResourceAsStream("/query-head/sufficiency_query.onnx")) {
            Files.copy(in, dir.resolve(ModelBundle.SUFFICIENCY_QUERY));
        }
        withHead = ModelBundle.open(dir);
        engine = new ImageTokenizerEngine(withHead, OrtSessionFactory.cpu(), ImageLimits.defaults(), 8);
        image = ScenePng.encode(new ShapesVqaGenerator(5).next().scene());
    }

    @AfterAll
    static void close() throws Exception {
        engine.close();
    }

    private static TokenizationSpec adaptive(TokenizationSpec.Estimator e, float target, String question) {
        return new TokenizationSpec(TokenizationMode.ADAPTIVE, 0, 0, 0, target, e).withQuestion(question);
    }

    @Test
    void theHeadReadsTheQuestion() throws Exception {
        try (QuerySufficiencyHead head = new QuerySufficiencyHead(withHead, OrtSessionFactory.cpu())) {
            TokenSet grid = engine.tokenize(List.of(image), TokenizationSpec.full(), false).get(0);
            float[] colour = head.predict(grid.embeddings(), "what color is the circle ?");
            float[] count = head.predict(grid.embeddings(), "how many objects are there ?");
            assertEquals(withHead.config().sufficiency().size(), colour.length);
            boolean differ = false;
            for (int i = 0; i < colour.length; i++) {
                assertTrue(colour[i] >= 0f && colour[i] <= 1f, "a probability: " + colour[i]);
                differ |= Math.abs(colour[i] - count[i]) > 1e-4f;
            }
            assertTrue(differ, "two questions about one image get different predictions");
        }
    }

    @Test
    void autoTakesTheQuestionAwareHeadWhenAQuestionIsGiven() {
        TokenSet withQuestion = engine.tokenize(List.of(image), adaptive(TokenizationSpec.Estimator.AUTO, 0.5f,
                "what color is the circle ?"), false).get(0);
        assertEquals("query_sufficiency_head", withQuestion.report().estimator());
        TokenSet without = engine.tokenize(List.of(image), adaptive(TokenizationSpec.Estimator.AUTO, 0.5f, ""), false).get(0);
        assertEquals("sufficiency_head", without.report().estimator(), "no question: KARL's image-only head");
        assertTrue(engine.features().contains("query_sufficiency_head"));
        // the count it chose is one the bundle offers, and the tokens are that many
        int chosen = withQuestion.report().chosenTokens();
        assertEquals(chosen, withQuestion.embeddings().dim(0));
        assertTrue(chosen == withHead.config().gridTokens()
                || withHead.config().sufficiency().stream().anyMatch(c -> c.tokens() == chosen), "chosen " + chosen);
        // a target no prediction reaches (no fitted thresholds: the threshold is the target) takes the full grid
        TokenSet strict = engine.tokenize(List.of(image), adaptive(TokenizationSpec.Estimator.QUERY_HEAD, 1.0f,
                "what color is the circle ?"), false).get(0);
        assertEquals(withHead.config().gridTokens(), strict.report().chosenTokens());
    }

    @Test
    void askingForTheHeadWithoutAQuestionOrWithoutTheGraphSaysWhatIsMissing() throws Exception {
        GlimpseException noQuestion = assertThrows(GlimpseException.class, () -> engine.tokenize(List.of(image),
                adaptive(TokenizationSpec.Estimator.QUERY_HEAD, 0.9f, " "), false));
        assertEquals(GlimpseException.Kind.INVALID_ARGUMENT, noQuestion.kind());
        assertTrue(noQuestion.getMessage().contains("question"), noQuestion.getMessage());

        ModelBundle plain = ModelBundle.open(BundleCopy.bundled());
        try (ImageTokenizerEngine without = new ImageTokenizerEngine(plain, OrtSessionFactory.cpu(), ImageLimits.defaults(), 8)) {
            GlimpseException missing = assertThrows(GlimpseException.class, () -> without.tokenize(List.of(image),
                    adaptive(TokenizationSpec.Estimator.QUERY_HEAD, 0.9f, "what color is the circle ?"), false));
            assertEquals(GlimpseException.Kind.FAILED_PRECONDITION, missing.kind());
            assertTrue(missing.getMessage().contains(ModelBundle.SUFFICIENCY_QUERY), missing.getMessage());
            TokenSet auto = without.tokenize(List.of(image), adaptive(TokenizationSpec.Estimator.AUTO, 0.9f,
                    "what color is the circle ?"), false).get(0);
            assertEquals("sufficiency_head", auto.report().estimator(), "AUTO without the graph: the image-only head");
        }
    }
}
