package io.glimpse.runner;

import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.common.tensor.FloatTensor;
import io.glimpse.common.tokens.TokenKind;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.lm.LanguageModel;
import io.glimpse.lm.PromptLayout;
import io.glimpse.common.cancel.Cancellation;
import io.glimpse.runner.engine.GenerationParams;
import io.glimpse.runner.engine.GenerationResult;
import io.glimpse.lm.KvCache;


import io.glimpse.runner.engine.RunnerLimits;
import io.glimpse.runner.engine.Sampler;
import io.glimpse.runner.engine.VlmEngine;
import io.glimpse.common.error.GlimpseException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DecoderTest {
    static VlmEngine engine;

    @BeforeAll
    static void load() {
        engine = new VlmEngine(ModelBundle.open(Path.of(System.getProperty("glimpse.bundle"))), OrtSessionFactory.cpu(),
                RunnerLimits.defaults());
    }

    @AfterAll
    static void close() throws Exception {
        engine.close();
    }

    static TokenSet visual(int n, int span, long seed) {
        Random r = new Random(seed);
        float[] d = new float[n * 128];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) r.nextGaussian();
        }
        int[] origin = new int[n];
        for (int i = 0; i < n; i++) {
            origin[i] = (int) ((long) i * span / n);
        }
        return new TokenSet(FloatTensor.of(d, n, 128), TokenKind.GRID, origin, span, 12, 12, 0, null, null, null, null);
    }

    /** Prefill + one-token steps with the KV cache equal one full-sequence pass (max abs diff <= 1e-4). */
    @Test
    void incrementalDecodingMatchesFullSequence() {
        LanguageModel lm = engine.languageModel();
        List<TokenSet> images = List.of(visual(144, 144, 1));
        PromptLayout layout = PromptLayout.build(lm.config(), engine.tokenizer(), "what color is the circle ?", images);
        float[] prompt = lm.embedPrompt(layout, images);
        long[] next = {20, 31, 7, 44};
        int h = 128;
        int s = layout.length();

        float[][] incremental = new float[next.length + 1][];
        try (KvCache cache = lm.newCache()) {
            FloatTensor first = lm.forward(prompt, layout.positions(), cache, null);
            incremental[0] = row(first, s - 1);
            for (int i = 0; i < next.length; i++) {
                FloatTensor step = lm.forward(lm.embed(new long[]{next[i]}), new long[]{layout.nextPosition() + i}, cache, null);
                incremental[i + 1] = row(step, 0);
                assertEquals(s + i + 1, cache.length());
            }
        }
        float[] all = Arrays.copyOf(prompt, (s + next.length) * h);
        System.arraycopy(lm.embed(next), 0, all, s * h, next.length * h);
        long[] pos = Arrays.copyOf(layout.positions(), s + next.length);
        for (int i = 0; i < next.length; i++) {
            pos[s + i] = layout.nextPosition() + i;
        }
        try (KvCache cache = lm.newCache()) {
            FloatTensor full = lm.forward(all, pos, cache, null);
            for (int i = 0; i <= next.length; i++) {
                float[] ref = row(full, s - 1 + i);
                for (int v = 0; v < ref.length; v++) {
                    assertEquals(ref[v], incremental[i][v], 1e-4, "step " + i + " vocab " + v);
                }
            }
        }
    }

    @Test
    void greedyIsDeterministicAndSeededSamplingReproducible() {
        List<TokenSet> images = List.of(visual(144, 144, 2));
        GenerationResult g1 = engine.generate("what shape is the red object ?", images, GenerationParams.greedy(8), t -> { }, new Cancellation());
        GenerationResult g2 = engine.generate("what shape is the red object ?", images, GenerationParams.greedy(8), t -> { }, new Cancellation());
        assertEquals(g1.text(), g2.text());
        GenerationParams hot = new GenerationParams(12, 12, 2.0f, 0.95f, 42);
        String a = engine.generate("what shape is the red object ?", images, hot, t -> { }, new Cancellation()).text();
        String b = engine.generate("what shape is the red object ?", images, hot, t -> { }, new Cancellation()).text();
        String c = engine.generate("what shape is the red object ?", images, new GenerationParams(12, 12, 2.0f, 0.95f, 43),
                t -> { }, new Cancellation()).text();
        assertEquals(a, b);
        assertNotEquals(a, c);
        assertEquals(12, a.split(" ").length, "min_new_tokens suppresses end-of-sequence: " + a);
    }

    @Test
    void streamedDeltasConcatenateToTheText() {
        StringBuilder sb = new StringBuilder();
        GenerationResult r = engine.generate("what color is the square ?", List.of(visual(144, 144, 3)),
                new GenerationParams(6, 6, 1.5f, 1f, 5), sb::append, new Cancellation());
        assertEquals(r.text(), sb.toString().trim());
        assertEquals(6, r.generatedTokens());
        assertEquals("length", r.finishReason());
    }

    @Test
    void prunedTokensTakeCompactPositions() {
        // the default model's rule (config.json "positions": "compact"; the origin rule is tested in LanguageModelTest)
        TokenSet kept = visual(144, 144, 4).keep(new int[]{0, 5, 9}, null);
        PromptLayout l = PromptLayout.build(engine.config(), engine.tokenizer(), "is there a red circle ?", List.of(kept));
        int[] rows = l.imageRows();
        assertEquals(3, rows.length);
        assertEquals(rows[0] + 1, rows[1]);
        assertEquals(rows[1] + 1, rows[2]);
        long start = l.positions()[rows[0]];
        assertEquals(rows[0], start, "<bos> and the frame marker count up from 0");
        assertEquals(3, rows[0], "<bos> frame one, then the image");
        assertArrayEquals(new long[]{start, start + 1, start + 2}, Arrays.copyOfRange(l.positions(), rows[0], rows[0] + 3));
        assertEquals(start + 3, l.positions()[rows[2] + 1], "text continues right after what was kept");
        assertEquals(3, l.visualTokens());
        for (int r : rows) {
            assertEquals(engine.config().imageTokenId(), l.ids()[r]);
        }
        assertEquals(l.positions()[l.length() - 1] + 1, l.nextPosition());
    }

    @Test
    void invalidGenerationRequestsAreRefused() {
        List<TokenSet> images = List.of(visual(144, 144, 5));
        assertInvalid(" ", images, GenerationParams.greedy(4), "question is empty");
        assertInvalid("x".repeat(3000), images, GenerationParams.greedy(4), "characters");
        assertInvalid("q ?", images, GenerationParams.greedy(1000), "exceeds the server cap");
        assertInvalid("q ?", images, new GenerationParams(4, 0, -1f, 0f, 0), "temperature");
        List<TokenSet> eight = java.util.Collections.nCopies(8, visual(144, 144, 5));
        assertInvalid("q ?", eight, GenerationParams.greedy(200), "positions");
        TokenSet narrow = new TokenSet(FloatTensor.of(new float[64], 1, 64), TokenKind.GRID, new int[]{0}, 1, 1, 1, 0,
                null, null, null, null);
        assertInvalid("q ?", List.of(narrow), GenerationParams.greedy(4), "width 64");
    }

    private static void assertInvalid(String q, List<TokenSet> images, GenerationParams p, String part) {
        GlimpseException e = assertThrows(GlimpseException.class, () -> engine.generate(q, images, p, t -> { }, new Cancellation()));
        assertEquals(GlimpseException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }

    @Test
    void samplerFollowsTheDistributionAndNucleusCut() {
        float[] logits = {0f, (float) Math.log(2), (float) Math.log(7)};   // p = 0.1, 0.2, 0.7
        Sampler s = new Sampler(1f, 1f, 11);
        int[] counts = new int[3];
        for (int i = 0; i < 20000; i++) {
            counts[s.next(logits, 0, 3)]++;
        }
        assertEquals(2000, counts[0], 200);
        assertEquals(4000, counts[1], 250);
        Sampler nucleus = new Sampler(1f, 0.5f, 11);
        for (int i = 0; i < 200; i++) {
            assertEquals(2, nucleus.next(logits, 0, 3), "top-p 0.5 keeps only the 0.7 token");
        }
        assertEquals(1, new Sampler(0f, 0f, 0).next(new float[]{1f, 3f, 3f}, 0, 3), "greedy ties go to the lower id");
    }

    private static float[] row(FloatTensor t, int r) {
        return Arrays.copyOfRange(t.data(), r * t.dim(1), (r + 1) * t.dim(1));
    }

}
