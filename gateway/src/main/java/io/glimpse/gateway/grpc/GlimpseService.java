package io.glimpse.gateway.grpc;

import io.glimpse.common.admission.BoundedAdmission;
import io.glimpse.common.admission.ByteBudget;
import io.glimpse.common.grpc.StatusMapping;
import io.glimpse.gateway.chain.GatewayLimits;
import io.glimpse.proto.v1.AskEvent;
import io.glimpse.proto.v1.AskRequest;
import io.glimpse.proto.v1.AskResponse;
import io.glimpse.proto.v1.GlimpseGrpc;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** The public {@code Glimpse} API. */
public final class GlimpseService extends GlimpseGrpc.GlimpseImplBase {
    private static final ScheduledExecutorService DEADLINES = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gateway-deadlines");
        t.setDaemon(true);
        return t;
    });

    private final AskChain chain;
    private final GatewayLimits limits;
    private final BoundedAdmission admission;
    private final ByteBudget bytes;

    public GlimpseService(Backends backends, GatewayLimits limits, BoundedAdmission admission, ByteBudget bytes) {
        this.chain = new AskChain(backends, limits);
        this.limits = limits;
        this.admission = admission;
        this.bytes = bytes;
    }

    @Override
    public void ask(AskRequest request, StreamObserver<AskResponse> out) {
        try {
            chain.validate(request);
            AskResponse r;
            try (BoundedAdmission.Permit held = bytes.reserve(request.getSerializedSize(), admission.retryAfter());
                 BoundedAdmission.Permit ignored = admission.admit(() -> !Context.current().isCancelled())) {
                r = withDefaultDeadline(() -> chain.run(request, null));
            }
            out.onNext(r);
            out.onCompleted();
        } catch (Throwable t) {
            out.onError(StatusMapping.toStatus(t));
        }
    }

    @Override
    public void askStream(AskRequest request, StreamObserver<AskEvent> responses) {
        ServerCallStreamObserver<AskEvent> out = (ServerCallStreamObserver<AskEvent>) responses;
        out.setOnCancelHandler(() -> { });   // the context's cancellation stops the backends
        try {
            chain.validate(request);
            AskResponse r;
            try (BoundedAdmission.Permit held = bytes.reserve(request.getSerializedSize(), admission.retryAfter());
                 BoundedAdmission.Permit ignored = admission.admit(() -> !Context.current().isCancelled())) {
                r = withDefaultDeadline(() -> chain.run(request, delta -> {
                    if (!out.isCancelled()) {
                        out.onNext(AskEvent.newBuilder().setDelta(delta).build());
                    }
                }));
            }
            out.onNext(AskEvent.newBuilder().setDone(r).build());
            out.onCompleted();
        } catch (Throwable t) {
            if (!out.isCancelled()) {
                out.onError(StatusMapping.toStatus(t));
            }
        }
    }

    /** Calls without a deadline get the configured default, so no backend call can hang forever. */
    private <T> T withDefaultDeadline(Callable<T> body) throws Exception {
        if (Context.current().getDeadline() != null) {
            return body.call();
        }
        Context.CancellableContext ctx = Context.current().withDeadline(
                Deadline.after(limits.defaultDeadline().toMillis(), TimeUnit.MILLISECONDS), DEADLINES);
        try {
            return ctx.call(body);
        } finally {
            ctx.cancel(null);
        }
    }
}
