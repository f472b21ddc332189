package io.glimpse.app;

import io.glimpse.gateway.auth.AccessPolicy;
import io.glimpse.gateway.auth.ApiKeys;
import io.glimpse.proto.v1.AskRequest;
import io.glimpse.proto.v1.Generation;
import io.glimpse.proto.v1.GlimpseGrpc;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code glimpse bench attack}: the cost-inflation attack side by side. A victim key asks ordinary
 * questions; an attacker sends the most expensive request it may from many connections — on an
 * open gateway (no keys: it forces every answer to the token cap) and on one with keys and quotas.
 * Prints the victim's throughput and latency in each phase against its own, unattacked, baseline.
 */
@Command(name = "attack", mixinStandardHelpOptions = true,
        description = "Cost-inflation attack: a victim's throughput and p99 alone, under attack on an open gateway, and with keys and quotas.")
final class AttackCommand implements Callable<Integer> {
    private static final int LONGEST = 80;

    @Option(names = "--seconds", defaultValue = "15", description = "Length of each phase (default ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--victim-clients", defaultValue = "2")
    int victimClients;

    @Option(names = "--attacker-connections", defaultValue = "16")
    int attackerConnections;

    @Option(names = "--attacker-limits", defaultValue = "rate=5 burst=5 budget=20000/60s",
            description = "The attacker key's line in the key file (default: ${DEFAULT-VALUE}).")
    String attackerLimits;

    @Mixin
    ModelOptions model;

    /** One phase's victim figures. */
    private record Phase(String name, double okPerSecond, double p50, double p99, int attackerOk, int attackerRefused) {
    }

    @Override
    public Integer call() throws Exception {
        String victim = ApiKeys.newKey();
        String attacker = ApiKeys.newKey();
        Path keys = Files.createTempFile("glimpse-keys", ".txt");
        Files.writeString(keys, "victim sha256:" + ApiKeys.hash(victim) + " rate=1000 burst=1000 budget=1000000000/60s\n"
                + "attacker sha256:" + ApiKeys.hash(attacker) + " " + attackerLimits + "\n");
        AskRequest question = ExampleSet.read(GlimpseHome.examples().resolve("examples.jsonl")).examples().get(2)
                .askBuilder().build();
        // the longest answer that still fits the default model's 256 positions after 144 visual tokens
        AskRequest verbose = question.toBuilder().setGeneration(Generation.newBuilder().setMaxNewTokens(LONGEST)
                .setMinNewTokens(LONGEST)).build();
        AskRequest capped = question.toBuilder().setGeneration(Generation.newBuilder().setMaxNewTokens(LONGEST)
                .setMinNewTokens(AccessPolicy.DEFAULT_MIN_NEW_TOKENS_CAP)).build();
        List<Phase> phases = new ArrayList<>();
        var base = EmbeddedStack.Services.defaults(model.openBundle(), model.sessions());
        try (EmbeddedStack open = EmbeddedStack.start(base, EmbeddedStack.Transport.LOOPBACK, 0, new SimpleMeterRegistry())) {
            run("warm-up", open.gatewayPort(), question, null, null, null);
            phases.add(run("alone (open gateway)", open.gatewayPort(), question, null, null, null));
            phases.add(run("attacked, open gateway (min_new_tokens = " + LONGEST + ")", open.gatewayPort(), question, null,
                    verbose, null));
        }
        try (EmbeddedStack guarded = EmbeddedStack.start(base.withAccess(AccessPolicy.open().withKeys(ApiKeys.load(keys))),
                EmbeddedStack.Transport.LOOPBACK, 0, new SimpleMeterRegistry())) {
            run("warm-up", guarded.gatewayPort(), question, victim, null, null);
            phases.add(run("alone (keys and quotas)", guarded.gatewayPort(), question, victim, null, null));
            phases.add(run("attacked, keys and quotas (most it may ask)", guarded.gatewayPort(), question, victim, capped, attacker));
        } finally {
            Files.deleteIfExists(keys);
        }
        System.out.printf("glimpse bench attack: %d victim clients, %d attacker connections, %d s a phase; attacker key: %s%n",
                victimClients, attackerConnections, seconds, attackerLimits);
        System.out.printf("%-46s %9s %9s %9s %11s %11s %13s%n", "phase", "victim/s", "p50 ms", "p99 ms", "p99 ratio",
                "tput ratio", "attacker ok/refused");
        for (int i = 0; i < phases.size(); i++) {
            Phase p = phases.get(i);
            Phase alone = phases.get(i - i % 2);
            System.out.printf("%-46s %9.1f %9.1f %9.1f %11.2f %11.2f %8d/%d%n", p.name(), p.okPerSecond(), p.p50(), p.p99(),
                    p.p99() / alone.p99(), alone.okPerSecond() / p.okPerSecond(), p.attackerOk(), p.attackerRefused());
        }
        return 0;
    }

    private Phase run(String name, int port, AskRequest question, String victimKey, AskRequest attack, String attackerKey)
            throws InterruptedException {
        List<ManagedChannel> channels = new ArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<Double> latencies = new CopyOnWriteArrayList<>();
        AtomicInteger attackerOk = new AtomicInteger();
        AtomicInteger attackerRefused = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(victimClients + (attack == null ? 0 : attackerConnections));
        if (attack != null) {
            for (int i = 0; i < attackerConnections; i++) {
                GlimpseGrpc.GlimpseBlockingStub client = client(port, attackerKey, channels);
                pool.submit(() -> {
                    while (!stop.get()) {
                        try {
                            client.withDeadlineAfter(60, TimeUnit.SECONDS).ask(attack);
                            attackerOk.incrementAndGet();
                        } catch (StatusRuntimeException e) {
                            attackerRefused.incrementAndGet();
                            sleepQuietly(e);
                        }
                    }
                });
            }
            Thread.sleep(1000);   // the attack is in full swing before the victim is measured
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < victimClients; i++) {
            GlimpseGrpc.GlimpseBlockingStub client = client(port, victimKey, channels);
            pool.submit(() -> {
                while (!stop.get()) {
                    long s = System.nanoTime();
                    try {
                        client.withDeadlineAfter(60, TimeUnit.SECONDS).ask(question);
                        latencies.add((System.nanoTime() - s) / 1e6);
                    } catch (StatusRuntimeException e) {
                        sleepQuietly(e);
                    }
                }
            });
        }
        Thread.sleep(seconds * 1000L);
        stop.set(true);
        double wall = (System.nanoTime() - t0) / 1e9;
        pool.shutdown();
        pool.awaitTermination(70, TimeUnit.SECONDS);
        channels.forEach(ManagedChannel::shutdownNow);
        Percentiles p = new Percentiles(latencies.stream().mapToDouble(Double::doubleValue).toArray());
        return new Phase(name, latencies.size() / wall, p.at(50), p.at(99), attackerOk.get(), attackerRefused.get());
    }

    /** A refused client waits what the refusal asks (a well-behaved client), at least 10 ms. */
    private static void sleepQuietly(StatusRuntimeException e) {
        java.time.Duration d = io.glimpse.common.grpc.StatusMapping.retryAfter(e);
        try {
            Thread.sleep(Math.max(10, d == null ? 10 : Math.min(d.toMillis(), 2000)));
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }

    private static GlimpseGrpc.GlimpseBlockingStub client(int port, String key, List<ManagedChannel> channels) {
        ManagedChannel ch = Grpc.newChannelBuilder("127.0.0.1:" + port, InsecureChannelCredentials.create()).build();
        channels.add(ch);
        return RemoteOptions.withKey(GlimpseGrpc.newBlockingStub(ch), key);
    }
}
