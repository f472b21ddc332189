package io.glimpse.app;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.glimpse.common.metrics.MetricsEndpoint;
import io.glimpse.common.server.RpcMetricsInterceptor;
import io.glimpse.common.server.ServerConfig;
import io.glimpse.common.server.ServiceHost;
import io.glimpse.gateway.GatewayMain;
import io.glimpse.gateway.chain.BackendTargets;
import io.glimpse.gateway.chain.GatewayLimits;
import io.glimpse.gateway.discovery.BackendDiscovery;
import io.glimpse.gateway.discovery.KubernetesDiscovery;
import io.glimpse.gateway.discovery.StaticDiscovery;
import io.grpc.ServerInterceptor;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.glimpse.pruner.PrunerMain;
import io.glimpse.runner.RunnerMain;
import io.glimpse.runner.engine.RunnerLimits;
import io.glimpse.tokenizer.TokenizerMain;
import io.glimpse.tokenizer.encode.ImageTokenizerEngine;
import io.glimpse.tokenizer.image.ImageLimits;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;
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

    @Option(names = "--port", defaultValue = "${env:GLIMPSE_PORT:-50051}", description = "TCP port (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--max-message-bytes", defaultValue = "${env:GLIMPSE_MAX_MESSAGE_BYTES:-33554432}")
    int maxMessageBytes;

    @Option(names = "--drain-seconds", defaultValue = "${env:GLIMPSE_DRAIN_SECONDS:-20}",
            description = "On SIGTERM: NOT_SERVING, then in-flight calls get this long to finish.")
    int drainSeconds;

    @Option(names = "--tokenizer-target", defaultValue = "${env:GLIMPSE_TOKENIZER_TARGET:-localhost:50052}")
    String tokenizerTarget;

    @Option(names = "--pruner-target", defaultValue = "${env:GLIMPSE_PRUNER_TARGET:-localhost:50053}")
    String prunerTarget;

    @Option(names = "--runner-target", defaultValue = "${env:GLIMPSE_RUNNER_TARGET:-localhost:50054}")
    String runnerTarget;

    @Option(names = "--max-images", defaultValue = "${env:GLIMPSE_MAX_IMAGES:-8}")
    int maxImages;

    @Option(names = "--max-pixels", defaultValue = "${env:GLIMPSE_MAX_PIXELS:-40000000}",
            description = "Largest image (width x height) the tokenizer decodes.")
    long maxPixels;

    @Option(names = "--metrics-port", defaultValue = "${env:GLIMPSE_METRICS_PORT:-0}",
            description = "Prometheus metrics at http://HOST:PORT/metrics (0 = off, the default; the manifests use 9090).")
    int metricsPort;

    @Option(names = "--discovery", defaultValue = "${env:GLIMPSE_DISCOVERY:-static}",
            description = "Gateway: how backend replicas are found: static (the targets are host:port[,host:port...]), "
                    + "kubernetes (watch the EndpointSlices of the Services the targets name), dns (gRPC's DNS resolver).")
    String discovery;

    @Option(names = "--namespace", defaultValue = "${env:GLIMPSE_NAMESPACE:-}",
            description = "Gateway with kubernetes discovery: the backends' namespace (default: the pod's own).")
    String namespace;

    @Option(names = "--encoder-max-batch", defaultValue = "${env:GLIMPSE_ENCODER_MAX_BATCH:-1}",
            description = "Tokenizer: images per vision-encoder run across concurrent requests (1 = no batching, the default: it does not pay on CPU, docs/tokenization.md).")
    int encoderMaxBatch;

    @Option(names = "--encoder-max-wait-micros", defaultValue = "${env:GLIMPSE_ENCODER_MAX_WAIT_MICROS:-2000}",
            description = "Tokenizer: longest a request waits for others to join its encoder batch.")
    long encoderMaxWaitMicros;

    @Option(names = "--max-new-tokens-cap", defaultValue = "${env:GLIMPSE_MAX_NEW_TOKENS_CAP:-256}")
    int maxNewTokensCap;

    @Option(names = "--max-concurrent", defaultValue = "${env:GLIMPSE_MAX_CONCURRENT:-2}",
            description = "Runner: generations at once.")
    int maxConcurrent;

    @Option(names = "--max-queued", defaultValue = "${env:GLIMPSE_MAX_QUEUED:-32}",
            description = "Runner: generations waiting; beyond it RESOURCE_EXHAUSTED.")
    int maxQueued;

    /** The gateway's backend discovery; null = gRPC's DNS resolver. */
    private BackendDiscovery discovery() {
        return switch (discovery.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "static" -> new StaticDiscovery();
            case "dns" -> null;
            case "kubernetes" -> {
                KubernetesClient client = new KubernetesClientBuilder().build();
                String ns = namespace == null || namespace.isBlank() ? client.getNamespace() : namespace;
                yield new KubernetesDiscovery(client, ns == null ? "default" : ns);
            }
            default -> throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--discovery must be static, kubernetes or dns, got " + discovery);
        };
    }

    @Override
    public Integer call() throws Exception {
        ServerConfig server = new ServerConfig(port, null, maxMessageBytes, Duration.ofSeconds(30),
                Duration.ofSeconds(10), Duration.ofSeconds(drainSeconds));
        RunnerLimits runnerLimits = new RunnerLimits(maxNewTokensCap, Math.min(32, maxNewTokensCap), 2000, maxImages,
                maxConcurrent, maxQueued);
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        MetricsEndpoint metrics = metricsPort > 0 ? MetricsEndpoint.start(meters, metricsPort) : null;
        List<ServerInterceptor> interceptors = List.of(new RpcMetricsInterceptor(meters, service.name()));
        ServiceHost host = switch (service) {
            case tokenizer -> TokenizerMain.start(new TokenizerMain.Config(model.openBundle(), model.sessions(),
                    new ImageLimits(maxMessageBytes, maxPixels, 8), maxImages, 4, 64,
                    new ImageTokenizerEngine.Batching(encoderMaxBatch, encoderMaxWaitMicros), server), interceptors, meters);
            case pruner -> PrunerMain.start(new PrunerMain.Config(maxImages, model.openBundle(), model.sessions(), server),
                    interceptors, meters);
            case runner -> RunnerMain.start(new RunnerMain.Config(model.openBundle(), model.sessions(), runnerLimits,
                    server), interceptors, meters).host();
            case gateway -> GatewayMain.start(new GatewayMain.Config(
                    new BackendTargets(tokenizerTarget, prunerTarget, runnerTarget),
                    new GatewayLimits(maxImages, maxMessageBytes, 2000, Duration.ofSeconds(60)), server, discovery()),
                    interceptors);
            case all -> null;
        };
        if (metrics != null) {
            if (host != null) {
                host.onClose(metrics);
            }
            System.err.println("glimpse: metrics on http://0.0.0.0:" + metrics.port() + "/metrics");
        }
        if (host == null) {
            EmbeddedStack stack = EmbeddedStack.start(model.openBundle(), model.sessions(),
                    EmbeddedStack.Transport.LOOPBACK, runnerLimits, port, meters);
            Runtime.getRuntime().addShutdownHook(new Thread(stack::close, "glimpse-shutdown"));
            System.err.println("glimpse: all services up; gateway on port " + stack.gatewayPort());
            stack.awaitTermination();
            return 0;
        }
        host.closeOnShutdown();
        System.err.println("glimpse: " + service + " up on " + host.describe());
        host.awaitTermination();
        return 0;
    }
}
