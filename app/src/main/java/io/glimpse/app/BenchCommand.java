package io.glimpse.app;

import io.glimpse.proto.v1.AskRequest;
import io.glimpse.proto.v1.AskResponse;
import io.glimpse.proto.v1.StageTimings;
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
 * {@code glimpse bench}: Ask latency p50/p99 at several concurrencies, per stage, and the chain's
 * own overhead = end-to-end minus the time spent inside the stages' handlers.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmark Ask through the chain (embedded over loopback TCP, or --target).",
        subcommands = {TokenizerBenchCommand.class, DecodeBenchCommand.class, HeadlineBenchCommand.class, LoadCommand.class, AttackCommand.class,
                HttpAbuseBenchCommand.class})
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--requests", defaultValue = "200", description = "Measured requests per concurrency level.")
    int requests;

    @Option(names = "--warmup", defaultValue = "20")
    int warmup;

    @Option(names = "--concurrency", defaultValue = "1,8", split = ",")
    int[] concurrency;

    @Mixin
    RemoteOptions remote;

    @Option(names = "--transport", defaultValue = "LOOPBACK",
            description = "Embedded chain transport: LOOPBACK (TCP on 127.0.0.1) or IN_PROCESS.")
    EmbeddedStack.Transport transport;

    @Mixin
    ModelOptions model;

    @Mixin
    PolicyOptions policy;

    @Override
    public Integer call() throws Exception {
        List<AskRequest> reqs = policy.exampleAsks();
        System.out.printf("glimpse bench: policy %s, %d requests per level, %s%n", policy.describe(), requests,
                remote.target == null ? "embedded chain over " + transport : "target " + remote.target);
        System.out.printf("%-5s %9s %9s %9s %9s %9s %9s %10s %10s   %s%n", "conc", "p50 ms", "p99 ms", "tok p50",
                "prune p50", "gen p50", "overh p50", "overh p99", "req/s", "overhead per hop p50 (tok/prune/gen)");
        try (GlimpseConnection c = GlimpseConnection.open(remote, model, transport, false)) {
            for (int conc : concurrency) {
                run(c, reqs, conc, warmup);
                long t0 = System.nanoTime();
                List<AskResponse> results = run(c, reqs, conc, requests);
                double seconds = (System.nanoTime() - t0) / 1e9;
                double[] total = results.stream().mapToDouble(r -> r.getTimings().getTotalMicros() / 1000.0).toArray();
                double[] tok = results.stream().mapToDouble(r -> r.getTimings().getTokenizeMicros() / 1000.0).toArray();
                double[] prune = results.stream().mapToDouble(r -> r.getTimings().getPruneMicros() / 1000.0).toArray();
                double[] gen = results.stream().mapToDouble(r -> r.getTimings().getGenerateMicros() / 1000.0).toArray();
                double[] overhead = results.stream().mapToDouble(r -> overheadMs(r.getTimings())).toArray();
                Percentiles t = new Percentiles(total);
                Percentiles o = new Percentiles(overhead);
                double[] hopTok = results.stream().mapToDouble(r -> (r.getTimings().getTokenizeMicros()
                        - r.getTimings().getTokenizeComputeMicros()) / 1000.0).toArray();
                double[] hopPrune = results.stream().mapToDouble(r -> (r.getTimings().getPruneMicros()
                        - r.getTimings().getPruneComputeMicros()) / 1000.0).toArray();
                double[] hopGen = results.stream().mapToDouble(r -> (r.getTimings().getGenerateMicros()
                        - r.getTimings().getRunnerQueueMicros() - r.getTimings().getPrefillMicros()
                        - r.getTimings().getDecodeMicros()) / 1000.0).toArray();
                System.out.printf("%-5d %9.2f %9.2f %9.2f %9.2f %9.2f %9.3f %10.3f %10.1f   %.3f / %.3f / %.3f%n", conc,
                        t.at(50), t.at(99), new Percentiles(tok).at(50), new Percentiles(prune).at(50),
                        new Percentiles(gen).at(50), o.at(50), o.at(99), results.size() / seconds,
                        new Percentiles(hopTok).at(50), new Percentiles(hopPrune).at(50), new Percentiles(hopGen).at(50));
            }
        }
        System.out.println("overhead = gateway end-to-end minus (tokenizer handler + pruner handler + runner queue"
                + " + prefill + decode); latencies as measured inside the gateway");
        return 0;
    }

    /** The bundled examples as Asks under the command's policy. */
    static double overheadMs(StageTimings t) {
        long inside = t.getTokenizeComputeMicros() + t.getPruneComputeMicros() + t.getRunnerQueueMicros()
                + t.getPrefillMicros() + t.getDecodeMicros();
        return (t.getTotalMicros() - inside) / 1000.0;
    }

    private static List<AskResponse> run(GlimpseConnection c, List<AskRequest> reqs, int conc, int count) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(conc);
        AtomicInteger next = new AtomicInteger();
        List<Future<List<AskResponse>>> futures = new ArrayList<>();
        for (int w = 0; w < conc; w++) {
            futures.add(pool.submit(() -> {
                List<AskResponse> mine = new ArrayList<>();
                int i;
                while ((i = next.getAndIncrement()) < count) {
                    mine.add(c.blocking().ask(reqs.get(i % reqs.size())));
                }
                return mine;
            }));
        }
        List<AskResponse> all = new ArrayList<>();
        for (Future<List<AskResponse>> f : futures) {
            all.addAll(f.get());
        }
        pool.shutdown();
        return all;
    }
}
