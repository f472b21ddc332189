package io.glimpse.gateway.http;

import io.glimpse.gateway.auth.ApiKey;
import io.glimpse.gateway.auth.ApiKeys;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.RequestLog;
import org.eclipse.jetty.server.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One access-log line per HTTP request the gateway answers, including those Jetty or the body gate
 * refuse before the API sees them (400, 408, 413, 429, 431): method, path, status, bytes sent,
 * duration, the request id and the key's id (never the key). The in-process gRPC call an API
 * request makes is not logged again.
 */
final class HttpAccessLog implements RequestLog {
    private static final Logger ACCESS = LoggerFactory.getLogger("glimpse.access");

    private final ApiKeys keys;
    private final MeterRegistry meters;

    /** @param keys the gateway's API keys, to name the caller's key; null when the API is open */
    HttpAccessLog(ApiKeys keys, MeterRegistry meters) {
        this.keys = keys;
        this.meters = meters;
    }

    @Override
    public void log(Request request, Response response) {
        String key = keyId(request.getHeaders().get(HttpHeader.AUTHORIZATION));
        int status = response.getStatus();
        String path = request.getHttpURI() == null ? "-" : request.getHttpURI().getPath();
        String route = path == null ? "other" : switch (path) {
            case "/v1/chat/completions", "/v1/models" -> path;
            default -> path.startsWith("/v1/models/") ? "/v1/models/{id}" : "other";
        };
        Counter.builder("glimpse.gateway.requests").tag("key", key).tag("method", request.getMethod() + " " + route)
                .tag("status", Integer.toString(status)).register(meters).increment();
        if (ACCESS.isInfoEnabled()) {
            Object id = request.getAttribute(BodyGate.REQUEST_ID);
            ACCESS.info("key={} http={} {} status={} bytes={} latency_ms={} request_id={}", key, request.getMethod(),
                    path == null ? "-" : path.length() > 200 ? path.substring(0, 200) + "..." : path, status,
                    Response.getContentBytesWritten(response),
                    String.format("%.1f", (System.nanoTime() - request.getBeginNanoTime()) / 1e6), id == null ? "-" : id);
        }
    }

    private String keyId(String authorization) {
        if (keys == null || authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return "-";
        }
        ApiKey k = keys.authenticate(authorization.substring(7).strip());
        return k == null ? "-" : k.id();
    }
}
