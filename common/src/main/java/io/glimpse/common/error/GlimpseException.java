package io.glimpse.common.error;

import java.time.Duration;

/**
 * A failure the caller can act on. Domain code throws it with a {@link Kind}; each service's grpc
 * layer turns the kind into the matching gRPC status, so domain code never imports io.grpc.
 * Refusals for load carry a retry-after hint, which reaches the client in the status trailers.
 */
public class GlimpseException extends RuntimeException {
    public enum Kind {
        INVALID_ARGUMENT, RESOURCE_EXHAUSTED, FAILED_PRECONDITION, DEADLINE_EXCEEDED, CANCELLED, UNAVAILABLE,
        UNIMPLEMENTED, PERMISSION_DENIED, INTERNAL
    }

    private final Kind kind;
    private final Duration retryAfter;

    public GlimpseException(Kind kind, String message) {
        this(kind, message, null, null);
    }

    public GlimpseException(Kind kind, String message, Throwable cause) {
        this(kind, message, cause, null);
    }

    private GlimpseException(Kind kind, String message, Throwable cause, Duration retryAfter) {
        super(message, cause);
        this.kind = kind;
        this.retryAfter = retryAfter;
    }

    public Kind kind() {
        return kind;
    }

    /** When the caller may try again with a fair chance of success; null when not a load refusal. */
    public Duration retryAfter() {
        return retryAfter;
    }

    public static GlimpseException invalid(String message) {
        return new GlimpseException(Kind.INVALID_ARGUMENT, message);
    }

    public static GlimpseException precondition(String message) {
        return new GlimpseException(Kind.FAILED_PRECONDITION, message);
    }

    public static GlimpseException exhausted(String message) {
        return new GlimpseException(Kind.RESOURCE_EXHAUSTED, message);
    }

    public static GlimpseException exhausted(String message, Duration retryAfter) {
        return new GlimpseException(Kind.RESOURCE_EXHAUSTED, message, null, retryAfter);
    }

    public static GlimpseException unavailable(String message, Duration retryAfter) {
        return new GlimpseException(Kind.UNAVAILABLE, message, null, retryAfter);
    }

    public static GlimpseException cancelled(String message) {
        return new GlimpseException(Kind.CANCELLED, message);
    }
}
