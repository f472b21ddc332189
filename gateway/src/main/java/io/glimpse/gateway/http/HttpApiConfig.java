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
 * @param maxInFlightBodyBytes request bodies held at once: beyond it 429, before a body is read.
 *                          A body costs about three times its size while it is parsed and decoded,
 *                          so the default (48 MiB, room for one largest body) bounds the HTTP side
 *                          at about 144 MiB of heap, which with the gRPC side fits the gateway's
 * @param imageHosts        hosts (or host:port) whose http(s) image URLs the gateway may fetch; empty =
 *                          images only as data: URIs — the gateway never fetches an arbitrary URL
 * @param fetchTimeout      connect + read time for one allowed remote image
 * @param explorer          serve the token explorer page at {@code /}
 */
public record HttpApiConfig(int port, int maxBodyBytes, long maxInFlightBodyBytes, List<String> imageHosts,
                            Duration fetchTimeout, boolean explorer) {
    public static final int DEFAULT_PORT = 8080;
    public static final int DEFAULT_MAX_BODY_BYTES = 32 << 20;
    public static final long DEFAULT_MAX_IN_FLIGHT_BODY_BYTES = 48L << 20;

    public HttpApiConfig {
        imageHosts = imageHosts.stream().map(h -> h.strip().toLowerCase(Locale.ROOT)).filter(h -> !h.isEmpty()).toList();
        if (maxBodyBytes < 1024) {
            throw new IllegalArgumentException("the HTTP body limit must be at least 1024 bytes, got " + maxBodyBytes);
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
        return new HttpApiConfig(port, maxBodyBytes, maxInFlightBodyBytes, hosts, fetchTimeout, explorer);
    }

    public HttpApiConfig withPort(int p) {
        return new HttpApiConfig(p, maxBodyBytes, maxInFlightBodyBytes, imageHosts, fetchTimeout, explorer);
    }
}
