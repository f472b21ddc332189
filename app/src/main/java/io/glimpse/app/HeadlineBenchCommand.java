package io.glimpse.app;

import io.glimpse.proto.v1.AskEvent;
import io.glimpse.proto.v1.AskRequest;
import io.glimpse.proto.v1.EncoderReduction;
import io.glimpse.proto.v1.Generation;
import io.glimpse.proto.v1.Pruning;
import io.glimpse.proto.v1.TokenPolicy;
import io.glimpse.proto.v1.Tokenization;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code glimpse bench headline}: what fewer visual tokens buy a user, in one run on one bundle —
 * requests per second and time to first token (as the client sees it, over AskStream) for the full
 * grid, TokenFLEX pooling and two pruning methods, at several concurrencies. Every request
 * generates exactly {@code --new-tokens} tokens (a VQA-length answer), so only the visual tokens
 * differ between the rows. A bundle with a staged vision encoder adds rows that reduce inside the encoder
 * (each to {@code --keep} on a geometric schedule over its stages); every row reports the tokenizer's own
 * time per request (the encoder's stage) beside the total.
 */
@Command(name = "headline", mixinStandardHelpOptions = true,
        description = "Requests/s and time to first token for FULL, pooled and pruned visual tokens at several"
                + " concurrencies, every request generating exactly --new-tokens tokens (one run, one bundle).")
final class HeadlineBenchCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(names = "--concurrency", defaultValue = "1,4,16", split = ",",
            description = "Concurrent clients (default ${DEFAULT-VALUE}).")
    int[] concurrency;

    @Option(names = "--requests", defaultValue = "48", description = "Measured requests per row and concurrency (default ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--warmup", defaultValue = "4", description = "Unmeasured requests per row first (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--new-tokens", defaultValue = "4", description = "Tokens every request generates (default ${DEFAULT-VALUE}).")
    int newTokens;

    @Option(names = "--keep", defaultValue = "64", description = "Visual tokens of the small pooled and pruned rows (a square; default ${DEFAULT-VALUE}).")
    int keep;

    @Option(names = "--methods", defaultValue = "DIVPRUNE,ZERO_TPRUNE", split = ",",
            description = "The pruning methods of the pruned rows (default ${DEFAULT-VALUE}).")
    List<Pruning.Method> methods;

    /** One row of the table: a token policy and what the LM sees. */
    record Row(String name, TokenPolicy policy) { }

    /** One measured level: per request, time to first token, end to end and inside the tokenizer, in ms. */
    record Level(double[] ttft, double[] total, double[] tokenize, double seconds, int wrongLength) {
        double perSecond() {
            return total.length / seconds;
        }
    }

    @Override
    public Integer call() throws Exception {
        int side = (int) Math.round(Math.sqrt(keep));
        if (keep < 1 || side * side != keep) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--keep must be a square (the pooled row is side x side tokens), got " + keep);
        }
        io.glimpse.model.bundle.ModelBundle bundle = model.openBundle();
        int grid = bundle.config().gridTokens();
        int middle = grid / 4;   // 576 -> 144 (12 x 12), the pooled middle row
        var stages = bundle.config().visionStages();
        List<Row> rows = rows(grid, middle, stages == null ? 0 : stages.count());
        Generation generation = Generation.newBuilder().setMaxNewTokens(newTokens).setMinNewTokens(newTokens).build();
        List<AskRequest> asks = new ArrayList<>();
        System.out.printf("glimpse bench headline: bundle %s (%d visual tokens per image), %d new tokens per request,"
                + " %d requests per level after %d of warm-up, embedded chain over loopback TCP%n",
                bundle.dir().getFileName(), grid, newTokens, requests, warmup);
        Map<String, Map<Integer, Level>> results = new LinkedHashMap<>();
        try (GlimpseConnection c = GlimpseConnection.open(null, model, EmbeddedStack.Transport.LOOPBACK, false)) {
            for (Row row : rows) {
                asks.clear();
                for (ExampleSet.Example e : ExampleSet.read(GlimpseHome.examples().resolve("examples.jsonl")).examples()) {
                    asks.add(e.askBuilder().setPolicy(row.policy()).setGeneration(generation).build());
                }
                run(c, asks, 1, warmup);
                Map<Integer, Level> levels = new LinkedHashMap<>();
                for (int conc : concurrency) {
                    Level l = run(c, asks, conc, requests);
                    levels.put(conc, l);
                    System.out.printf("  %-26s conc %2d: %7.2f req/s, TTFT p50 %8.1f ms, tokenizer p50 %7.1f ms%s%n",
                            row.name(), conc, l.perSecond(), new Percentiles(l.ttft()).at(50),
                            new Percentiles(l.tokenize()).at(50),
                            l.wrongLength() == 0 ? "" : ", " + l.wrongLength() + " requests not " + newTokens + " tokens");
                }
                results.put(row.name(), levels);
            }
        }
        print(results);
        return 0;
    }

    private List<Row> rows(int grid, int middle, int encoderStages) {
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("FULL (" + grid + ")", policy(Tokenization.Mode.FULL, 0, null)));
        rows.add(new Row("POOLED " + middle, policy(Tokenization.Mode.POOLED, middle, null)));
        rows.add(new Row("POOLED " + keep, policy(Tokenization.Mode.POOLED, keep, null)));
        for (Pruning.Method m : methods) {
            rows.add(new Row(m + " " + keep, policy(Tokenization.Mode.FULL, 0,
                    Pruning.newBuilder().setMethod(m).setKeepTokens(keep).build())));
        }
        if (encoderStages >= 2) {
            int[] schedule = PolicyOptions.geometricSchedule(grid, encoderStages, keep);
            for (EncoderReduction.Method m : List.of(EncoderReduction.Method.TOME, EncoderReduction.Method.ZERO_TPRUNE,
                    EncoderReduction.Method.ATTENTION_DROP)) {
                EncoderReduction.Builder r = EncoderReduction.newBuilder().setMethod(m);
                for (int k : schedule) {
                    r.addKeepPerStage(k);
                }
                rows.add(new Row(m + " in encoder " + keep, TokenPolicy.newBuilder().setTokenization(
                        Tokenization.newBuilder().setEncoderReduction(r)).build()));
            }
        }
        return rows;
    }

    private static TokenPolicy policy(Tokenization.Mode mode, int tokens, Pruning pruning) {
        TokenPolicy.Builder p = TokenPolicy.newBuilder().setTokenization(Tokenization.newBuilder().setMode(mode).setTokens(tokens));
        if (pruning != null) {
            p.setPruning(pruning);
        }
        return p.build();
    }

    /** The markdown table docs/performance.md carries, each row's ratios to FULL at the same concurrency. */
    private void print(Map<String, Map<Integer, Level>> results) {
        Map<Integer, Level> full = results.values().iterator().next();
        System.out.println();
        System.out.println("| visual tokens | concurrency | req/s | TTFT p50 ms | TTFT p99 ms | end-to-end p50 ms | tokenizer p50 ms"
                + " | req/s ÷ FULL | TTFT p50 ÷ FULL | tokenizer p50 ÷ FULL |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        for (Map.Entry<String, Map<Integer, Level>> e : results.entrySet()) {
            for (Map.Entry<Integer, Level> l : e.getValue().entrySet()) {
                Level f = full.get(l.getKey());
                Percentiles ttft = new Percentiles(l.getValue().ttft());
                double ttftRatio = ttft.at(50) / new Percentiles(f.ttft()).at(50);
                double tok = new Percentiles(l.getValue().tokenize()).at(50);
                System.out.printf("| %s | %d | %.2f | %.1f | %.1f | %.1f | %.1f | %.2f× | %.2f× | %.2f× |%n", e.getKey(),
                        l.getKey(), l.getValue().perSecond(), ttft.at(50), ttft.at(99),
                        new Percentiles(l.getValue().total()).at(50), tok, l.getValue().perSecond() / f.perSecond(), ttftRatio,
                        tok / new Percentiles(f.tokenize()).at(50));
            }
        }
    }

    /** {@code count} requests from {@code conc} clients, each over AskStream, timed as the client sees them. */
    private Level run(GlimpseConnection c, List<AskRequest> asks, int conc, int count) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(conc);
        AtomicInteger next = new AtomicInteger();
        AtomicInteger wrongLength = new AtomicInteger();
        List<Future<List<double[]>>> futures = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int w = 0; w < conc; w++) {
            futures.add(pool.submit(() -> {
                List<double[]> mine = new ArrayList<>();
                int i;
                while ((i = next.getAndIncrement()) < count) {
                    long sent = System.nanoTime();
                    long first = 0;
                    double tokenize = 0;
                    Iterator<AskEvent> events = c.blocking().withDeadlineAfter(10, TimeUnit.MINUTES)
                            .askStream(asks.get(i % asks.size()));
                    while (events.hasNext()) {
                        AskEvent e = events.next();
                        if (first == 0) {   // a delta, or the final answer when no text came before it
                            first = System.nanoTime();
                        }
                        if (e.hasDone() && e.getDone().getUsage().getGeneratedTokens() != newTokens) {
                            wrongLength.incrementAndGet();
                        }
                        if (e.hasDone()) {
                            tokenize = e.getDone().getTimings().getTokenizeComputeMicros() / 1000.0;
                        }
                    }
                    mine.add(new double[]{(first - sent) / 1e6, (System.nanoTime() - sent) / 1e6, tokenize});
                }
                return mine;
            }));
        }
        List<double[]> all = new ArrayList<>();
        for (Future<List<double[]>> f : futures) {
            all.addAll(f.get());
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        pool.shutdown();
        return new Level(all.stream().mapToDouble(a -> a[0]).toArray(), all.stream().mapToDouble(a -> a[1]).toArray(),
                all.stream().mapToDouble(a -> a[2]).toArray(), seconds, wrongLength.get());
    }
}
