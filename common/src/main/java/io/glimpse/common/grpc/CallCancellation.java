package io.glimpse.common.grpc;

import io.glimpse.common.cancel.Cancellation;
import io.grpc.Context;

/** The domain's {@link Cancellation} for the current gRPC call: set when the client cancels or the deadline passes. */
public final class CallCancellation {
    private CallCancellation() {
    }

    public static Cancellation current() {
        Cancellation c = new Cancellation();
        Context ctx = Context.current();
        ctx.addListener(x -> c.cancel(), Runnable::run);
        if (ctx.isCancelled()) {
            c.cancel();
        }
        return c;
    }
}
