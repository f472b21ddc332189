package io.glimpse.app;

import io.glimpse.shapes.ScenePng;
import io.glimpse.shapes.ShapesVqaGenerator;
import io.glimpse.tokenizer.encode.EncoderReduction;
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
 * cross-request batching of the encoder; and, for each {@code --encoder-reduction}, the same engine
 * reducing inside a staged encoder against the full encoder, batching off.
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

    @Option(names = "--encoder-reduction", description = "Also time these encoder reductions (METHOD:k1,k2,... or METHOD:r=N,"
            + " repeatable) against the full encoder, one image at a time.")
    List<String> reductions = new ArrayList<>();

    @Option(names = "--max-tiles", split = ",", description = "Tiled bundles: also time encoding only this many tiles"
            + " (the global image first, then the tiles most relevant to a fixed question), one image at a time.")
    int[] maxTiles = new int[0];

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
        if (!reductions.isEmpty()) {
            reductionTable(images);
        }
        if (maxTiles.length > 0) {
            tileTable(images);
        }
        return 0;
    }

    /** A tiled bundle's images with every tile encoded against only the {@code --max-tiles} a question picks. */
    private void tileTable(List<byte[]> images) throws Exception {
        System.out.println();
        System.out.println("| tiles encoded | images/s | ms per image | tiles through the encoder per image |");
        System.out.println("|---|---|---|---|");
        try (ImageTokenizerEngine engine = new ImageTokenizerEngine(model.openBundle(), model.sessions(),
                ImageLimits.defaults(), 8, ImageTokenizerEngine.Batching.OFF)) {
            engine.warmUp();
            List<Integer> rows = new ArrayList<>(List.of(0));
            for (int t : maxTiles) {
                rows.add(t);
            }
            for (int t : rows) {
                TokenizationSpec spec = TokenizationSpec.full().withQuestion("what color is the circle ?").withMaxTiles(t);
                run(engine, images, 1, Math.max(20, requests / 10), spec);
                long tiles0 = engine.tilesEncoded();
                long t0 = System.nanoTime();
                run(engine, images, 1, requests, spec);
                double seconds = (System.nanoTime() - t0) / 1e9;
                System.out.printf("| %s | %.1f | %.2f | %.2f |%n", t == 0 ? "all" : "at most " + t, requests / seconds,
                        1000.0 * seconds / requests, (double) (engine.tilesEncoded() - tiles0) / requests);
            }
        }
    }

    /** Per image through the tokenizer engine, the full encoder against each reduction (the encoder's stage alone). */
    private void reductionTable(List<byte[]> images) throws Exception {
        System.out.println();
        System.out.println("| encoder | concurrency | images/s | ms per image | ÷ full encoder |");
        System.out.println("|---|---|---|---|---|");
        try (ImageTokenizerEngine engine = new ImageTokenizerEngine(model.openBundle(), model.sessions(),
                ImageLimits.defaults(), 8, ImageTokenizerEngine.Batching.OFF)) {
            engine.warmUp();
            for (int c : concurrency) {
                double full = 0;
                List<String> rows = new ArrayList<>(List.of("full"));
                rows.addAll(reductions);
                for (String row : rows) {
                    TokenizationSpec spec = row.equals("full") ? TokenizationSpec.full()
                            : TokenizationSpec.full().withReduction(domain(PolicyOptions.encoderReduction(row)));
                    run(engine, images, c, Math.max(20, requests / 10), spec);
                    long t0 = System.nanoTime();
                    run(engine, images, c, requests, spec);
                    double perSecond = requests / ((System.nanoTime() - t0) / 1e9);
                    full = row.equals("full") ? perSecond : full;
                    System.out.printf("| %s | %d | %.1f | %.2f | %.2f× |%n", row, c, perSecond, 1000.0 * c / perSecond,
                            full / perSecond);
                }
            }
        }
    }

    private static EncoderReduction domain(io.glimpse.proto.v1.EncoderReduction r) {
        return new EncoderReduction(EncoderReduction.Method.valueOf(r.getMethod().name()),
                r.getKeepPerStageList().stream().mapToInt(Integer::intValue).toArray(), r.getR());
    }

    private static void run(ImageTokenizerEngine engine, List<byte[]> images, int threads, int requests) throws Exception {
        run(engine, images, threads, requests, TokenizationSpec.full());
    }

    private static void run(ImageTokenizerEngine engine, List<byte[]> images, int threads, int requests, TokenizationSpec spec)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicInteger next = new AtomicInteger();
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                fs.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < requests; i = next.getAndIncrement()) {
                        engine.tokenize(List.of(images.get(i % images.size())), spec, false);
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
