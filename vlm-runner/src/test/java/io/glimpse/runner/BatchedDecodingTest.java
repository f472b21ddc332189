package io.glimpse.runner;

import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.common.cancel.Cancellation;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.runner.engine.GenerationParams;
import io.glimpse.runner.engine.GenerationResult;
import io.glimpse.runner.engine.RunnerLimits;
import io.glimpse.runner.engine.VlmEngine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Batched decoding gives exactly what each generation gives alone: greedy and seeded sampling, on
 * prompts of different lengths and visual-token counts that stop at different steps, prompts
 * prefilled at once or in chunks (in a lane beside the batch or between its steps); a cancelled
 * generation leaves the batch at once while the others go on.
 */
class BatchedDecodingTest {
    private static final java.nio.file.Path HOME = java.nio.file.Path.of(System.getProperty("glimpse.bundle"));
    private static final ModelBundle BUNDLE = ModelBundle.open(HOME);
    private static VlmEngine alone;
    private static VlmEngine batched;
    private static VlmEngine padded;   // a bundle without the static-cache decoder: the batch's past re-padded
    private static VlmEngine laneChunks;     // prompts in chunks of 5 tokens in a prefill lane beside the batch
    private static VlmEngine steppedChunks;  // prompts in chunks of 7 tokens between decode steps
    @org.junit.jupiter.api.io.TempDir
    static java.nio.file.Path tmp;
    private static final List<Request> REQUESTS = new ArrayList<>();

    record Request(String question, List<TokenSet> images, GenerationParams params) {
    }

    @BeforeAll
    static void start() throws Exception {
        OrtSessionFactory sessions = OrtSessionFactory.cpu();
        alone = new VlmEngine(BUNDLE, sessions, RunnerLimits.defaults().withConcurrency(1, 1).withPrefill(0, 0));
        laneChunks = new VlmEngine(BUNDLE, sessions, RunnerLimits.defaults().withConcurrency(16, 16).withPrefill(1, 5));
        steppedChunks = new VlmEngine(BUNDLE, sessions, RunnerLimits.defaults().withConcurrency(16, 16).withPrefill(0, 7));
        batched = new VlmEngine(BUNDLE, sessions, RunnerLimits.defaults().withConcurrency(16, 16));
        padded = new VlmEngine(bundleWithout(tmp, "decoder_model_static.onnx"), sessions,
                RunnerLimits.defaults().withConcurrency(16, 16));
        assertTrue(batched.languageModel().hasStaticCache(), "the bundled model keeps the batch's keys and values in place");
        assertFalse(padded.languageModel().hasStaticCache());
        String[] questions = {"what color is the circle ?", "how many objects are there ?", "is there a red square ?",
                "where is the triangle ?", "what shape is the blue object ?"};
        for (int i = 0; i < 12; i++) {
            // visual-token counts 144, 36, 16 or 4; lengths and stopping points differ per request
            int count = new int[]{144, 36, 16, 4}[i % 4];
            int max = 2 + i;
            GenerationParams p = i % 3 == 2
                    ? new GenerationParams(max, Math.min(max, i / 2), 0.9f, 0.95f, 1000L + i)     // seeded sampling
                    : new GenerationParams(max, i % 2 == 0 ? Math.min(max, i) : 0, 0f, 0f, 0L); // greedy, some forced long
            String q = questions[i % questions.length];
            REQUESTS.add(new Request(i % 5 == 4 ? q + " " + q : q, List.of(DecoderTest.visual(count, 144, 40L + i)), p));
        }
    }

    /** The bundled model without some of its files. */
    private static ModelBundle bundleWithout(java.nio.file.Path dir, String... fileNames) throws java.io.IOException {
        java.util.Set<String> skip = java.util.Set.of(fileNames);
        try (java.util.stream.Stream<java.nio.file.Path> files = Files.walk(HOME)) {
            for (java.nio.file.Path f : files.toList()) {
                java.nio.file.Path to = dir.resolve(HOME.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else if (!skip.contains(f.getFileName().toString())) {
                    Files.copy(f, to);
                }
            }
        }
        return ModelBundle.open(dir);
    }

    @AfterAll
    static void stop() throws Exception {
        alone.close();
        batched.close();
        padded.close();
        laneChunks.close();
        steppedChunks.close();
    }

    /** Alone, a prompt prefills in one run and decodes as a batch of one; chunked prompts must give the same. */
    @Test
    void batchedGenerationsEqualEachGenerationAlone() throws Exception {
        for (VlmEngine engine : List.of(batched, padded, laneChunks, steppedChunks)) {
            batchedGenerationsEqualEachGenerationAlone(engine);
        }
    }

    private void batchedGenerationsEqualEachGenerationAlone(VlmEngine batched) throws Exception {
        assertTrue(wave(batched, REQUESTS) >= 4, "several generations ran long enough to share many steps");
        // at once a batch of only the short prompts: the keys-and-values slab the first batch left is laid
        // out afresh for shorter rows (KvSlab), and what it held before must not show
        List<Request> shortOnes = REQUESTS.stream().filter(r -> r.images().get(0).count() <= 16).toList();
        assertTrue(shortOnes.size() >= 4, "short prompts: " + shortOnes.size());
        wave(batched, shortOnes);
    }

    /** The requests at once through {@code batched}, each compared with its generation alone; returns how many ran 4+ tokens. */
    private int wave(VlmEngine batched, List<Request> requests) throws Exception {
        List<GenerationResult> expected = new ArrayList<>();
        for (Request r : requests) {
            expected.add(alone.generate(r.question(), r.images(), r.params(), t -> { }, new Cancellation()));
        }
        ExecutorService pool = Executors.newFixedThreadPool(requests.size());
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<GenerationResult>> got = new ArrayList<>();
            List<StringBuilder> streamed = new ArrayList<>();
            for (Request r : requests) {
                StringBuilder sb = new StringBuilder();
                streamed.add(sb);
                got.add(pool.submit(() -> {
                    go.await();
                    return batched.generate(r.question(), r.images(), r.params(), sb::append, new Cancellation());
                }));
            }
            go.countDown();
            int forcedLong = 0;
            for (int i = 0; i < requests.size(); i++) {
                GenerationResult a = expected.get(i);
                GenerationResult b = got.get(i).get(60, TimeUnit.SECONDS);
                assertEquals(a.text(), b.text(), "request " + i);
                assertEquals(a.generatedTokens(), b.generatedTokens(), "request " + i);
                assertEquals(a.finishReason(), b.finishReason(), "request " + i);
                assertEquals(a.promptTokens(), b.promptTokens());
                assertEquals(b.text(), streamed.get(i).toString().trim(), "the stream carried the text");
                forcedLong += b.generatedTokens() >= 4 ? 1 : 0;
            }
            return forcedLong;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aCancelledGenerationLeavesTheBatchAtOnceAndTheOthersFinish() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Request r = REQUESTS.get(0);
            Cancellation cancel = new Cancellation();
            CountDownLatch streaming = new CountDownLatch(3);
            CountDownLatch cancelled = new CountDownLatch(1);
            // from its third token on, the long generation's stream waits for the cancel: a small model
            // decodes its 60 tokens in tens of milliseconds and could otherwise finish before it
            Future<GenerationResult> long1 = pool.submit(() -> batched.generate(r.question(), r.images(),
                    new GenerationParams(60, 60, 0f, 0f, 0L), t -> {
                        streaming.countDown();
                        if (streaming.getCount() == 0) {
                            try {
                                cancelled.await(10, TimeUnit.SECONDS);
                            } catch (InterruptedException ie) {
                                Thread.currentThread().interrupt();
                            }
                        }
                    }, cancel));
            Request other = REQUESTS.get(5);
            Future<GenerationResult> ok = pool.submit(() -> batched.generate(other.question(), other.images(),
                    other.params(), t -> { }, new Cancellation()));
            assertTrue(streaming.await(30, TimeUnit.SECONDS), "the long generation is decoding");
            long before = batched.decodeSteps();
            long t0 = System.nanoTime();
            cancel.cancel();
            cancelled.countDown();
            java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> long1.get(10, TimeUnit.SECONDS));
            assertEquals(GlimpseException.Kind.CANCELLED, ((GlimpseException) e.getCause()).kind());
            assertTrue((System.nanoTime() - t0) / 1e6 < 2000, "the caller is released at once");
            assertEquals(alone.generate(other.question(), other.images(), other.params(), t -> { }, new Cancellation()).text(),
                    ok.get(30, TimeUnit.SECONDS).text());
            Thread.sleep(200);
            long after = batched.decodeSteps();
            Thread.sleep(300);
            assertEquals(after, batched.decodeSteps(), "nothing decodes for the cancelled generation");
            assertTrue(after - before < 150, "it left within a few steps: " + (after - before));
        } finally {
            pool.shutdownNow();
        }
    }
}
