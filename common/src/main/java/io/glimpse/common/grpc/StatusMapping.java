package io.glimpse.common.grpc;

import io.glimpse.common.error.GlimpseException;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Domain failures -> gRPC statuses, the one place each service's grpc layer uses. */
public final class StatusMapping {
    private static final Logger LOG = LoggerFactory.getLogger(StatusMapping.class);

    private StatusMapping() {
    }

    public static StatusRuntimeException toStatus(Throwable t) {
        if (t instanceof StatusRuntimeException s) {
            return s;
        }
        if (t instanceof GlimpseException g) {
            Status code = switch (g.kind()) {
                case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
                case RESOURCE_EXHAUSTED -> Status.RESOURCE_EXHAUSTED;
                case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
                case DEADLINE_EXCEEDED -> Status.DEADLINE_EXCEEDED;
                case CANCELLED -> Status.CANCELLED;
                case UNAVAILABLE -> Status.UNAVAILABLE;
                case UNIMPLEMENTED -> Status.UNIMPLEMENTED;
                case INTERNAL -> Status.INTERNAL;
            };
            return code.withDescription(g.getMessage()).withCause(g).asRuntimeException();
        }
        Context ctx = Context.current();
        if (ctx.getDeadline() != null && ctx.getDeadline().isExpired()) {
            return Status.DEADLINE_EXCEEDED.withDescription("deadline expired while serving the call").asRuntimeException();
        }
        if (ctx.isCancelled()) {
            return Status.CANCELLED.withDescription("call cancelled by the client").asRuntimeException();
        }
        LOG.error("unexpected failure", t);
        return Status.INTERNAL.withDescription("internal error: " + t).withCause(t).asRuntimeException();
    }

    /** Prefixes a backend's status description with the stage that failed, keeping its code. */
    public static StatusRuntimeException fromStage(String stage, Throwable t) {
        Status s = Status.fromThrowable(t);
        String detail = s.getDescription() == null ? s.getCode().toString() : s.getDescription();
        return s.withDescription(stage + ": " + detail).asRuntimeException();
    }
}
