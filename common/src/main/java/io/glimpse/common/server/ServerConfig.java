package io.glimpse.common.server;

import java.time.Duration;

/**
 * How a service listens.
 *
 * @param bind            address the TCP listener binds (loopback unless told otherwise)
 * @param port            TCP port; 0 = any free port; negative = no TCP listener
 * @param inProcessName   also serve on this in-process name (null = not)
 * @param maxInboundBytes largest request message accepted
 * @param keepAliveTime   server-side keepalive ping interval
 * @param keepAliveTimeout how long to wait for a ping ack before closing the connection
 * @param drainTimeout    on shutdown, how long in-flight calls may finish before being cancelled
 * @param handlerThreads  threads that run calls: a fixed pool, so a burst of calls queues as small
 *                        tasks instead of growing a thread per call; each service sizes it from its
 *                        admission limits (running + queued + headroom for health and refusals)
 * @param tls             TLS on the TCP listener (mutual when it names a client CA); null = plaintext
 * @param reflection      serve gRPC server reflection (off on the public gateway unless asked for)
 * @param healthPort      also serve only grpc.health.v1, plaintext, on this port (0 = not): for
 *                        Kubernetes' gRPC probes, which cannot speak TLS to a TLS-only listener
 * @param maxConnectionAge connections are asked to reconnect after this long (GOAWAY), with the
 *                        drain timeout as grace: clients that pick one address and keep it (the
 *                        default pick_first) spread again over replicas the autoscaler adds
 * @param plaintextChosen plaintext beyond loopback was chosen explicitly ({@code --plaintext}); without
 *                        it a server that others can reach refuses to start without TLS ({@link Exposure})
 */
public record ServerConfig(String bind, int port, String inProcessName, int maxInboundBytes, Duration keepAliveTime,
                           Duration keepAliveTimeout, Duration drainTimeout, int handlerThreads, TlsFiles tls,
                           boolean reflection, int healthPort, Duration maxConnectionAge, boolean plaintextChosen) {
    public static final Duration DEFAULT_MAX_CONNECTION_AGE = Duration.ofMinutes(5);

    public static final int DEFAULT_MAX_INBOUND_BYTES = 32 * 1024 * 1024;
    public static final String LOOPBACK = "127.0.0.1";
    /** Threads beyond a service's admission limits: health checks, reflection and fast refusals. */
    public static final int HEADROOM_THREADS = 8;

    public ServerConfig {
        if (handlerThreads < 1) {
            throw new IllegalArgumentException("handlerThreads must be >= 1");
        }
    }

    public ServerConfig(String bind, int port, String inProcessName, int maxInboundBytes, Duration keepAliveTime,
                        Duration keepAliveTimeout, Duration drainTimeout, int handlerThreads, TlsFiles tls,
                        boolean reflection, int healthPort, Duration maxConnectionAge) {
        this(bind, port, inProcessName, maxInboundBytes, keepAliveTime, keepAliveTimeout, drainTimeout, handlerThreads,
                tls, reflection, healthPort, maxConnectionAge, false);
    }

    public static ServerConfig tcp(int port) {
        return new ServerConfig(LOOPBACK, port, null, DEFAULT_MAX_INBOUND_BYTES, Duration.ofSeconds(30),
                Duration.ofSeconds(10), Duration.ofSeconds(20), 64, null, true, 0, DEFAULT_MAX_CONNECTION_AGE);
    }

    public static ServerConfig inProcess(String name) {
        return new ServerConfig(LOOPBACK, -1, name, DEFAULT_MAX_INBOUND_BYTES, Duration.ofSeconds(30),
                Duration.ofSeconds(10), Duration.ofSeconds(5), 64, null, true, 0, DEFAULT_MAX_CONNECTION_AGE);
    }

    public ServerConfig withInProcessName(String name) {
        return new ServerConfig(bind, port, name, maxInboundBytes, keepAliveTime, keepAliveTimeout, drainTimeout,
                handlerThreads, tls, reflection, healthPort, maxConnectionAge, plaintextChosen);
    }

    public ServerConfig withPort(int p) {
        return new ServerConfig(bind, p, inProcessName, maxInboundBytes, keepAliveTime, keepAliveTimeout, drainTimeout,
                handlerThreads, tls, reflection, healthPort, maxConnectionAge, plaintextChosen);
    }

    public ServerConfig withBind(String address) {
        return new ServerConfig(address, port, inProcessName, maxInboundBytes, keepAliveTime, keepAliveTimeout,
                drainTimeout, handlerThreads, tls, reflection, healthPort, maxConnectionAge, plaintextChosen);
    }

    public ServerConfig withTls(TlsFiles t) {
        return new ServerConfig(bind, port, inProcessName, maxInboundBytes, keepAliveTime, keepAliveTimeout,
                drainTimeout, handlerThreads, t, reflection, healthPort, maxConnectionAge, plaintextChosen);
    }

    public ServerConfig withReflection(boolean on) {
        return new ServerConfig(bind, port, inProcessName, maxInboundBytes, keepAliveTime, keepAliveTimeout,
                drainTimeout, handlerThreads, tls, on, healthPort, maxConnectionAge, plaintextChosen);
    }

    public ServerConfig withPlaintextChosen(boolean chosen) {
        return new ServerConfig(bind, port, inProcessName, maxInboundBytes, keepAliveTime, keepAliveTimeout, drainTimeout,
                handlerThreads, tls, reflection, healthPort, maxConnectionAge, chosen);
    }

    /** Threads for a service admitting {@code running} calls with {@code queued} more waiting. */
    public ServerConfig withHandlerThreadsFor(int running, int queued) {
        return new ServerConfig(bind, port, inProcessName, maxInboundBytes, keepAliveTime, keepAliveTimeout,
                drainTimeout, running + queued + HEADROOM_THREADS, tls, reflection, healthPort, maxConnectionAge,
                plaintextChosen);
    }
}
