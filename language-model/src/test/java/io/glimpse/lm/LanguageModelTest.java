package io.glimpse.lm;

import ai.onnxruntime.OrtSession;
import io.glimpse.common.bundle.ModelBundle;
import io.glimpse.common.onnx.OrtSessionFactory;
import io.glimpse.common.tensor.FloatTensor;
import io.glimpse.common.tokens.TokenKind;
import io.glimpse.common.tokens.TokenSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The language-model module on the bundled 2M-parameter model: tokenizer, prompt layout, decoder and KV cache. */
class LanguageModelTest {
    static ModelBundle bundle;
    static TextTokenizer tokenizer;
    static LanguageModel lm;

    @BeforeAll
    static void open() {
        bundle = ModelBundle.open(Path.of(System.getProperty("glimpse.bundle", "../models/glimpse-shapes")));
        tokenizer = new TextTokenizer(bundle.require(ModelBundle.TOKENIZER, "the test"));
        lm = new LanguageModel(bundle, OrtSessionFactory.cpu());
    }

    @AfterAll
    static void close() throws Exception {
        lm.close();
        tokenizer.close();
    }

    static TokenSet tokens(int span, int[] origins) {
        int h = bundle.config().hiddenSize();
        float[] x = new float[origins.length * h];
        Random r = new Random(3);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian() * 0.1f;
        }
        return new TokenSet(FloatTensor.of(x, origins.length, h), TokenKind.GRID, origins, span, 12, 12, 0, null, null,
                null, null);
    }

    @Test
    void tokenizerRoundTripsTheQuestionVocabulary() {
        String q = "what color is the object closest to the red square ?";
        assertEquals(q, tokenizer.decode(tokenizer.encode(q)).trim());
    }

    /** Kept tokens take image_start + origin; the text after the image starts at image_start + span. */
    @Test
    void promptLayoutKeepsOriginalPositions() {
        PromptLayout layout = PromptLayout.build(bundle.config(), tokenizer, "what shape is the red object ?",
                List.of(tokens(144, new int[]{0, 5, 143})));
        assertEquals(3, layout.visualTokens());
        int first = layout.imageRows()[0];
        long imageStart = layout.positions()[first];
        assertEquals(imageStart + 5, layout.positions()[layout.imageRows()[1]]);
        assertEquals(imageStart + 143, layout.positions()[layout.imageRows()[2]]);
        int afterImage = layout.imageRows()[2] + 1;
        assertEquals(imageStart + 144, layout.positions()[afterImage], "text resumes after the unpruned span");
        assertEquals(layout.positions()[layout.length() - 1] + 1, layout.nextPosition());
    }

    /** Decoding with the KV cache gives the logits of running the whole sequence at once. */
    @Test
    void kvCacheMatchesAFullForwardPass() throws Exception {
        PromptLayout layout = PromptLayout.build(bundle.config(), tokenizer, "how many red objects are there ?",
                List.of(tokens(144, new int[]{1, 2, 3, 40, 41})));
        float[] embeds = lm.embedPrompt(layout, List.of(tokens(144, new int[]{1, 2, 3, 40, 41})));
        long next = 7;   // any vocabulary id
        float[] nextEmbed = lm.embed(new long[]{next});
        int h = bundle.config().hiddenSize();
        float[] all = new float[embeds.length + h];
        System.arraycopy(embeds, 0, all, 0, embeds.length);
        System.arraycopy(nextEmbed, 0, all, embeds.length, h);
        long[] positions = new long[layout.length() + 1];
        System.arraycopy(layout.positions(), 0, positions, 0, layout.length());
        positions[layout.length()] = layout.nextPosition();
        try (OrtSession.RunOptions options = new OrtSession.RunOptions(); KvCache full = lm.newCache();
             KvCache cached = lm.newCache()) {
            FloatTensor once = lm.forward(all, positions, full, options);
            lm.forward(embeds, layout.positions(), cached, options);
            assertEquals(layout.length(), cached.length());
            FloatTensor step = lm.forward(nextEmbed, new long[]{layout.nextPosition()}, cached, options);
            int vocab = once.dim(1);
            float[] last = new float[vocab];
            System.arraycopy(once.data(), (once.dim(0) - 1) * vocab, last, 0, vocab);
            float max = 0;
            for (int v = 0; v < vocab; v++) {
                max = Math.max(max, Math.abs(last[v] - step.data()[v]));
            }
            assertTrue(max < 1e-4, "cached and full logits differ by " + max);
            assertEquals(layout.length() + 1, cached.length());
        }
    }
}
