package io.glimpse.tokenizer;

import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.common.tensor.FloatTensor;
import io.glimpse.common.tokens.TokenKind;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.common.tokens.TokenizationMode;
import io.glimpse.shapes.SceneObject;
import io.glimpse.shapes.ScenePng;
import io.glimpse.shapes.SceneRenderer;
import io.glimpse.shapes.Shape;
import io.glimpse.shapes.ShapeColor;
import io.glimpse.shapes.ShapesVqaGenerator;
import io.glimpse.tokenizer.encode.AdaptiveAvgPool;
import io.glimpse.tokenizer.encode.ImageTokenizerEngine;
import io.glimpse.tokenizer.encode.TokenizationSpec;
import io.glimpse.tokenizer.image.ImageLimits;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenizerEngineTest {
    static ImageTokenizerEngine engine;
    static List<byte[]> images = new ArrayList<>();

    @BeforeAll
    static void load() {
        ModelBundle bundle = ModelBundle.open(Path.of(System.getProperty("glimpse.bundle")));
        engine = new ImageTokenizerEngine(bundle, OrtSessionFactory.cpu(), ImageLimits.defaults(), 8);
        ShapesVqaGenerator g = new ShapesVqaGenerator(3);
        for (int i = 0; i < 4; i++) {
            images.add(ScenePng.encode(g.next().scene()));
        }
    }

    @AfterAll
    static void close() throws Exception {
        engine.close();
    }

    /** Repeated images skip decoding and the encoder, under any policy; a part an entry lacks is a miss. */
    @Test
    void theEncoderCacheServesRepeatedImagesWithTheSameTokens() throws Exception {
        ModelBundle bundle = ModelBundle.open(Path.of(System.getProperty("glimpse.bundle")));
        try (ImageTokenizerEngine cached = new ImageTokenizerEngine(bundle, OrtSessionFactory.cpu(), ImageLimits.defaults(), 8,
                ImageTokenizerEngine.Batching.OFF, 8L << 20)) {
            TokenSet first = cached.tokenize(images.subList(0, 1), TokenizationSpec.full(), false).get(0);
            assertEquals(0, cached.cache().hits());
            assertEquals(1, cached.cache().misses());
            TokenSet again = cached.tokenize(images.subList(0, 1), TokenizationSpec.full(), false).get(0);
            assertEquals(1, cached.cache().hits());
            assertArrayEquals(first.embeddings().data(), again.embeddings().data());
            TokenSet uncached = engine.tokenize(images.subList(0, 1), TokenizationSpec.full(), false).get(0);
            assertArrayEquals(uncached.embeddings().data(), again.embeddings().data(), "a hit is what the encoder gives");

            // another policy over the same image starts from the same encoding
            TokenSet pooled = cached.tokenize(images.subList(0, 1), new TokenizationSpec(TokenizationMode.POOLED, 16, 0, 0, 0f), false).get(0);
            assertEquals(2, cached.cache().hits());
            assertArrayEquals(engine.tokenize(images.subList(0, 1), new TokenizationSpec(TokenizationMode.POOLED, 16, 0, 0, 0f), false)
                    .get(0).embeddings().data(), pooled.embeddings().data());

            // the first entry has no ViT attention: a request that needs it misses, then hits
            TokenSet withGraph = cached.tokenize(images.subList(0, 1), TokenizationSpec.full(), true).get(0);
            assertEquals(2, cached.cache().misses());
            assertTrue(withGraph.attention() != null);
            cached.tokenize(images.subList(0, 2), TokenizationSpec.full(), true);
            assertEquals(3, cached.cache().hits(), "image 0 from the cache, image 1 encoded");
            assertEquals(3, cached.cache().misses());
            assertTrue(cached.cache().bytes() > 0 && cached.cache().bytes() <= 8L << 20);
        }
    }

    @Test
    void theEncoderCacheIsBoundedInBytesAndDropsTheLeastRecentlyUsed() {
        {
            io.glimpse.tokenizer.encode.EncoderCache small = new io.glimpse.tokenizer.encode.EncoderCache(200_000);
            io.glimpse.common.tensor.FloatTensor f = io.glimpse.common.tensor.FloatTensor.of(new float[144 * 128], 144, 128);
            for (int i = 0; i < 5; i++) {
                small.put("k" + i, new io.glimpse.tokenizer.encode.EncoderCache.Entry(f, null, null, 96, 96, Double.NaN));
            }
            assertTrue(small.bytes() <= 200_000, "bounded in bytes: " + small.bytes());
            assertEquals(null, small.get("k0", false, false), "the least recently used went first");
            assertTrue(small.get("k4", false, false) != null);
        }
    }

    @Test
    void fullGivesEveryGridTokenWithAttentionRowsSummingToOne() {
        TokenSet t = engine.tokenize(images.subList(0, 1), TokenizationSpec.full(), true).get(0);
        assertEquals(TokenKind.GRID, t.kind());
        assertEquals(144, t.count());
        assertEquals(128, t.hidden());
        assertEquals(144, t.span());
        assertEquals(143, t.origin()[143]);
        FloatTensor a = t.attention();
        assertEquals(145, a.dim(1));
        for (int h = 0; h < a.dim(0); h++) {
            for (int r = 0; r < 145; r += 29) {
                double sum = 0;
                for (int c = 0; c < 145; c++) {
                    sum += a.data()[(h * 145 + r) * 145 + c];
                }
                assertEquals(1.0, sum, 1e-4);
            }
        }
        assertEquals(145, t.keys().dim(1));
    }

    @Test
    void flexPrefixIsAPrefix() {
        for (int k = 1; k < 32; k += 5) {
            TokenSet a = engine.tokenize(images.subList(0, 1), spec(TokenizationMode.FLEX_PREFIX, k), false).get(0);
            TokenSet b = engine.tokenize(images.subList(0, 1), spec(TokenizationMode.FLEX_PREFIX, k + 1), false).get(0);
            assertEquals(k, a.count());
            assertEquals(32, a.span());
            float[] first = java.util.Arrays.copyOf(b.embeddings().data(), k * 128);
            assertArrayEquals(a.embeddings().data(), first, "first k of FLEX_PREFIX(k+1) equal FLEX_PREFIX(k)");
        }
    }

    /** The trained sides only (8 of 12 gives uneven bins); any side's arithmetic is checked on random grids below. */
    @Test
    void pooledEqualsAStraightforwardReference() {
        TokenSet full = engine.tokenize(images.subList(0, 1), TokenizationSpec.full(), false).get(0);
        for (int n : new int[]{1, 2, 3, 4, 6, 8, 12}) {
            TokenSet pooled = engine.tokenize(images.subList(0, 1), spec(TokenizationMode.POOLED, n * n), false).get(0);
            assertEquals(n * n, pooled.count());
            assertEquals(TokenKind.POOLED, pooled.kind());
            float[] ref = referencePool(full.embeddings().data(), 12, 128, n);
            float[] got = pooled.embeddings().data();
            for (int i = 0; i < ref.length; i++) {
                assertEquals(ref[i], got[i], 1e-5, "n=" + n);
            }
        }
    }

    @Test
    void poolingMatchesReferenceOnRandomGrids() {
        Random r = new Random(9);
        float[] grid = new float[7 * 7 * 3];
        for (int i = 0; i < grid.length; i++) {
            grid[i] = (float) r.nextGaussian();
        }
        float[] ref = referencePool(grid, 7, 3, 3);
        assertArrayEquals(ref, AdaptiveAvgPool.pool(FloatTensor.of(grid, 49, 3), 7, 7, 3).data(), 1e-6f);
    }

    @Test
    void batchedEncodeEqualsOneByOne() {
        List<TokenSet> batch = engine.tokenize(images, TokenizationSpec.full(), false);
        for (int i = 0; i < images.size(); i++) {
            TokenSet single = engine.tokenize(images.subList(i, i + 1), TokenizationSpec.full(), false).get(0);
            float[] a = single.embeddings().data();
            float[] b = batch.get(i).embeddings().data();
            for (int j = 0; j < a.length; j++) {
                assertEquals(a[j], b[j], 1e-5);
            }
        }
    }

    @Test
    void invalidModesAreRefused() {
        assertThrows(GlimpseException.class, () -> engine.tokenize(images.subList(0, 1), spec(TokenizationMode.POOLED, 10), false));
        assertThrows(GlimpseException.class, () -> engine.tokenize(images.subList(0, 1), spec(TokenizationMode.FLEX_PREFIX, 33), false));
        GlimpseException e = assertThrows(GlimpseException.class, () -> engine.tokenize(
                List.of(images.get(0), images.get(0), images.get(0), images.get(0), images.get(0), images.get(0),
                        images.get(0), images.get(0), images.get(0)), TokenizationSpec.full(), false));
        assertTrue(e.getMessage().contains("too many images"));
    }

    @Test
    void adaptiveReportsItsChoice() {
        TokenSet t = engine.tokenize(images.subList(0, 1),
                new TokenizationSpec(TokenizationMode.ADAPTIVE, 0, 0, 0, 0.9f), false).get(0);
        assertEquals(t.count(), t.report().chosenTokens());
        assertTrue(java.util.Arrays.stream(t.report().consideredCounts()).anyMatch(k -> k == t.count()));
        assertTrue(t.report().predictedFidelity() >= 0f && t.report().predictedFidelity() <= 1f);
        assertEquals("sufficiency_head", t.report().estimator());
        assertTrue(t.report().targetReached(), "0.9 is reached by some count or the full grid");
        // the bundle's measured threshold for the target, not the target itself, is what the chosen count cleared
        float threshold = engine.config().selection().threshold(0.9f);
        assertTrue(t.count() == 144 || t.report().predictedFidelity() >= threshold,
                t.report().predictedFidelity() + " vs threshold " + threshold);
        // a cap below every count that reaches 0.999: the most faithful allowed count, reported as short of the target
        TokenSet capped = engine.tokenize(images.subList(0, 1),
                new TokenizationSpec(TokenizationMode.ADAPTIVE, 0, 0, 2, 0.999f), false).get(0);
        assertTrue(capped.count() <= 2, "at most max_tokens: " + capped.count());
        assertEquals(capped.report().predictedFidelity() >= engine.config().selection().threshold(0.999f),
                capped.report().targetReached());
        TokenSet proxy = engine.tokenize(images.subList(0, 1), new TokenizationSpec(TokenizationMode.ADAPTIVE, 0, 0, 0, 0.9f,
                TokenizationSpec.Estimator.COMPLEXITY_PROXY), false).get(0);
        assertEquals("complexity_proxy", proxy.report().estimator());
        TokenSet full = engine.tokenize(images.subList(0, 1), TokenizationSpec.full(), false).get(0);
        assertEquals(null, full.report().estimator(), "only ADAPTIVE names an estimator");
    }

    /** The same one-shape scene on a plain and on a noisy background. */
    static byte[] oneShape(int i, boolean noisy) {
        SceneObject o = new SceneObject(Shape.values()[i % 4], ShapeColor.values()[(i / 4) % 6], i % 2 == 0,
                10 + 7 * (i % 9), 12 + 5 * (i % 11), i % 2 == 0 ? 22 : 12);
        return ScenePng.encode(SceneRenderer.render(96, ShapesVqaGenerator.BACKGROUNDS[i % 3], noisy, List.of(o),
                new SplittableRandom(100 + i)));
    }

    /** The graded head is not fooled by noise: one shape on grain costs at most twice what it costs on a plain background. */
    @Test
    void noiseAloneDoesNotBuyTokens() {
        TokenizationSpec spec = new TokenizationSpec(TokenizationMode.ADAPTIVE, 0, 0, 0, 0.95f,
                TokenizationSpec.Estimator.SUFFICIENCY_HEAD);
        double clean = 0;
        double noisy = 0;
        for (int i = 0; i < 24; i++) {
            clean += engine.tokenize(List.of(oneShape(i, false)), spec, false).get(0).count();
            noisy += engine.tokenize(List.of(oneShape(i, true)), spec, false).get(0).count();
        }
        assertTrue(noisy <= 2 * clean, "noisy " + noisy / 24 + " vs clean " + clean / 24 + " tokens on average");
    }

    /** One large shape on a plain background. */
    static byte[] simpleScene(int i) {
        SceneObject o = new SceneObject(Shape.values()[i % 4], ShapeColor.values()[i % 6], true, 20 + 5 * (i % 8), 25 + 3 * (i % 7), 22);
        return ScenePng.encode(SceneRenderer.render(96, ShapesVqaGenerator.BACKGROUNDS[i % 3], false, List.of(o), new SplittableRandom(i)));
    }

    /** Six shapes on a noisy background. */
    static byte[] busyScene(int i) {
        List<SceneObject> objs = new ArrayList<>();
        for (int k = 0; k < 6; k++) {
            boolean large = (k + i) % 2 == 0;
            int side = large ? 22 : 12;
            objs.add(new SceneObject(Shape.values()[(k + i) % 4], ShapeColor.values()[k], large,
                    4 + 32 * (k % 3) + (large ? 0 : 5), 8 + 46 * (k / 3) + (i % 5), side));
        }
        return ScenePng.encode(SceneRenderer.render(96, ShapesVqaGenerator.BACKGROUNDS[i % 3], true, objs, new SplittableRandom(i)));
    }

    @Test
    void adaptiveSpendsMoreTokensOnBusyImagesWithTheHeadAndWithTheProxy() {
        for (TokenizationSpec.Estimator est : List.of(TokenizationSpec.Estimator.SUFFICIENCY_HEAD,
                TokenizationSpec.Estimator.COMPLEXITY_PROXY)) {
            TokenizationSpec spec = new TokenizationSpec(TokenizationMode.ADAPTIVE, 0, 0, 0, 0.95f, est);
            double simple = 0;
            double busy = 0;
            double simpleComplexity = 0;
            double busyComplexity = 0;
            for (int i = 0; i < 8; i++) {
                TokenSet s = engine.tokenize(List.of(simpleScene(i)), spec, false).get(0);
                TokenSet b = engine.tokenize(List.of(busyScene(i)), spec, false).get(0);
                simple += s.count();
                busy += b.count();
                simpleComplexity += s.report().complexity();
                busyComplexity += b.report().complexity();
            }
            assertTrue(busy > simple, est + ": busy images get more tokens (" + busy / 8 + " vs " + simple / 8 + ")");
            assertTrue(busyComplexity > simpleComplexity, est + ": and score as more complex");
        }
    }

    @Test
    void concurrentRequestsShareEncoderBatchesAndGetExactlyTheirOwnTokens() throws Exception {
        ModelBundle bundle = ModelBundle.open(Path.of(System.getProperty("glimpse.bundle")));
        List<byte[]> many = new ArrayList<>();
        ShapesVqaGenerator g = new ShapesVqaGenerator(17);
        for (int i = 0; i < 16; i++) {
            many.add(ScenePng.encode(g.next().scene()));
        }
        try (ImageTokenizerEngine batched = new ImageTokenizerEngine(bundle, OrtSessionFactory.cpu(), ImageLimits.defaults(), 8,
                new ImageTokenizerEngine.Batching(8, 20_000))) {
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(16);
            try {
                List<java.util.concurrent.Future<TokenSet>> futures = new ArrayList<>();
                for (byte[] img : many) {
                    futures.add(pool.submit(() -> batched.tokenize(List.of(img), TokenizationSpec.full(), true).get(0)));
                }
                for (int i = 0; i < many.size(); i++) {
                    TokenSet got = futures.get(i).get();
                    TokenSet alone = engine.tokenize(many.subList(i, i + 1), TokenizationSpec.full(), true).get(0);
                    assertClose(alone.embeddings().data(), got.embeddings().data());
                    assertClose(alone.attention().data(), got.attention().data());
                    assertClose(alone.keys().data(), got.keys().data());
                }
            } finally {
                pool.shutdownNow();
            }
            assertTrue(batched.encoderRuns() < many.size(), "requests shared runs: " + batched.encoderRuns() + " runs for 16 images");
        }
    }

    static void assertClose(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        float worst = 0f;
        for (int j = 0; j < a.length; j++) {
            worst = Math.max(worst, Math.abs(a[j] - b[j]));
        }
        assertTrue(worst <= 1e-5f, "max abs difference " + worst);
    }

    private static TokenizationSpec spec(TokenizationMode mode, int tokens) {
        return new TokenizationSpec(mode, tokens, 0, 0, 0f);
    }

    /** Bins as PyTorch's AdaptiveAvgPool2d, written out with plain loops. */
    static float[] referencePool(float[] grid, int side, int h, int n) {
        float[] out = new float[n * n * h];
        for (int oy = 0; oy < n; oy++) {
            for (int ox = 0; ox < n; ox++) {
                int y0 = (int) Math.floor((double) oy * side / n);
                int y1 = (int) Math.ceil((double) (oy + 1) * side / n);
                int x0 = (int) Math.floor((double) ox * side / n);
                int x1 = (int) Math.ceil((double) (ox + 1) * side / n);
                for (int c = 0; c < h; c++) {
                    double s = 0;
                    for (int y = y0; y < y1; y++) {
                        for (int x = x0; x < x1; x++) {
                            s += grid[(y * side + x) * h + c];
                        }
                    }
                    out[(oy * n + ox) * h + c] = (float) (s / ((y1 - y0) * (x1 - x0)));
                }
            }
        }
        return out;
    }
}
