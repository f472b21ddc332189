package io.glimpse.gateway.grpc;

import io.glimpse.gateway.auth.AccessPolicy;
import io.glimpse.proto.v1.AskRequest;
import io.glimpse.proto.v1.AskResponse;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.inprocess.InProcessSocketAddress;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One access-log line and one {@code glimpse_gateway_requests_total} count for every call the
 * gateway answers, refused or not: it sits outside the key check, so an unauthenticated call is
 * logged like any other. The service adds what it learns (key, policy, tokens) to the call's
 * {@link AccessRecord}; no secret and, unless asked for, no question text is written. Calls the
 * gateway's own HTTP face makes in-process are logged there, as HTTP requests, instead.
 */
public final class AccessLogInterceptor implements ServerInterceptor {
    static final Logger ACCESS = LoggerFactory.getLogger("glimpse.access");
    /** Set by the HTTP face on its in-process calls: that face writes the request's line. */
    public static final Metadata.Key<String> LOGGED_BY = Metadata.Key.of("glimpse-logged-by", Metadata.ASCII_STRING_MARSHALLER);
    static final Context.Key<AccessRecord> RECORD = Context.key("glimpse-access-record");

    private final MeterRegistry meters;
    private final AccessPolicy access;

    public AccessLogInterceptor(MeterRegistry meters, AccessPolicy access) {
        this.meters = meters;
        this.access = access;
    }

    /** What one call did, filled in as the gateway learns it. */
    static final class AccessRecord {
        volatile String key = "-";
        volatile AskRequest request;
        volatile AskResponse response;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        boolean loggedElsewhere = headers.get(LOGGED_BY) != null
                && call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR) instanceof InProcessSocketAddress;
        String method = call.getMethodDescriptor().getBareMethodName();
        AccessRecord record = new AccessRecord();
        long start = System.nanoTime();
        AtomicBoolean done = new AtomicBoolean();
        Runnable[] finish = new Runnable[1];
        ServerCall<Q, R> logged = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                if (done.compareAndSet(false, true) && !loggedElsewhere) {
                    write(method, record, status.getCode().name(), (System.nanoTime() - start) / 1e6);
                }
                super.close(status, trailers);
            }
        };
        finish[0] = () -> {
            if (done.compareAndSet(false, true) && !loggedElsewhere) {   // the client left before an answer
                write(method, record, Status.Code.CANCELLED.name(), (System.nanoTime() - start) / 1e6);
            }
        };
        ServerCall.Listener<Q> listener = Contexts.interceptCall(Context.current().withValue(RECORD, record), logged, headers, next);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onCancel() {
                finish[0].run();
                super.onCancel();
            }
        };
    }

    private void write(String method, AccessRecord r, String status, double ms) {
        Counter.builder("glimpse.gateway.requests").tag("key", r.key).tag("method", method).tag("status", status)
                .register(meters).increment();
        if (!ACCESS.isInfoEnabled()) {
            return;
        }
        AskRequest q = r.request;
        AskResponse a = r.response;
        if (q == null) {
            ACCESS.info("key={} method={} status={} latency_ms={}", r.key, method, status, String.format("%.1f", ms));
            return;
        }
        ACCESS.info("key={} method={} policy={} images={} visual_tokens={}->{} generated={} status={} latency_ms={}{}",
                r.key, method, AskCost.summary(q), q.getImagesCount(),
                a == null ? "-" : a.getUsage().getVisualTokensFull(), a == null ? "-" : a.getUsage().getVisualTokensUsed(),
                a == null ? "-" : a.getUsage().getGeneratedTokens(), status, String.format("%.1f", ms),
                access.logQuestions() ? " question=\"" + q.getQuestion().replace("\"", "'") + "\"" : "");
    }
}
