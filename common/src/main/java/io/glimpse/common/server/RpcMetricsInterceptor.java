package io.glimpse.common.server;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Requests and latency per RPC and status ({@code glimpse_rpc_requests_total},
 * {@code glimpse_rpc_latency_seconds}) and calls in flight ({@code glimpse_rpc_in_flight}) of one service.
 */
public final class RpcMetricsInterceptor implements ServerInterceptor {
    private final MeterRegistry registry;
    private final String service;
    private final AtomicInteger inFlight = new AtomicInteger();

    public RpcMetricsInterceptor(MeterRegistry registry, String service) {
        this.registry = registry;
        this.service = service;
        registry.gauge("glimpse.rpc.in.flight", io.micrometer.core.instrument.Tags.of("service", service), inFlight);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        long start = System.nanoTime();
        inFlight.incrementAndGet();
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        ServerCall<Q, R> counted = new ForwardingServerCall.SimpleForwardingServerCall<Q, R>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                if (done.compareAndSet(false, true)) {
                    inFlight.decrementAndGet();
                    String code = status.getCode().name();
                    Counter.builder("glimpse.rpc.requests").tags("service", service, "method", method, "status", code)
                            .register(registry).increment();
                    Timer.builder("glimpse.rpc.latency").tags("service", service, "method", method, "status", code)
                            .publishPercentileHistogram().register(registry)
                            .record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
                }
                super.close(status, trailers);
            }
        };
        Runnable cancelled = () -> {
            if (done.compareAndSet(false, true)) {    // the client went away before the handler closed the call
                inFlight.decrementAndGet();
                Counter.builder("glimpse.rpc.requests").tags("service", service, "method", method, "status", "CANCELLED")
                        .register(registry).increment();
            }
        };
        ServerCall.Listener<Q> listener = next.startCall(counted, headers);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onCancel() {
                cancelled.run();
                super.onCancel();
            }
        };
    }
}
