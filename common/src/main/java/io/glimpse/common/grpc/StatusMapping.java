package io.glimpse.common.grpc;

import io.glimpse.common.error.GlimpseException;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.UUID;

/**
 * Domain failures -> gRPC statuses, the one place each service's grpc layer uses. Load refusals
 * carry {@code grpc-retry-pushback-ms} (the trailer gRPC's own retry policy honours); unexpected
 * failures reach the caller as a generic INTERNAL with an error id, the detail only in the log.
 */
public final class StatusMapping {
    private static final Logger LOG = LoggerFactory.getLogger(StatusMapping.class);
    public static final Metadata.Key<String> RETRY_PUSHBACK =
            Metadata.Key.of("grpc-retry-pushback-ms", Metadata.ASCII_STRING_MARSHALLER);

    private StatusMapping() {
    }

    public static StatusRuntimeException toStatus(Throwable t) {
        if (t instanceof StatusRuntimeException s) {
            return s;
        }
        Context ctx = Context.current();
        boolean expired = ctx.getDeadline() != null && ctx.getDeadline().isExpired();
        if (t instanceof GlimpseException g) {
            Status code = switch (g.kind()) {
                case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
                case RESOURCE_EXHAUSTED -> Status.RESOURCE_EXHAUSTED;
                case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
                case DEADLINE_EXCEEDED -> Status.DEADLINE_EXCEEDED;
                case CANCELLED -> expired ? Status.DEADLINE_EXCEEDED : Status.CANCELLED;
                case UNAVAILABLE -> Status.UNAVAILABLE;
                case UNIMPLEMENTED -> Status.UNIMPLEMENTED;
                case PERMISSION_DENIED -> Status.PERMISSION_DENIED;
                case INTERNAL -> null;
            };
            if (code == null) {
                return internal(t);
            }
            return code.withDescription(g.getMessage()).asRuntimeException(trailers(g.retryAfter()));
        }
        if (expired) {
            return Status.DEADLINE_EXCEEDED.withDescription("deadline expired while serving the call").asRuntimeException();
        }
        if (ctx.isCancelled()) {
            return Status.CANCELLED.withDescription("call cancelled by the client").asRuntimeException();
        }
        return internal(t);
    }

    private static StatusRuntimeException internal(Throwable t) {
        String id = UUID.randomUUID().toString().substring(0, 8);
        LOG.error("internal error {}: {}", id, t.toString(), t);
        return Status.INTERNAL.withDescription("internal error (id " + id + "); the service log has the detail under this id")
                .asRuntimeException();
    }

    private static Metadata trailers(Duration retryAfter) {
        Metadata m = new Metadata();
        if (retryAfter != null) {
            m.put(RETRY_PUSHBACK, Long.toString(retryAfter.toMillis()));
        }
        return m;
    }

    /** The retry-after hint a status carries, or null. */
    public static Duration retryAfter(Throwable t) {
        Metadata m = Status.trailersFromThrowable(t);
        String v = m == null ? null : m.get(RETRY_PUSHBACK);
        try {
            return v == null ? null : Duration.ofMillis(Long.parseLong(v));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * Prefixes a backend's status description with the stage that failed, keeping its code and
     * trailers. Statuses the transport makes (UNAVAILABLE, DEADLINE_EXCEEDED, UNKNOWN, ...) describe
     * connections — replica addresses, {@code remote_addr=...}: the caller gets the stage and what
     * happened, and the description goes to the log under an error id.
     */
    public static StatusRuntimeException fromStage(String stage, Throwable t) {
        Status s = Status.fromThrowable(t);
        String detail = s.getDescription() == null ? s.getCode().toString() : s.getDescription();
        if (!speaksForItself(s)) {
            String id = UUID.randomUUID().toString().substring(0, 8);
            LOG.warn("{} failed: {} {} (error id {})", stage, s.getCode(), detail, id);
            detail = switch (s.getCode()) {
                case UNAVAILABLE -> "unavailable (connection lost or refused)";
                case DEADLINE_EXCEEDED -> "deadline exceeded";
                case CANCELLED -> "cancelled";
                default -> s.getCode().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
            } + " (error id " + id + "; the gateway log has the detail)";
        }
        Metadata trailers = Status.trailersFromThrowable(t);
        Metadata kept = new Metadata();
        if (trailers != null && trailers.get(RETRY_PUSHBACK) != null) {
            kept.put(RETRY_PUSHBACK, trailers.get(RETRY_PUSHBACK));
        }
        return s.withDescription(stage + ": " + detail).withCause(null).asRuntimeException(kept);
    }

    /**
     * Codes only a service's own validation or admission produces, whose descriptions were written
     * for the caller; and a service's own internal error, which carries its error id and nothing else.
     */
    private static boolean speaksForItself(Status s) {
        return switch (s.getCode()) {
            case INVALID_ARGUMENT, RESOURCE_EXHAUSTED, FAILED_PRECONDITION, PERMISSION_DENIED, UNIMPLEMENTED,
                    OUT_OF_RANGE, NOT_FOUND, ALREADY_EXISTS, UNAUTHENTICATED, ABORTED -> true;
            case INTERNAL -> s.getDescription() != null && s.getDescription().startsWith("internal error (id ")
                    && s.getDescription().indexOf(':') < 0;
            default -> false;
        };
    }
}
