package io.glimpse.gateway.http;

import io.glimpse.common.grpc.StatusMapping;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * A gRPC status from the gateway's own API as an HTTP error. The message is the status
 * description the gRPC client would see; the gRPC code travels in {@code error.code}.
 */
final class GrpcErrors {
    private GrpcErrors() {
    }

    static HttpApiException toHttp(StatusRuntimeException e) {
        Status s = e.getStatus();
        String message = s.getDescription() == null ? s.getCode().name().toLowerCase(java.util.Locale.ROOT) : s.getDescription();
        String code = s.getCode().name().toLowerCase(java.util.Locale.ROOT);
        long retryAfter = 0;
        String pushback = e.getTrailers() == null ? null : e.getTrailers().get(StatusMapping.RETRY_PUSHBACK);
        if (pushback != null) {
            try {
                retryAfter = Math.max(1, (Long.parseLong(pushback) + 999) / 1000);
            } catch (NumberFormatException ignored) {
                // a malformed hint is no hint
            }
        }
        return switch (s.getCode()) {
            case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE ->
                    new HttpApiException(400, "invalid_request_error", message, null, code, 0);
            case UNAUTHENTICATED -> new HttpApiException(401, "authentication_error", message, null, code, 0);
            case PERMISSION_DENIED -> new HttpApiException(403, "permission_error", message, null, code, 0);
            case NOT_FOUND -> new HttpApiException(404, "not_found_error", message, null, code, 0);
            case RESOURCE_EXHAUSTED -> new HttpApiException(429, "rate_limit_error", message, null, code, retryAfter);
            case DEADLINE_EXCEEDED -> new HttpApiException(504, "timeout_error", message, null, code, 0);
            case UNAVAILABLE -> new HttpApiException(503, "service_unavailable_error", message, null, code,
                    Math.max(1, retryAfter));
            case CANCELLED -> new HttpApiException(499, "cancelled", message, null, code, 0);
            default -> new HttpApiException(500, "server_error", message, null, code, 0);
        };
    }
}
