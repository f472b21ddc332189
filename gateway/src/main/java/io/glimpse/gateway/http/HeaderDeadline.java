package io.glimpse.gateway.http;

import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Closes connections whose request headers have been arriving for longer than a deadline. Each
 * byte resets a connection's idle timeout, so without this a client sending one header byte every
 * few seconds (slowloris) would keep its connection forever. Jetty parses headers without holding
 * a thread, so the cost of such a connection is its socket; this bounds how long it lasts.
 */
final class HeaderDeadline implements AutoCloseable {
    private static final Logger ACCESS = LoggerFactory.getLogger("glimpse.access");
    private static final long SWEEP_MILLIS = 500;

    private final Server server;
    private final long deadlineNanos;
    private final Map<EndPoint, Long> partialSince = new ConcurrentHashMap<>();
    private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gateway-http-header-deadline");
        t.setDaemon(true);
        return t;
    });

    HeaderDeadline(Server server, Duration deadline) {
        this.server = server;
        this.deadlineNanos = deadline.toNanos();
        sweeper.scheduleWithFixedDelay(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void sweep() {
        long now = System.nanoTime();
        java.util.Set<EndPoint> open = new java.util.HashSet<>();
        for (Connector c : server.getConnectors()) {
            if (!(c instanceof AbstractConnector connector)) {
                continue;
            }
            for (EndPoint e : connector.getConnectedEndPoints()) {
                open.add(e);
                HttpConnection http = http(e.getConnection());
                boolean partial = http != null && http.getParser().inHeaderState() && !http.getParser().isStart();
                if (!partial) {
                    partialSince.remove(e);
                    continue;
                }
                long since = partialSince.computeIfAbsent(e, k -> now);
                if (now - since > deadlineNanos) {
                    partialSince.remove(e);
                    ACCESS.info("key=- http=- status=408 bytes=0 latency_ms={} closed=\"headers incomplete after the deadline\"",
                            (now - since) / 1_000_000);
                    e.close();
                }
            }
        }
        partialSince.keySet().retainAll(open);
    }

    private static HttpConnection http(Connection c) {
        if (c instanceof SslConnection ssl) {
            c = ssl.getSslEndPoint().getConnection();
        }
        return c instanceof HttpConnection h ? h : null;
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
    }
}
