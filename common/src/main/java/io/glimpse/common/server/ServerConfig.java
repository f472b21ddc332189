package io.glimpse.common.server;

import java.time.Duration;

/**
 * How a service listens.
 *
 * @param port           TCP port; 0 = any free port; negative = no TCP listener
 * @param inProcessName  also serve on this in-process name (null = not)
 * @param maxInboundBytes largest request message accepted
 * @param keepAliveTime  server-side keepalive ping interval
 * @param keepAliveTimeout how long to wait for a ping ack before closing the connection
 * @param drainTimeout   on shutdown, how long in-flight calls may finish before being cancelled
 */
public record ServerConfig(int port, String inProcessName, int maxInboundBytes, Duration keepAliveTime,
                           Duration keepAliveTimeout, Duration drainTimeout) {
    public static final int DEFAULT_MAX_INBOUND_BYTES = 32 * 1024 * 1024;

    public static ServerConfig tcp(int port) {
        return new ServerConfig(port, null, DEFAULT_MAX_INBOUND_BYTES, Duration.ofSeconds(30),
                Duration.ofSeconds(10), Duration.ofSeconds(20));
    }

    public static ServerConfig inProcess(String name) {
        return new ServerConfig(-1, name, DEFAULT_MAX_INBOUND_BYTES, Duration.ofSeconds(30),
                Duration.ofSeconds(10), Duration.ofSeconds(5));
    }

    public ServerConfig withInProcessName(String name) {
        return new ServerConfig(port, name, maxInboundBytes, keepAliveTime, keepAliveTimeout, drainTimeout);
    }
}
