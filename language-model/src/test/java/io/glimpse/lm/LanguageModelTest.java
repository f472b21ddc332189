package io.glimpse.lm;

import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.glimpse.model.bundle.BundleConfig;
import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.model.onnx.OrtSessionFactory;
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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The language-model module on the bundled 2M-parameter model: tokenizer, prompt layout, decoder and KV cache. */
class LanguageModelTest {
    static ModelBundle bundle;
    static TextTokenizer tokenizer;
    static LanguageModel lm;

    @BeforeAll
    static void open() {
        bundle = ModelBundle.open(Path.of(System.getProperty("glimpse.bundle", "../models/glimpse-shapes-v3")));
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

    /** A copy of the bundle's config with the position rule and image markers set as given. */
    static BundleConfig layoutConfig(boolean compact, List<String> prefixes) {
        ObjectNode raw = bundle.config().raw().deepCopy();
        raw.put("positions", compact ? "compact" : "origin");
        ArrayNode p = raw.putArray("image_prefixes");
        prefixes.forEach(p::add);
        return BundleConfig.parse(raw);
    }

    /** Original positions: kept tokens take image_start + origin; the text after the image starts at image_start + span. */
    @Test
    void originalPositionsKeepEachTokensPlace() {
        PromptLayout layout = PromptLayout.build(layoutConfig(false, List.of()), tokenizer, "what shape is the red object ?",
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

    /** Compact positions: every token takes the next position; each image follows its marker ("frame two"). */
    @Test
    void compactPositionsNumberWhatIsKeptAndMarkEachImage() {
        BundleConfig c = layoutConfig(true, List.of("frame one", "frame two"));
        PromptLayout layout = PromptLayout.build(c, tokenizer, "what shape is the red object ?",
                List.of(tokens(144, new int[]{0, 5, 143}), tokens(144, new int[]{7, 8})));
        for (int i = 0; i < layout.length(); i++) {
            assertEquals(i, layout.positions()[i], "position of row " + i);
        }
        assertEquals(layout.length(), layout.nextPosition());
        long[] ids = layout.ids();
        // <bos> frame one v v v frame two v v what ...
        assertEquals(c.bosTokenId(), ids[0]);
        assertEquals(tokenizer.encode("frame one")[0], ids[1]);
        assertEquals(tokenizer.encode("frame one")[1], ids[2]);
        assertEquals(3, layout.imageRows()[0]);
        assertEquals(tokenizer.encode("frame two")[1], ids[7]);
        assertEquals(8, layout.imageRows()[3]);
        assertEquals(5, layout.visualTokens());
        // three images when the model names two are refused
        GlimpseException e = assertThrows(GlimpseException.class, () -> PromptLayout.build(c, tokenizer, "q ?",
                List.of(tokens(144, new int[]{0}), tokens(144, new int[]{0}), tokens(144, new int[]{0}))));
        assertTrue(e.getMessage().contains("at most 2 images"), e.getMessage());
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
