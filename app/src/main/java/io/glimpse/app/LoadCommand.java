package io.glimpse.app;

import io.glimpse.common.grpc.StatusMapping;
import io.glimpse.proto.v1.AskRequest;
import io.glimpse.proto.v1.AskResponse;
import io.glimpse.proto.v1.GlimpseGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code glimpse bench load}: closed-loop clients for a while, then a burst of calls at once, as an
 * SRE would try a service before launch. Reports completed calls per second with p50/p99, and every
 * refusal by status and by the stage that refused it, with how fast refusals came back.
 */
@Command(name = "load", mixinStandardHelpOptions = true,
        description = "Overload the chain: N clients for S seconds, then a burst; ok/s, latency, refusals by stage.")
final class LoadCommand implements Callable<Integer> {
    @Option(names = "--clients", defaultValue = "64", description = "Concurrent closed-loop clients (default ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--seconds", defaultValue = "20", description = "How long the clients run (default ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--burst", defaultValue = "2000", description = "Calls sent at once after the clients stop (0 = none).")
    int burst;

    @Option(names = "--deadline-ms", defaultValue = "30000", description = "Deadline of each call.")
    long deadlineMs;

    @Mixin
    RemoteOptions remote;

    @Mixin
    ModelOptions model;

    @Mixin
    PolicyOptions policy;

    /** Outcomes of one phase. */
    private static final class Tally {
        final List<Double> ok = new CopyOnWriteArrayList<>();
        final Map<String, List<Double>> refused = new ConcurrentHashMap<>();
        final List<Long> retryAfterMs = new CopyOnWriteArrayList<>();

        void fail(Throwable t, double ms) {
            Status s = Status.fromThrowable(t);
            String d = s.getDescription() == null ? "" : s.getDescription();
            int colon = d.indexOf(':');
            String stage = colon > 0 && !d.substring(0, colon).contains(" ") ? d.substring(0, colon)
                    : d.startsWith("gateway") ? "gateway" : "-";
            refused.computeIfAbsent(s.getCode() + " at " + stage, k -> new CopyOnWriteArrayList<>()).add(ms);
            Duration retry = StatusMapping.retryAfter(t);
            if (retry != null) {
                retryAfterMs.add(retry.toMillis());
            }
        }

        void print(String phase, double wallSeconds) {
            Percentiles p = new Percentiles(ok.stream().mapToDouble(Double::doubleValue).toArray());
            int failed = refused.values().stream().mapToInt(List::size).sum();
            System.out.printf("%s: %d ok (%.1f ok/s, p50 %.1f ms, p99 %.1f ms), %d refused or failed%n", phase, ok.size(),
                    ok.size() / wallSeconds, p.at(50), p.at(99), failed);
            for (Map.Entry<String, List<Double>> e : new TreeMap<>(refused).entrySet()) {
                Percentiles r = new Percentiles(e.getValue().stream().mapToDouble(Double::doubleValue).toArray());
                System.out.printf("  %-36s %6d  (answered in p50 %.1f ms, p99 %.1f ms)%n", e.getKey(), e.getValue().size(),
                        r.at(50), r.at(99));
            }
            if (!retryAfterMs.isEmpty()) {
                Percentiles r = new Percentiles(retryAfterMs.stream().mapToDouble(Long::doubleValue).toArray());
                System.out.printf("  retry-after hints: p50 %.0f ms, max %.0f ms%n", r.at(50), r.at(100));
            }
        }
    }

    @Override
    public Integer call() throws Exception {
        List<AskRequest> reqs = policy.exampleAsks();
        System.out.printf("glimpse bench load: %d clients for %d s, then a burst of %d; policy %s; %s%n", clients, seconds,
                burst, policy.describe(), remote.target == null ? "embedded chain over loopback TCP" : "target " + remote.target);
        try (GlimpseConnection c = GlimpseConnection.open(remote, model, EmbeddedStack.Transport.LOOPBACK, false)) {
            Tally sustained = new Tally();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger next = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            long t0 = System.nanoTime();
            for (int i = 0; i < clients; i++) {
                pool.submit(() -> {
                    while (!stop.get()) {
                        long s = System.nanoTime();
                        try {
                            c.blocking().withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS)
                                    .ask(reqs.get(next.getAndIncrement() % reqs.size()));
                            sustained.ok.add((System.nanoTime() - s) / 1e6);
                        } catch (StatusRuntimeException e) {
                            sustained.fail(e, (System.nanoTime() - s) / 1e6);
                        }
                    }
                });
            }
            Thread.sleep(seconds * 1000L);
            stop.set(true);
            pool.shutdown();
            pool.awaitTermination(deadlineMs + 5000, TimeUnit.MILLISECONDS);
            sustained.print("sustained", (System.nanoTime() - t0) / 1e9);
            if (burst > 0) {
                Tally b = new Tally();
                CountDownLatch done = new CountDownLatch(burst);
                GlimpseGrpc.GlimpseStub async = c.async();
                long b0 = System.nanoTime();
                for (int i = 0; i < burst; i++) {
                    long s = System.nanoTime();
                    async.withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS).ask(reqs.get(i % reqs.size()),
                            new StreamObserver<>() {
                                @Override
                                public void onNext(AskResponse r) {
                                    b.ok.add((System.nanoTime() - s) / 1e6);
                                }

                                @Override
                                public void onError(Throwable t) {
                                    b.fail(t, (System.nanoTime() - s) / 1e6);
                                    done.countDown();
                                }

                                @Override
                                public void onCompleted() {
                                    done.countDown();
                                }
                            });
                }
                done.await(deadlineMs + 10000, TimeUnit.MILLISECONDS);
                b.print("burst", (System.nanoTime() - b0) / 1e9);
            }
        }
        return 0;
    }
}
