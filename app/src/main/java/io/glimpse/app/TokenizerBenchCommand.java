package io.glimpse.app;

import io.glimpse.shapes.ScenePng;
import io.glimpse.shapes.ShapesVqaGenerator;
import io.glimpse.tokenizer.encode.ImageTokenizerEngine;
import io.glimpse.tokenizer.encode.TokenizationSpec;
import io.glimpse.tokenizer.image.ImageLimits;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code glimpse bench tokenizer}: images per second through the tokenizer engine (decode,
 * preprocess, vision encoder; FULL tokens) at several concurrency levels, with and without
 * cross-request batching of the encoder.
 */
@Command(name = "tokenizer", mixinStandardHelpOptions = true,
        description = "Tokenizer throughput (images/s) by concurrency, with and without encoder batching.")
final class TokenizerBenchCommand implements Callable<Integer> {
    @Option(names = "--requests", defaultValue = "400", description = "Measured single-image requests per cell.")
    int requests;

    @Option(names = "--concurrency", defaultValue = "1,16", split = ",")
    int[] concurrency;

    @Option(names = "--max-batch", defaultValue = "1,8", split = ",", description = "Encoder batch limits to compare (1 = off).")
    int[] maxBatch;

    @Option(names = "--max-wait-micros", defaultValue = "2000")
    long maxWaitMicros;

    @Mixin
    ModelOptions model;

    @Override
    public Integer call() throws Exception {
        List<byte[]> images = new ArrayList<>();
        ShapesVqaGenerator gen = new ShapesVqaGenerator(5);
        for (int i = 0; i < 64; i++) {
            images.add(ScenePng.encode(gen.next().scene()));
        }
        System.out.println("| encoder batch | concurrency | images/s | encoder runs per image |");
        System.out.println("|---|---|---|---|");
        for (int batch : maxBatch) {
            try (ImageTokenizerEngine engine = new ImageTokenizerEngine(model.openBundle(), model.sessions(),
                    ImageLimits.defaults(), 8, new ImageTokenizerEngine.Batching(batch, maxWaitMicros))) {
                engine.warmUp();
                for (int c : concurrency) {
                    run(engine, images, c, Math.max(40, requests / 10));
                    long runs0 = engine.encoderRuns();
                    long t0 = System.nanoTime();
                    run(engine, images, c, requests);
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    String perImage = batch > 1 ? String.format("%.2f", (double) (engine.encoderRuns() - runs0) / requests) : "1";
                    System.out.printf("| %s | %d | %.1f | %s |%n", batch > 1 ? batch + " (wait " + maxWaitMicros + " us)" : "off",
                            c, requests / seconds, perImage);
                }
            }
        }
        return 0;
    }

    private static void run(ImageTokenizerEngine engine, List<byte[]> images, int threads, int requests) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicInteger next = new AtomicInteger();
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                fs.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < requests; i = next.getAndIncrement()) {
                        engine.tokenize(List.of(images.get(i % images.size())), TokenizationSpec.full(), false);
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
