package io.glimpse.gateway.grpc;

import io.glimpse.common.admission.BoundedAdmission;
import io.glimpse.common.admission.ByteBudget;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.grpc.StatusMapping;
import io.glimpse.gateway.auth.AccessPolicy;
import io.glimpse.gateway.auth.ApiKey;
import io.glimpse.gateway.auth.Quotas;
import io.glimpse.gateway.chain.GatewayLimits;
import io.glimpse.gateway.chain.NarrowStageLimit;
import io.glimpse.proto.v1.AskEvent;
import io.glimpse.proto.v1.AskRequest;
import io.glimpse.proto.v1.AskResponse;
import io.glimpse.proto.v1.DescribeRequest;
import io.glimpse.proto.v1.ServiceInfo;
import io.glimpse.proto.v1.GlimpseGrpc;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The public {@code Glimpse} API. Each call is validated, checked against its key's features and
 * quotas, admitted (in-flight calls and bytes), run through the chain and charged what it spent;
 * {@link AccessLogInterceptor} writes its access-log line.
 */
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
    private final AccessPolicy access;
    private final Quotas quotas = new Quotas();
    private final MeterRegistry meters;

    private final NarrowStageLimit narrow;

    /** @param narrow the in-flight limit learned from the backends' load refusals */
    public GlimpseService(Backends backends, GatewayLimits limits, BoundedAdmission admission, ByteBudget bytes,
                          AccessPolicy access, MeterRegistry meters, NarrowStageLimit narrow) {
        this.narrow = narrow;
        this.chain = new AskChain(backends, limits, narrow);
        this.limits = limits;
        this.admission = admission;
        this.bytes = bytes;
        this.access = access;
        this.meters = meters;
    }

    @Override
    public void ask(AskRequest request, StreamObserver<AskResponse> out) {
        try {
            out.onNext(serve(request, null));
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
            AskResponse r = serve(request, delta -> {
                if (!out.isCancelled()) {
                    out.onNext(AskEvent.newBuilder().setDelta(delta).build());
                }
            });
            out.onNext(AskEvent.newBuilder().setDone(r).build());
            out.onCompleted();
        } catch (Throwable t) {
            if (!out.isCancelled()) {
                out.onError(StatusMapping.toStatus(t));
            }
        }
    }

    /** Unauthenticated callers are refused by the key interceptor like any other call. */
    @Override
    public void describe(DescribeRequest request, StreamObserver<ServiceInfo> out) {
        try {
            out.onNext(withDefaultDeadline(() -> ServiceDescription.of(chain.describeTokenizer(), limits, access)));
            out.onCompleted();
        } catch (Throwable t) {
            out.onError(StatusMapping.toStatus(t));
        }
    }

    private AskResponse serve(AskRequest request, Consumer<String> deltas) throws Exception {
        ApiKey key = ApiKeyInterceptor.KEY.get();
        AccessLogInterceptor.AccessRecord record = AccessLogInterceptor.RECORD.get();
        if (record != null) {
            record.key = key == null ? "-" : key.id();
            record.request = request;
        }
        AskResponse r;
        try {
            chain.validate(request);
            if (key != null && request.getGeneration().getMinNewTokens() > access.minNewTokensCap()
                    && !key.allows(AccessPolicy.MIN_NEW_TOKENS)) {
                throw new GlimpseException(GlimpseException.Kind.PERMISSION_DENIED, "min_new_tokens "
                        + request.getGeneration().getMinNewTokens() + " is above " + access.minNewTokensCap()
                        + "; key " + key.id() + " is not allowed " + AccessPolicy.MIN_NEW_TOKENS);
            }
            Quotas.Charge charge = key == null ? null : quotas.admit(key, AskCost.reserved(request, access));
            try (BoundedAdmission.Permit held = bytes.reserve(request.getSerializedSize(), admission.retryAfter());
                 BoundedAdmission.Permit ignored = admission.admit(() -> !Context.current().isCancelled());
                 BoundedAdmission.Permit chainSlot = narrowSlot()) {
                chain.checkPositions(request, access.defaultMaxNewTokens());
                if (charge != null) {
                    Quotas.Charge c = charge;
                    charge = null;
                    r = withDefaultDeadline(() -> chain.run(request, deltas));
                    c.settle(AskCost.spent(r, access));
                } else {
                    r = withDefaultDeadline(() -> chain.run(request, deltas));
                }
                if (record != null) {
                    record.response = r;
                }
                return r;
            } finally {
                if (charge != null) {   // refused at admission: nothing was spent
                    charge.settle(0);
                }
            }
        } catch (Throwable t) {
            // mapped once here: an unexpected failure gets one error id, in the log and in the reply
            throw StatusMapping.toStatus(t);
        }
    }

    /** A place in the chain under the limit the narrowest stage has shown; refused at once beyond it. */
    private BoundedAdmission.Permit narrowSlot() {
        if (!narrow.tryAcquire()) {
            throw GlimpseException.exhausted("gateway: at its backends' capacity: " + narrow.narrowest() + " took "
                    + narrow.limit() + " of this gateway's calls at once; retry in " + admission.retryAfter().toMillis()
                    + " ms or add " + narrow.narrowest() + " replicas", admission.retryAfter());
        }
        return narrow::release;
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
