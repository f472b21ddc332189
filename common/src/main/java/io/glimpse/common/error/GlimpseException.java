package io.glimpse.common.error;

/**
 * A failure the caller can act on. Domain code throws it with a {@link Kind}; each service's grpc
 * layer turns the kind into the matching gRPC status, so domain code never imports io.grpc.
 */
public class GlimpseException extends RuntimeException {
    public enum Kind {
        INVALID_ARGUMENT, RESOURCE_EXHAUSTED, FAILED_PRECONDITION, DEADLINE_EXCEEDED, CANCELLED, UNAVAILABLE,
        UNIMPLEMENTED, INTERNAL
    }

    private final Kind kind;

    public GlimpseException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public GlimpseException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
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

    public static GlimpseException cancelled(String message) {
        return new GlimpseException(Kind.CANCELLED, message);
    }
}
