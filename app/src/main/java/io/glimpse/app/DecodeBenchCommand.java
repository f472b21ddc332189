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
 * {@code glimpse bench decode}: decode throughput of the runner with N concurrent streams, each
 * generation on its own (the runner before batching: two at a time) and batched, in one run on
 * one bundle. Every stream carries a full grid of visual tokens and is forced to generate the same
 * number of tokens, so the two configurations do the same work.
 */
@Command(name = "decode", mixinStandardHelpOptions = true,
        description = "Runner decode throughput (tokens/s) with N concurrent streams: one generation at a time per slot"
                + " (2 slots) against batched decoding, same bundle, same run.")
final class DecodeBenchCommand implements java.util.concurrent.Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(names = "--streams", defaultValue = "16", description = "Concurrent generations (default ${DEFAULT-VALUE}).")
    int streams;

    @Option(names = "--tokens", defaultValue = "32", description = "Tokens each generation decodes (default ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--core-neurons", defaultValue = "0",
            description = "Also decode over this share (beta) of each layer's core neurons, one generation per slot"
                    + " (CoreMatching's neuron half; 0 = skip).")
    float coreNeurons;

    @Option(names = "--visual-tokens", defaultValue = "0",
            description = "Visual tokens per stream (0 = the bundle's full grid).")
    int visualTokens;

    @Override
    public Integer call() throws Exception {
        ModelBundle bundle = model.openBundle();
        int n = visualTokens > 0 ? visualTokens : bundle.config().gridTokens();
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
        List<TokenSet> images = List.of(new TokenSet(FloatTensor.of(v, n, hidden), TokenKind.GRID, origin, n,
                bundle.config().gridH(), bundle.config().gridW(), 0, null, null, null, null));
        System.out.printf("bundle %s: %d layers, width %d, %d visual tokens per stream, %d streams x %d tokens%n",
                bundle.dir().getFileName(), bundle.config().numLayers(), hidden, n, streams, tokens);
        System.out.printf("%-34s %12s %14s %14s %16s%n", "runner", "decode tok/s", "decode ms/tok", "wall s",
                "decode ms/gen");
        RunnerLimits alone2 = RunnerLimits.defaults().withConcurrency(Math.min(2, streams), 1);
        double alone = run("one generation per slot, " + alone2.maxConcurrent() + " slots", bundle, alone2, images, 0f);
        if (streams > 1) {
            double batched = run("batched, up to " + streams + " per step", bundle,
                    RunnerLimits.defaults().withConcurrency(streams, streams), images, 0f);
            System.out.printf("batched / alone: %.2fx%n", batched / alone);
        }
        if (coreNeurons > 0) {
            double core = run("core neurons " + coreNeurons + ", " + alone2.maxConcurrent() + " slots", bundle, alone2,
                    images, coreNeurons);
            System.out.printf("core neurons / dense, one generation per slot: %.2fx (decode ms/gen includes finding"
                    + " and gathering the core neurons)%n", core / alone);
        }
        return 0;
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
