package io.glimpse.gateway.http;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The gateway's HTTP port: OpenAI-compatible Chat Completions, {@code /v1/models} and the token
 * explorer page. It listens on the gateway's bind address with the gateway's TLS.
 *
 * @param port              TCP port; 0 = any free one; negative = no HTTP listener
 * @param maxBodyBytes      largest request body (images travel base64 inside it, 4/3 of their size)
 * @param maxInFlightBodyBytes request body bytes held at once, charged as they arrive: beyond it 429.
 *                          A body costs about three times its size while it is parsed and decoded,
 *                          so the default (48 MiB, room for one largest body) bounds the HTTP side
 *                          at about 144 MiB of heap, which with the gRPC side fits the gateway's
 * @param imageHosts        hosts (or host:port) whose http(s) image URLs the gateway may fetch; empty =
 *                          images only as data: URIs — the gateway never fetches an arbitrary URL
 * @param fetchTimeout      connect + read time for one allowed remote image
 * @param explorer          serve the token explorer page at {@code /}
 * @param bodyTimeout       a request's body must arrive whole within this long of its headers (else 408)
 * @param headerTimeout     a request's headers must arrive whole within this long of their first byte
 *                          (else the connection is closed)
 */
public record HttpApiConfig(int port, int maxBodyBytes, long maxInFlightBodyBytes, List<String> imageHosts,
                            Duration fetchTimeout, boolean explorer, Duration bodyTimeout, Duration headerTimeout) {
    public static final int DEFAULT_PORT = 8080;
    public static final int DEFAULT_BODY_TIMEOUT_SECONDS = 30;
    public static final int DEFAULT_HEADER_TIMEOUT_SECONDS = 10;
    public static final Duration DEFAULT_BODY_TIMEOUT = Duration.ofSeconds(DEFAULT_BODY_TIMEOUT_SECONDS);
    public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(DEFAULT_HEADER_TIMEOUT_SECONDS);

    public HttpApiConfig(int port, int maxBodyBytes, long maxInFlightBodyBytes, List<String> imageHosts,
                         Duration fetchTimeout, boolean explorer) {
        this(port, maxBodyBytes, maxInFlightBodyBytes, imageHosts, fetchTimeout, explorer, DEFAULT_BODY_TIMEOUT,
                DEFAULT_HEADER_TIMEOUT);
    }
    public static final int DEFAULT_MAX_BODY_BYTES = 32 << 20;
    public static final long DEFAULT_MAX_IN_FLIGHT_BODY_BYTES = 48L << 20;

    public HttpApiConfig {
        imageHosts = imageHosts.stream().map(h -> h.strip().toLowerCase(Locale.ROOT)).filter(h -> !h.isEmpty()).toList();
        if (maxBodyBytes < 1024) {
            throw new IllegalArgumentException("the HTTP body limit must be at least 1024 bytes, got " + maxBodyBytes);
        }
        if (bodyTimeout.isNegative() || bodyTimeout.isZero() || headerTimeout.isNegative() || headerTimeout.isZero()) {
            throw new IllegalArgumentException("the HTTP body and header timeouts must be positive");
        }
        if (maxInFlightBodyBytes < maxBodyBytes) {
            throw new IllegalArgumentException("HTTP bodies in flight (" + maxInFlightBodyBytes + " bytes) must hold at"
                    + " least one largest body (" + maxBodyBytes + " bytes)");
        }
    }

    public static HttpApiConfig defaults(int port) {
        return new HttpApiConfig(port, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_IN_FLIGHT_BODY_BYTES, List.of(),
                Duration.ofSeconds(10), true);
    }

    public HttpApiConfig withImageHosts(List<String> hosts) {
        return new HttpApiConfig(port, maxBodyBytes, maxInFlightBodyBytes, hosts, fetchTimeout, explorer, bodyTimeout,
                headerTimeout);
    }

    public HttpApiConfig withPort(int p) {
        return new HttpApiConfig(p, maxBodyBytes, maxInFlightBodyBytes, imageHosts, fetchTimeout, explorer, bodyTimeout,
                headerTimeout);
    }

    public HttpApiConfig withTimeouts(Duration body, Duration headers) {
        return new HttpApiConfig(port, maxBodyBytes, maxInFlightBodyBytes, imageHosts, fetchTimeout, explorer, body, headers);
    }
}
