package io.glimpse.app;

import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.common.metrics.MetricsEndpoint;
import io.glimpse.common.metrics.ProcessMetrics;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.common.server.GracefulShutdown;
import io.glimpse.common.server.RpcMetricsInterceptor;
import io.glimpse.common.server.ServerConfig;
import io.glimpse.common.server.ServiceHost;
import io.glimpse.gateway.GatewayServer;
import io.grpc.ServerInterceptor;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.glimpse.pruner.PrunerServer;
import io.glimpse.runner.RunnerServer;
import io.glimpse.tokenizer.TokenizerServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code glimpse serve tokenizer|pruner|runner|gateway|all}. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run one service, or all four in one JVM chained over loopback gRPC.")
final class ServeCommand implements Callable<Integer> {
    enum Service { tokenizer, pruner, runner, gateway, all }

    @Parameters(index = "0", description = "tokenizer | pruner | runner | gateway | all")
    Service service;

    @Mixin
    ModelOptions model;

    @Mixin
    ServerOptions server;

    @Mixin
    TokenizerOptions tokenizer;

    @Mixin
    PrunerOptions pruner;

    @Mixin
    RunnerOptions runner;

    @Mixin
    GatewayOptions gateway;

    /** Every service's typed config from the flags (and their environment variables): the one source for 'serve X' and 'serve all'. */
    EmbeddedStack.Services services(ModelBundle bundle, OrtSessionFactory sessions) {
        ServerConfig s = server.config();
        return new EmbeddedStack.Services(tokenizer.config(bundle, sessions, server), pruner.config(bundle, sessions, server),
                runner.config(bundle, sessions, server), gateway.limits(server, runner), s.withReflection(gateway.reflection),
                gateway.access(runner), gateway.http());
    }

    void checkExposure() {
        server.checkExposure();
    }

    @Override
    public Integer call() throws Exception {
        checkExposure();
        io.glimpse.common.server.StaleNativeExtractions.clean();   // what earlier crashes left in /tmp
        if (System.getenv("GLIMPSE_ACCESS_LOG_LEVEL") == null) {   // a server logs every call; one-shot commands do not
            ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("glimpse.access"))
                    .setLevel(ch.qos.logback.classic.Level.INFO);
        }
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ProcessMetrics.bind(meters);
        MetricsEndpoint metrics = server.metrics(meters);
        List<ServerInterceptor> interceptors = List.of(new RpcMetricsInterceptor(meters, service.name()));
        ModelBundle bundle = service == Service.gateway ? null : model.openBundle();
        OrtSessionFactory sessions = service == Service.gateway ? null : model.sessions();
        EmbeddedStack.Services c = services(bundle, sessions);
        ServiceHost host = switch (service) {
            case tokenizer -> TokenizerServer.start(c.tokenizer(), interceptors, meters);
            case pruner -> PrunerServer.start(c.pruner(), interceptors, meters);
            case runner -> RunnerServer.start(c.runner(), interceptors, meters).host();
            case gateway -> GatewayServer.start(new GatewayServer.Config(gateway.targets(), c.gateway(), c.gatewayServer(),
                    gateway.discovery(), c.access(), gateway.backendTls(server), c.http()), interceptors, meters);
            case all -> null;
        };
        if (metrics != null) {
            if (host != null) {
                host.onClose(metrics);
            }
            System.err.println("glimpse: metrics on " + metrics.url());
        }
        if (host == null) {
            EmbeddedStack stack = EmbeddedStack.start(c, EmbeddedStack.Transport.LOOPBACK, server.port, meters);
            GracefulShutdown.onSignal("glimpse", stack::close);
            System.err.println("glimpse: all services up; gateway on " + server.bind + ":" + stack.gatewayPort()
                    + " (backends on loopback)" + (stack.http() == null ? ""
                    : "; HTTP API and explorer on " + stack.http().url(server.bind)));
            stack.awaitTermination();
            return 0;
        }
        host.closeOnShutdown();
        System.err.println("glimpse: " + service + " up on " + host.describe() + (GatewayServer.http(host) == null ? ""
                : "; HTTP API and explorer on " + GatewayServer.http(host).url(server.bind)));
        host.awaitTermination();
        return 0;
    }
}
