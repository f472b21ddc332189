package io.glimpse.common.metrics;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Serves a Prometheus registry as text at {@code /metrics} on its own port (the JDK's HTTP server).
 * Requests run on a small pool of their own and the JDK server's request and response timeouts are
 * set, so one stalled connection cannot hold the endpoint the autoscaler reads.
 */
public final class MetricsEndpoint implements AutoCloseable {
    private static final int THREADS = 4;

    static {
        // read once by the JDK's server configuration: close requests that take longer (seconds)
        System.setProperty("sun.net.httpserver.maxReqTime", System.getProperty("sun.net.httpserver.maxReqTime", "5"));
        System.setProperty("sun.net.httpserver.maxRspTime", System.getProperty("sun.net.httpserver.maxRspTime", "10"));
    }

    private final HttpServer server;
    private final boolean https;
    private final ExecutorService executor;

    private MetricsEndpoint(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
        this.https = server instanceof com.sun.net.httpserver.HttpsServer;
    }

    /** @param bind address to listen on; @param port TCP port, 0 for any free one */
    public static MetricsEndpoint start(PrometheusMeterRegistry registry, String bind, int port) {
        return start(registry, bind, port, null);
    }

    /**
     * @param tls HTTPS with this context (the service's own certificate; scrapers are not asked for
     *            one), or null for plain HTTP
     */
    public static MetricsEndpoint start(PrometheusMeterRegistry registry, String bind, int port, javax.net.ssl.SSLContext tls) {
        AtomicInteger n = new AtomicInteger();
        ExecutorService executor = Executors.newFixedThreadPool(THREADS, r -> {
            Thread t = new Thread(r, "metrics-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            HttpServer s;
            if (tls == null) {
                s = HttpServer.create(new InetSocketAddress(bind, port), 16);
            } else {
                com.sun.net.httpserver.HttpsServer https = com.sun.net.httpserver.HttpsServer.create(
                        new InetSocketAddress(bind, port), 16);
                https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls));
                s = https;
            }
            s.setExecutor(executor);
            s.createContext("/metrics", exchange -> {
                try (exchange) {
                    byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
                    exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                    exchange.sendResponseHeaders(200, body.length);
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(body);
                    }
                }
            });
            s.start();
            return new MetricsEndpoint(s, executor);
        } catch (IOException e) {
            executor.shutdown();
            throw new IllegalStateException("cannot serve metrics on " + bind + ":" + port + ": " + e.getMessage(), e);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String address() {
        return server.getAddress().getHostString() + ":" + port();
    }

    /** Where to scrape: {@code http(s)://host:port/metrics}. */
    public String url() {
        return (https ? "https" : "http") + "://" + address() + "/metrics";
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
