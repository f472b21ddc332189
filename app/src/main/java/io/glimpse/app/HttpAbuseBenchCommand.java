package io.glimpse.app;

import io.glimpse.gateway.http.HttpApiConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * {@code glimpse bench http-abuse}: the HTTP face under slow and hostile clients, bounded. Good chat
 * requests are timed alone, then again while slow-body and slowloris connections trickle a byte
 * every few seconds and stalled uploads hold their declared 16 MiB; then a chunked body of
 * whitespace past the body limit. Reports p50/p99 of the good requests, their statuses, when the slow
 * connections were closed, and how far the oversized chunked body got.
 */
@Command(name = "http-abuse", mixinStandardHelpOptions = true,
        description = "Slow bodies, slowloris, stalled uploads and an oversized chunked body against the HTTP API;"
                + " good requests timed before and during.")
final class HttpAbuseBenchCommand implements Callable<Integer> {
    @Option(names = "--url", description = "Base URL of a running gateway's HTTP port (default: start the chain in this JVM).")
    String url;

    @Option(names = "--slow-bodies", defaultValue = "200", description = "Connections trickling a body (default ${DEFAULT-VALUE}).")
    int slowBodies;

    @Option(names = "--slowloris", defaultValue = "200", description = "Connections trickling headers (default ${DEFAULT-VALUE}).")
    int slowloris;

    @Option(names = "--stalled", defaultValue = "10", description = "Uploads declaring 16 MiB that stall after 1 KiB (default ${DEFAULT-VALUE}).")
    int stalled;

    @Option(names = "--trickle-seconds", defaultValue = "5", description = "Seconds between a slow connection's bytes (default ${DEFAULT-VALUE}).")
    int trickleSeconds;

    @Option(names = "--requests", defaultValue = "200", description = "Good requests timed in each phase (default ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--watch-seconds", defaultValue = "45", description = "How long the slow connections are watched for their close (default ${DEFAULT-VALUE}).")
    int watchSeconds;

    @Mixin
    ModelOptions model;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Override
    public Integer call() throws Exception {
        if (url != null) {
            return run(URI.create(url));
        }
        var c = EmbeddedStack.Services.defaults(model.openBundle(), model.sessions()).withHttp(HttpApiConfig.defaults(0));
        try (EmbeddedStack stack = EmbeddedStack.start(c, EmbeddedStack.Transport.LOOPBACK, 0, new SimpleMeterRegistry())) {
            return run(URI.create(stack.http().url("127.0.0.1")));
        }
    }

    private int run(URI base) throws Exception {
        ExampleSet.Example e = ExampleSet.read(GlimpseHome.examples().resolve("examples.jsonl")).examples().get(0);
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"" + e.question()
                + "\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,"
                + Base64.getEncoder().encodeToString(Files.readAllBytes(e.image())) + "\"}}]}],\"max_tokens\":4}";
        HttpRequest good = HttpRequest.newBuilder(base.resolve("/v1/chat/completions")).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        for (int i = 0; i < 20; i++) {
            client.send(good, HttpResponse.BodyHandlers.discarding());   // warm-up
        }
        Phase alone = phase(good);
        List<Trickler> slow = new ArrayList<>();
        long opened = System.nanoTime();
        for (int i = 0; i < slowBodies; i++) {
            slow.add(new Trickler(base, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100000\r\n\r\n{", "body", opened));
        }
        for (int i = 0; i < slowloris; i++) {
            slow.add(new Trickler(base, "GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Slow: ", "headers", opened));
        }
        for (int i = 0; i < stalled; i++) {
            slow.add(new Trickler(base, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " + (16 << 20)
                    + "\r\n\r\n" + " ".repeat(1024), "stalled", opened));
        }
        Thread trickle = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(trickleSeconds * 1000L);
                } catch (InterruptedException ie) {
                    return;
                }
                slow.forEach(t -> t.send(t.kind.equals("stalled") ? null : "a"));
            }
        }, "trickle");
        trickle.setDaemon(true);
        trickle.start();
        Phase attacked = phase(good);
        long watchEnd = opened + Duration.ofSeconds(watchSeconds).toNanos();
        while (System.nanoTime() < watchEnd && slow.stream().anyMatch(t -> t.closedAfter < 0)) {
            Thread.sleep(250);
        }
        trickle.interrupt();
        Map<String, List<Double>> closed = new TreeMap<>();
        Map<String, Integer> open = new TreeMap<>();
        for (Trickler t : slow) {
            if (t.closedAfter >= 0) {
                closed.computeIfAbsent(t.kind, k -> new ArrayList<>()).add(t.closedAfter);
            } else {
                open.merge(t.kind, 1, Integer::sum);
            }
            t.close();
        }
        String chunked = oversizedChunked(base);

        System.out.printf("good requests alone:   p50 %.1f ms  p99 %.1f ms  statuses %s%n", alone.p(50), alone.p(99), alone.statuses);
        System.out.printf("good requests attacked: p50 %.1f ms  p99 %.1f ms  statuses %s  (p99 %.2fx alone; goal <= 2x)%n",
                attacked.p(50), attacked.p(99), attacked.statuses, attacked.p(99) / alone.p(99));
        System.out.printf("attack: %d slow bodies, %d slowloris, %d stalled 16 MiB uploads, a byte every %d s%n",
                slowBodies, slowloris, stalled, trickleSeconds);
        closed.forEach((kind, s) -> System.out.printf("  %-8s closed by the server: %d, after %.1f-%.1f s%n", kind, s.size(),
                s.stream().mapToDouble(Double::doubleValue).min().orElse(0), s.stream().mapToDouble(Double::doubleValue).max().orElse(0)));
        open.forEach((kind, n) -> System.out.printf("  %-8s still open after %d s: %d%n", kind, watchSeconds, n));
        System.out.println("oversized chunked body: " + chunked);
        return 0;
    }

    private record Phase(List<Double> millis, Map<Integer, Integer> statuses) {
        double p(int q) {
            return new Percentiles(millis.stream().mapToDouble(Double::doubleValue).toArray()).at(q);
        }
    }

    private Phase phase(HttpRequest good) throws InterruptedException {
        List<Double> ms = new ArrayList<>();
        Map<Integer, Integer> statuses = new TreeMap<>();
        for (int i = 0; i < requests; i++) {
            long t0 = System.nanoTime();
            int status;
            try {
                status = client.send(good, HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (IOException x) {
                status = -1;
            }
            ms.add((System.nanoTime() - t0) / 1e6);
            statuses.merge(status, 1, Integer::sum);
        }
        return new Phase(ms, statuses);
    }

    /** Writes whitespace as chunks until the server stops reading; what it answered and how much got through. */
    private static String oversizedChunked(URI base) throws IOException {
        try (Socket s = new Socket(base.getHost(), base.getPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = ("10000\r\n" + " ".repeat(65536) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            long written = 0;
            try {
                for (int i = 0; i < 640; i++) {   // 40 MiB
                    out.write(chunk);
                    written += 65536;
                }
            } catch (IOException stopped) {
                // the server closed the connection: it read no further
            }
            String status;
            try {
                status = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))
                        .readLine();
            } catch (IOException gone) {
                status = "(connection reset before the status line was read)";
            }
            return (status == null ? "(closed)" : status) + "; the client got " + (written >> 20) + " of 40 MiB"
                    + " into the connection before it was closed (the server reads at most the body limit; the rest"
                    + " sat in the two sockets' buffers)";
        }
    }

    /** One slow connection: sends its head, then a byte when asked; notes when the server closed it. */
    private static final class Trickler {
        final String kind;
        final long opened;
        volatile double closedAfter = -1;
        private final Socket socket;

        Trickler(URI base, String head, String kind, long opened) throws IOException {
            this.kind = kind;
            this.opened = opened;
            this.socket = new Socket(base.getHost(), base.getPort());
            socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            Thread reader = new Thread(() -> {
                try {
                    byte[] b = new byte[4096];
                    while (socket.getInputStream().read(b) >= 0) {
                        // an answer (408) may come before the close
                    }
                } catch (IOException e) {
                    // reset: closed too
                }
                if (closedAfter < 0) {
                    closedAfter = (System.nanoTime() - opened) / 1e9;
                }
            }, "trickler-reader");
            reader.setDaemon(true);
            reader.start();
        }

        void send(String text) {
            if (text == null || closedAfter >= 0) {
                return;
            }
            try {
                socket.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
            } catch (IOException e) {
                if (closedAfter < 0) {
                    closedAfter = (System.nanoTime() - opened) / 1e9;
                }
            }
        }

        void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing a dead connection
            }
        }
    }
}
