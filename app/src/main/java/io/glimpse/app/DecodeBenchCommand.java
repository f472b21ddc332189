package io.glimpse.app;

import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.common.cancel.Cancellation;
import io.glimpse.common.tensor.FloatTensor;
import io.glimpse.common.tokens.TokenKind;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.runner.engine.GenerationParams;
import io.glimpse.runner.engine.GenerationResult;
import io.glimpse.runner.engine.RunnerLimits;
import io.glimpse.runner.engine.VlmEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * {@code glimpse bench decode}: decode throughput of the runner with N concurrent streams, one
 * generation at a time (a batch of one) and batched, in one run on one bundle. Every stream carries a full grid of visual tokens and is forced to generate the same
 * number of tokens, so the two configurations do the same work.
 */
@Command(name = "decode", mixinStandardHelpOptions = true,
        description = "Runner decode throughput (tokens/s) with N concurrent streams: one generation at a time against"
                + " batched decoding, same bundle, same run; or (--arrivals) the gaps between running streams' tokens"
                + " while full-grid prompts arrive.")
final class DecodeBenchCommand implements java.util.concurrent.Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(names = "--streams", defaultValue = "16", description = "Concurrent generations (default ${DEFAULT-VALUE}).")
    int streams;

    @Option(names = "--tokens", defaultValue = "32", description = "Tokens each generation decodes (default ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--core-neurons", defaultValue = "0",
            description = "Also decode over this share (beta) of each layer's core neurons, one generation at a time"
                    + " (CoreMatching's neuron half; 0 = skip).")
    float coreNeurons;

    @Option(names = "--visual-tokens", defaultValue = "0",
            description = "Visual tokens per stream (0 = the bundle's full grid).")
    int visualTokens;

    @Option(names = "--arrivals", defaultValue = "0",
            description = "Mixed arrivals instead: --streams generations decode --tokens tokens each from a short prompt"
                    + " while this many full-grid prompts arrive one after another; reports the gaps between a running"
                    + " stream's tokens against its steady step (0 = the throughput comparison).")
    int arrivals;

    @Option(names = "--prefill-chunk", defaultValue = "0",
            description = "With --arrivals: prompt tokens per prefill chunk (0 = the runner's default).")
    int prefillChunk;

    @Option(names = "--prefill-lanes", defaultValue = "-1",
            description = "With --arrivals: threads prefilling beside the decode batch (0 = chunks between decode steps;"
                    + " -1 = the runner's default).")
    int prefillLanes;

    @Override
    public Integer call() throws Exception {
        ModelBundle bundle = model.openBundle();
        if (arrivals > 0) {
            return mixedArrivals(bundle);
        }
        int n = visualTokens > 0 ? visualTokens : bundle.config().gridTokens();
        int hidden = bundle.config().hiddenSize();
        List<TokenSet> images = List.of(noise(bundle, n));
        System.out.printf("bundle %s: %d layers, width %d, %d visual tokens per stream, %d streams x %d tokens%n",
                bundle.dir().getFileName(), bundle.config().numLayers(), hidden, n, streams, tokens);
        System.out.printf("%-34s %12s %14s %14s %16s%n", "runner", "decode tok/s", "decode ms/tok", "wall s",
                "decode ms/gen");
        RunnerLimits alone2 = RunnerLimits.defaults().withConcurrency(Math.min(2, streams), 1);
        double alone = run("one generation at a time", bundle, alone2, images, 0f);
        if (streams > 1) {
            double batched = run("batched, up to " + streams + " per step", bundle,
                    RunnerLimits.defaults().withConcurrency(streams, streams), images, 0f);
            System.out.printf("batched / alone: %.2fx%n", batched / alone);
        }
        if (coreNeurons > 0) {
            double core = run("core neurons " + coreNeurons + ", one at a time", bundle, alone2,
                    images, coreNeurons);
            System.out.printf("core neurons / dense, one generation at a time: %.2fx (decode ms/gen includes finding"
                    + " and gathering the core neurons)%n", core / alone);
        }
        return 0;
    }

    /**
     * The gaps between consecutive tokens of running streams, in one run: once every stream decodes,
     * a while with nothing arriving (the steady step), then full-grid prompts arriving one after
     * another. A gap that overlaps an arrival counts as "while full grids arrive". A prefill that
     * holds the decode batch for its whole length shows as a gap of that length.
     */
    private int mixedArrivals(ModelBundle bundle) throws Exception {
        int grid = bundle.config().gridTokens();
        List<TokenSet> small = List.of(noise(bundle, 16));
        List<TokenSet> full = List.of(noise(bundle, grid));
        RunnerLimits limits = RunnerLimits.defaults().withConcurrency(streams + 1, streams + 1)
                .withPrefill(prefillLanes < 0 ? RunnerLimits.defaultPrefillLanes() : prefillLanes, prefillChunk);
        System.out.printf("bundle %s: %d running streams x %d tokens (16 visual tokens each); %d arrivals of %d visual"
                + " tokens; %d prefill lanes, chunk %s%n", bundle.dir().getFileName(), streams, tokens, arrivals, grid,
                limits.prefillLanes(), prefillChunk == 0 ? "default" : prefillChunk);
        try (VlmEngine engine = new VlmEngine(bundle, model.sessions(), limits)) {
            engine.generate("warm up", full, new GenerationParams(2, 2, 0f, 0f, 0L), t -> { }, new Cancellation());
            ExecutorService pool = Executors.newFixedThreadPool(streams);
            try {
                List<List<Long>> times = new ArrayList<>();
                List<Future<GenerationResult>> running = new ArrayList<>();
                CountDownLatch started = new CountDownLatch(streams);
                for (int s = 0; s < streams; s++) {
                    List<Long> mine = java.util.Collections.synchronizedList(new ArrayList<>());
                    times.add(mine);
                    running.add(pool.submit(() -> engine.generate("describe the picture", small,
                            new GenerationParams(tokens, tokens, 0f, 0f, 0L), t -> {
                                if (mine.isEmpty()) {
                                    started.countDown();
                                }
                                mine.add(System.nanoTime());
                            }, new Cancellation())));
                }
                started.await();
                long decoding = System.nanoTime();
                Thread.sleep(1500);   // the steady step
                List<long[]> windows = new ArrayList<>();
                for (int a = 0; a < arrivals && !running.stream().allMatch(Future::isDone); a++) {
                    long t0 = System.nanoTime();
                    engine.generate("what is in the picture ?", full, new GenerationParams(1, 1, 0f, 0f, 0L), t -> { },
                            new Cancellation());
                    windows.add(new long[]{t0, System.nanoTime()});
                }
                for (Future<GenerationResult> f : running) {
                    f.get();
                }
                List<Double> steady = new ArrayList<>();
                List<Double> mixed = new ArrayList<>();
                for (List<Long> mine : times) {
                    for (int i = 1; i < mine.size(); i++) {
                        long from = mine.get(i - 1);
                        long to = mine.get(i);
                        if (from < decoding) {
                            continue;   // the streams' own prompts were still coming in
                        }
                        boolean overlaps = windows.stream().anyMatch(w -> from < w[1] && to > w[0]);
                        (overlaps ? mixed : steady).add((to - from) / 1e6);
                    }
                }
                double[] st = steady.stream().mapToDouble(Double::doubleValue).toArray();
                double[] mx = mixed.stream().mapToDouble(Double::doubleValue).toArray();
                double step = new Percentiles(st).at(50);
                System.out.printf("%-28s %7s %10s %10s %10s%n", "", "gaps", "p50 ms", "p99 ms", "max ms");
                System.out.printf("%-28s %7d %10.1f %10.1f %10.1f%n", "steady (nothing arrives)", st.length, step,
                        new Percentiles(st).at(99), new Percentiles(st).at(100));
                System.out.printf("%-28s %7d %10.1f %10.1f %10.1f%n", "while full grids arrive", mx.length,
                        new Percentiles(mx).at(50), new Percentiles(mx).at(99), new Percentiles(mx).at(100));
                System.out.printf("p99 gap while prompts arrive / steady step (p50): %.2fx%n", new Percentiles(mx).at(99) / step);
                System.out.printf("an arriving prompt's first token: %.0f ms on average (%d arrivals)%n",
                        windows.stream().mapToDouble(w -> (w[1] - w[0]) / 1e6).average().orElse(Double.NaN), windows.size());
            } finally {
                pool.shutdownNow();
            }
        }
        return 0;
    }

    private static TokenSet noise(ModelBundle bundle, int n) {
        int hidden = bundle.config().hiddenSize();
        SplittableRandom r = new SplittableRandom(7);
        float[] v = new float[n * hidden];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * 0.02);
        }
        int[] origin = new int[n];
        for (int i = 0; i < n; i++) {
            origin[i] = i;
        }
        return new TokenSet(FloatTensor.of(v, n, hidden), TokenKind.GRID, origin, n, bundle.config().gridH(),
                bundle.config().gridW(), 0, null, null, null, null);
    }

    /** Decode tokens per second of decode time across all streams (prefill excluded). */
    private double run(String name, ModelBundle bundle, RunnerLimits limits, List<TokenSet> images, float core)
            throws Exception {
        try (VlmEngine engine = new VlmEngine(bundle, model.sessions(), limits)) {
            engine.generate("warm up", images, new GenerationParams(2, 2, 0f, 0f, 0L, core), t -> { }, new Cancellation());
            ExecutorService pool = Executors.newFixedThreadPool(streams);
            AtomicLongArray firstToken = new AtomicLongArray(streams);
            AtomicLong generated = new AtomicLong();
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<GenerationResult>> all = new ArrayList<>();
                for (int s = 0; s < streams; s++) {
                    int stream = s;
                    all.add(pool.submit(() -> {
                        go.await();
                        return engine.generate("describe the picture", images,
                                new GenerationParams(tokens, tokens, 0f, 0f, 0L, core),
                                t -> firstToken.compareAndSet(stream, 0, System.nanoTime()), new Cancellation());
                    }));
                }
                long t0 = System.nanoTime();
                go.countDown();
                long decodeMicros = 0;
                for (Future<GenerationResult> f : all) {
                    GenerationResult g = f.get();
                    generated.addAndGet(g.generatedTokens());
                    decodeMicros += g.decodeMicros();
                }
                double wall = (System.nanoTime() - t0) / 1e9;
                long firstDecode = Long.MAX_VALUE;
                for (int s = 0; s < streams; s++) {
                    firstDecode = Math.min(firstDecode, firstToken.get(s));
                }
                // decode phase: from the first streamed token to the end of the last generation
                double decodeSeconds = Math.max(1e-6, (System.nanoTime() - firstDecode) / 1e9);
                double perSecond = generated.get() / decodeSeconds;
                System.out.printf("%-34s %12.1f %14.2f %14.2f %16.1f%n", name, perSecond, 1000.0 / perSecond, wall,
                        decodeMicros / 1000.0 / streams);
                return perSecond;
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
