package io.glimpse.runner;

import io.glimpse.model.bundle.BundleValidator;

import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.common.server.ServerConfig;
import io.glimpse.common.server.ServiceHost;
import io.glimpse.runner.engine.RunnerLimits;
import io.glimpse.runner.engine.VlmEngine;
import io.glimpse.runner.grpc.VlmRunnerService;
import io.glimpse.common.admission.BoundedAdmission;
import io.grpc.ServerInterceptor;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.util.List;

/** Wiring of the vlm-runner service; tests and {@code glimpse serve} both use {@link #start}. */
public final class RunnerServer {
    public record Config(ModelBundle bundle, OrtSessionFactory sessions, RunnerLimits limits, ServerConfig server) {
        public Config withServer(ServerConfig s) {
            return new Config(bundle, sessions, limits, s);
        }
    }

    /** A started runner and its engine (tests look at the engine's counters). */
    public record Running(ServiceHost host, VlmEngine engine) {
    }

    private RunnerServer() {
    }

    public static Running start(Config c, List<ServerInterceptor> interceptors) {
        return start(c, interceptors, new SimpleMeterRegistry());
    }

    public static Running start(Config c, List<ServerInterceptor> interceptors, MeterRegistry meters) {
        BundleValidator.require(c.bundle(), BundleValidator.Part.LANGUAGE);
        VlmEngine engine = new VlmEngine(c.bundle(), c.sessions(), c.limits());
        ServiceHost host = ServiceHost.start("vlm-runner",
                c.server().withHandlerThreadsFor(c.limits().maxConcurrent(), c.limits().maxQueued()), List.of(new VlmRunnerService(engine, meters)), interceptors);
        // the gpu overlay's autoscaler scales the runner on this (prometheus-adapter, docs/deploy.md)
        Gauge.builder("glimpse.runner.queue.depth", engine.admission(), BoundedAdmission::queued).register(meters);
        Gauge.builder("glimpse.runner.in.flight", engine.admission(), BoundedAdmission::inFlight).register(meters);
        host.onClose(engine);
        engine.warmUp();
        host.markReady();
        return new Running(host, engine);
    }
}
