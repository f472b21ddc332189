package io.glimpse.app;

import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.common.metrics.MetricsEndpoint;
import io.glimpse.common.metrics.ProcessMetrics;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.common.server.GracefulShutdown;
import io.glimpse.common.server.TlsFiles;
import io.glimpse.gateway.auth.AccessPolicy;
import io.glimpse.gateway.auth.ApiKeys;
import io.glimpse.gateway.auth.RequestCost;
import io.glimpse.common.server.RpcMetricsInterceptor;
import io.glimpse.common.server.ServerConfig;
import io.glimpse.common.server.ServiceHost;
import io.glimpse.gateway.GatewayServer;
import io.glimpse.gateway.chain.BackendTargets;
import io.glimpse.gateway.chain.GatewayLimits;
import io.glimpse.gateway.http.HttpApiConfig;
import io.glimpse.gateway.discovery.BackendDiscovery;
import io.grpc.ServerInterceptor;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.glimpse.pruner.PrunerServer;
import io.glimpse.runner.RunnerServer;
import io.glimpse.runner.engine.RunnerLimits;
import io.glimpse.tokenizer.TokenizerServer;
import io.glimpse.tokenizer.encode.ImageTokenizerEngine;
import io.glimpse.tokenizer.image.ImageLimits;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
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

    @Option(names = "--bind", defaultValue = "${env:GLIMPSE_BIND:-" + ServerConfig.LOOPBACK + "}",
            description = "Address to listen on (default ${DEFAULT-VALUE}, loopback only; 0.0.0.0 for every interface)."
                    + " In 'serve all' only the gateway binds here; the backends stay on loopback.")
    String bind;

    @Option(names = "--port", defaultValue = "${env:GLIMPSE_PORT:-50051}", description = "TCP port (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--max-message-bytes", defaultValue = "${env:GLIMPSE_MAX_MESSAGE_BYTES:-" + ServerConfig.DEFAULT_MAX_INBOUND_BYTES + "}",
            description = "Largest request message, and the cap per encoded image (default ${DEFAULT-VALUE}).")
    int maxMessageBytes;

    @Option(names = "--drain-seconds", defaultValue = "${env:GLIMPSE_DRAIN_SECONDS:-20}",
            description = "On SIGTERM: NOT_SERVING, then in-flight calls get this long to finish (default ${DEFAULT-VALUE}).")
    int drainSeconds;

    @Option(names = "--tokenizer-target", defaultValue = "${env:GLIMPSE_TOKENIZER_TARGET:-localhost:50052}")
    String tokenizerTarget;

    @Option(names = "--pruner-target", defaultValue = "${env:GLIMPSE_PRUNER_TARGET:-localhost:50053}")
    String prunerTarget;

    @Option(names = "--runner-target", defaultValue = "${env:GLIMPSE_RUNNER_TARGET:-localhost:50054}")
    String runnerTarget;

    @Option(names = "--max-images", defaultValue = "${env:GLIMPSE_MAX_IMAGES:-" + TokenizerServer.DEFAULT_MAX_IMAGES + "}",
            description = "Images per request, at every stage (default ${DEFAULT-VALUE}).")
    int maxImages;

    @Option(names = "--max-pixels", defaultValue = "${env:GLIMPSE_MAX_PIXELS:-" + ImageLimits.DEFAULT_MAX_PIXELS + "}",
            description = "Tokenizer: largest image (width x height) it decodes (default ${DEFAULT-VALUE}).")
    long maxPixels;

    @Option(names = "--max-request-pixels", defaultValue = "${env:GLIMPSE_MAX_REQUEST_PIXELS:-" + ImageLimits.DEFAULT_MAX_REQUEST_PIXELS + "}",
            description = "Tokenizer: pixels decoded per request, summed over its images (default ${DEFAULT-VALUE}).")
    long maxRequestPixels;

    @Option(names = "--metrics-port", defaultValue = "${env:GLIMPSE_METRICS_PORT:-0}",
            description = "Prometheus metrics at http(s)://METRICS_BIND:PORT/metrics (0 = off, the default; the manifests"
                    + " use 9090). HTTPS with the service's certificate when it serves TLS.")
    int metricsPort;

    @Option(names = "--metrics-bind", defaultValue = "${env:GLIMPSE_METRICS_BIND:-" + ServerConfig.LOOPBACK + "}",
            description = "Address the metrics port listens on (default ${DEFAULT-VALUE}, loopback only). Beyond loopback"
                    + " it needs TLS or --plaintext, like --bind.")
    String metricsBind;

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

    @Option(names = "--encoder-cache-bytes", defaultValue = "${env:GLIMPSE_ENCODER_CACHE_BYTES:-" + TokenizerServer.DEFAULT_ENCODER_CACHE_BYTES + "}",
            description = "Tokenizer: recent vision-encoder results kept by image hash, so repeated images skip decoding"
                    + " and the encoder (default ${DEFAULT-VALUE}; 0 = off).")
    long encoderCacheBytes;

    @Option(names = "--tokenizer-max-concurrent", defaultValue = "${env:GLIMPSE_TOKENIZER_MAX_CONCURRENT:-" + TokenizerServer.DEFAULT_MAX_CONCURRENT + "}",
            description = "Tokenizer: requests decoded and encoded at once (default ${DEFAULT-VALUE}).")
    int tokenizerMaxConcurrent;

    @Option(names = "--tokenizer-max-queued", defaultValue = "${env:GLIMPSE_TOKENIZER_MAX_QUEUED:-" + TokenizerServer.DEFAULT_MAX_QUEUED + "}",
            description = "Tokenizer: requests waiting; beyond it RESOURCE_EXHAUSTED (default ${DEFAULT-VALUE}).")
    int tokenizerMaxQueued;

    @Option(names = "--pruner-max-concurrent", defaultValue = "${env:GLIMPSE_PRUNER_MAX_CONCURRENT:-" + PrunerServer.DEFAULT_MAX_CONCURRENT + "}",
            description = "Pruner: requests pruned at once (default ${DEFAULT-VALUE}).")
    int prunerMaxConcurrent;

    @Option(names = "--pruner-max-queued", defaultValue = "${env:GLIMPSE_PRUNER_MAX_QUEUED:-" + PrunerServer.DEFAULT_MAX_QUEUED + "}",
            description = "Pruner: requests waiting; beyond it RESOURCE_EXHAUSTED (default ${DEFAULT-VALUE}).")
    int prunerMaxQueued;

    @Option(names = "--max-new-tokens-cap", defaultValue = "${env:GLIMPSE_MAX_NEW_TOKENS_CAP:-" + RunnerLimits.DEFAULT_MAX_NEW_TOKENS_CAP + "}",
            description = "Runner and gateway: the most new tokens a request may ask for; the gateway refuses more before"
                    + " any stage runs (default ${DEFAULT-VALUE}; give the gateway the runners' value).")
    int maxNewTokensCap;

    @Option(names = {"--runner-max-concurrent", "--max-concurrent"},
            defaultValue = "${env:GLIMPSE_RUNNER_MAX_CONCURRENT:-" + RunnerLimits.DEFAULT_MAX_CONCURRENT + "}",
            description = "Runner: generations at once; prefills run at most one per core (default ${DEFAULT-VALUE}).")
    int maxConcurrent;

    @Option(names = "--runner-decode-batch", defaultValue = "${env:GLIMPSE_RUNNER_DECODE_BATCH:-" + RunnerLimits.DEFAULT_DECODE_BATCH + "}",
            description = "Runner: decode steps of up to this many generations run as one batch; 1 = each on its own"
                    + " (default ${DEFAULT-VALUE}, at most --runner-max-concurrent).")
    int decodeBatch;

    @Option(names = {"--runner-max-queued", "--max-queued"},
            defaultValue = "${env:GLIMPSE_RUNNER_MAX_QUEUED:-" + RunnerLimits.DEFAULT_MAX_QUEUED + "}",
            description = "Runner: generations waiting; beyond it RESOURCE_EXHAUSTED (default ${DEFAULT-VALUE}).")
    int maxQueued;

    @Option(names = "--gateway-max-in-flight", defaultValue = "${env:GLIMPSE_GATEWAY_MAX_IN_FLIGHT:-" + GatewayLimits.DEFAULT_MAX_IN_FLIGHT + "}",
            description = "Gateway: Asks at once; beyond it RESOURCE_EXHAUSTED with a retry-after, before any backend is called"
                    + " (default ${DEFAULT-VALUE}; size it to the runners' running + queued slots).")
    int gatewayMaxInFlight;

    @Option(names = "--gateway-max-in-flight-bytes", defaultValue = "${env:GLIMPSE_GATEWAY_MAX_IN_FLIGHT_BYTES:-" + GatewayLimits.DEFAULT_MAX_IN_FLIGHT_BYTES + "}",
            description = "Gateway: request bytes held at once, its memory budget for calls (default ${DEFAULT-VALUE}).")
    long gatewayMaxInFlightBytes;

    @Option(names = "--tls-cert", defaultValue = "${env:GLIMPSE_TLS_CERT}",
            description = "Serve TLS with this certificate chain (PEM); re-read when it changes on disk.")
    Path tlsCert;

    @Option(names = "--tls-key", defaultValue = "${env:GLIMPSE_TLS_KEY}", description = "The TLS certificate's private key (PEM, PKCS#8).")
    Path tlsKey;

    @Option(names = "--tls-client-ca", defaultValue = "${env:GLIMPSE_TLS_CLIENT_CA}",
            description = "Mutual TLS: accept only clients whose certificate chains to this CA (PEM) — set on the backends.")
    Path tlsClientCa;

    @Option(names = "--backend-tls-ca", defaultValue = "${env:GLIMPSE_BACKEND_TLS_CA}",
            description = "Gateway: reach the backends over TLS, trusting this CA (PEM).")
    Path backendTlsCa;

    @Option(names = "--backend-tls-cert", defaultValue = "${env:GLIMPSE_BACKEND_TLS_CERT}",
            description = "Gateway: client certificate (PEM) for the backends' mutual TLS.")
    Path backendTlsCert;

    @Option(names = "--backend-tls-key", defaultValue = "${env:GLIMPSE_BACKEND_TLS_KEY}",
            description = "Gateway: the client certificate's private key (PEM).")
    Path backendTlsKey;

    @Option(names = "--tls-reload-seconds", defaultValue = "${env:GLIMPSE_TLS_RELOAD_SECONDS:-60}",
            description = "How often certificate, key and CA files are checked for rotation (default ${DEFAULT-VALUE}).")
    int tlsReloadSeconds;

    @Option(names = "--health-port", defaultValue = "${env:GLIMPSE_HEALTH_PORT:-0}",
            description = "Also serve grpc.health.v1 alone, plaintext, on this port (0 = off): for Kubernetes' gRPC probes"
                    + " when the main port speaks TLS.")
    int healthPort;

    @Option(names = "--max-connection-age-seconds", defaultValue = "${env:GLIMPSE_MAX_CONNECTION_AGE_SECONDS:-300}",
            description = "Ask clients to reconnect after this long, so they rebalance over new replicas (default ${DEFAULT-VALUE}).")
    long maxConnectionAgeSeconds;

    @Option(names = "--plaintext", defaultValue = "${env:GLIMPSE_PLAINTEXT:-false}",
            description = "Serve without TLS on a non-loopback --bind (an explicit choice; loopback needs no flag).")
    boolean plaintext;

    @Option(names = "--api-keys", defaultValue = "${env:GLIMPSE_API_KEYS}",
            description = "Gateway: API key file (hashes and limits, docs/security.md); re-read when it changes. Without it"
                    + " the API is open: no key, no quotas.")
    Path apiKeys;

    @Option(names = "--reflection", defaultValue = "${env:GLIMPSE_REFLECTION:-false}",
            description = "Gateway: serve gRPC server reflection (off by default; the backends always serve it).")
    boolean reflection;

    @Option(names = "--min-new-tokens-cap", defaultValue = "${env:GLIMPSE_MIN_NEW_TOKENS_CAP:-" + AccessPolicy.DEFAULT_MIN_NEW_TOKENS_CAP + "}",
            description = "Gateway with keys: min_new_tokens above this needs a key allowed min_new_tokens (default ${DEFAULT-VALUE}).")
    int minNewTokensCap;

    @Option(names = "--visual-tokens-per-image", defaultValue = "${env:GLIMPSE_VISUAL_TOKENS_PER_IMAGE:-" + AccessPolicy.DEFAULT_VISUAL_TOKENS_PER_IMAGE + "}",
            description = "Gateway: visual tokens a FULL image may send (the bundle's grid), for request costs (default ${DEFAULT-VALUE}).")
    int visualTokensPerImage;

    @Option(names = "--decode-token-cost", defaultValue = "${env:GLIMPSE_DECODE_TOKEN_COST:-" + RequestCost.DEFAULT_DECODE_WEIGHT + "}",
            description = "Gateway: cost units of one generated token, against 1 per prefilled visual token (default ${DEFAULT-VALUE}).")
    double decodeTokenCost;

    @Option(names = "--http-port", defaultValue = "${env:GLIMPSE_HTTP_PORT:-" + HttpApiConfig.DEFAULT_PORT + "}",
            description = "Gateway: HTTP port for the OpenAI-compatible API and the explorer page, on --bind with the"
                    + " gateway's TLS (default ${DEFAULT-VALUE}; -1 = off).")
    int httpPort;

    @Option(names = "--http-max-body-bytes", defaultValue = "${env:GLIMPSE_HTTP_MAX_BODY_BYTES:-" + HttpApiConfig.DEFAULT_MAX_BODY_BYTES + "}",
            description = "Gateway: largest HTTP request body; images travel base64 in it (default ${DEFAULT-VALUE}).")
    int httpMaxBodyBytes;

    @Option(names = "--http-max-in-flight-body-bytes", defaultValue = "${env:GLIMPSE_HTTP_MAX_IN_FLIGHT_BODY_BYTES:-" + HttpApiConfig.DEFAULT_MAX_IN_FLIGHT_BODY_BYTES + "}",
            description = "Gateway: HTTP request body bytes held at once, charged as they arrive; beyond it 429 (default ${DEFAULT-VALUE}).")
    long httpMaxInFlightBodyBytes;

    @Option(names = "--http-body-timeout-seconds", defaultValue = "${env:GLIMPSE_HTTP_BODY_TIMEOUT_SECONDS:-"
            + HttpApiConfig.DEFAULT_BODY_TIMEOUT_SECONDS + "}", description = "Gateway: a request body must arrive whole within this long, else 408 and the"
            + " connection closes (default ${DEFAULT-VALUE}).")
    int httpBodyTimeoutSeconds;

    @Option(names = "--http-header-timeout-seconds", defaultValue = "${env:GLIMPSE_HTTP_HEADER_TIMEOUT_SECONDS:-"
            + HttpApiConfig.DEFAULT_HEADER_TIMEOUT_SECONDS + "}", description = "Gateway: request headers must arrive whole within this long of their first byte,"
            + " else the connection closes (default ${DEFAULT-VALUE}).")
    int httpHeaderTimeoutSeconds;

    @Option(names = "--http-image-hosts", split = ",", defaultValue = "${env:GLIMPSE_HTTP_IMAGE_HOSTS:-}",
            description = "Gateway: hosts (or host:port) whose http(s) image URLs may be fetched; empty (the default) ="
                    + " images only as data: URIs.")
    List<String> httpImageHosts;

    @Option(names = "--no-explorer", defaultValue = "${env:GLIMPSE_NO_EXPLORER:-false}",
            description = "Gateway: do not serve the token explorer page at / on the HTTP port.")
    boolean noExplorer;

    @Option(names = "--log-questions", defaultValue = "${env:GLIMPSE_LOG_QUESTIONS:-false}",
            description = "Gateway: include question text in the access log (off by default).")
    boolean logQuestions;

    /** Every service's typed config from the flags (and their environment variables): the one source for 'serve X' and 'serve all'. */
    EmbeddedStack.Services services(ModelBundle bundle, OrtSessionFactory sessions) {
        Duration reload = Duration.ofSeconds(Math.max(1, tlsReloadSeconds));
        TlsFiles tls = tlsCert == null && tlsKey == null ? null : new TlsFiles(tlsCert, tlsKey, tlsClientCa, reload);
        ServerConfig server = new ServerConfig(bind, port, null, maxMessageBytes, Duration.ofSeconds(30),
                Duration.ofSeconds(10), Duration.ofSeconds(drainSeconds), 64, tls, true, healthPort,
                Duration.ofSeconds(maxConnectionAgeSeconds)).withPlaintextChosen(plaintext);
        RunnerLimits runnerLimits = new RunnerLimits(maxNewTokensCap, Math.min(RunnerLimits.DEFAULT_MAX_NEW_TOKENS, maxNewTokensCap),
                GatewayLimits.defaults().maxQuestionChars(), maxImages, maxConcurrent, maxQueued,
                Math.max(1, Math.min(decodeBatch, maxConcurrent)));
        return new EmbeddedStack.Services(
                new TokenizerServer.Config(bundle, sessions, new ImageLimits(maxMessageBytes, maxPixels, 8, maxRequestPixels),
                        maxImages, tokenizerMaxConcurrent, tokenizerMaxQueued,
                        new ImageTokenizerEngine.Batching(encoderMaxBatch, encoderMaxWaitMicros), server, encoderCacheBytes),
                new PrunerServer.Config(maxImages, bundle, sessions, server, prunerMaxConcurrent, prunerMaxQueued),
                new RunnerServer.Config(bundle, sessions, runnerLimits, server),
                new GatewayLimits(maxImages, maxMessageBytes, GatewayLimits.defaults().maxQuestionChars(),
                        GatewayLimits.defaults().defaultDeadline(), gatewayMaxInFlight, gatewayMaxInFlightBytes, maxNewTokensCap),
                server.withReflection(reflection),
                new AccessPolicy(apiKeys == null ? null : ApiKeys.load(apiKeys), new RequestCost(decodeTokenCost),
                        minNewTokensCap, visualTokensPerImage, Math.min(RunnerLimits.DEFAULT_MAX_NEW_TOKENS, maxNewTokensCap),
                        logQuestions),
                httpPort < 0 ? null : new HttpApiConfig(httpPort, httpMaxBodyBytes, httpMaxInFlightBodyBytes,
                        httpImageHosts == null ? List.of() : httpImageHosts, Duration.ofSeconds(10), !noExplorer,
                        Duration.ofSeconds(Math.max(1, httpBodyTimeoutSeconds)),
                        Duration.ofSeconds(Math.max(1, httpHeaderTimeoutSeconds))));
    }

    /** TLS from the gateway to its backends; null = plaintext. */
    TlsFiles backendTls() {
        if (backendTlsCa == null && backendTlsCert == null && backendTlsKey == null) {
            return null;
        }
        return new TlsFiles(backendTlsCert, backendTlsKey, backendTlsCa, Duration.ofSeconds(Math.max(1, tlsReloadSeconds)));
    }

    /**
     * Plaintext beyond loopback only when asked for: a listener others can reach carries TLS by
     * default. IllegalArgumentException with the one sentence to show.
     */
    void checkExposure() {
        io.glimpse.common.server.Exposure.check("--bind", bind, tlsCert != null, plaintext);
        if (metricsPort > 0) {
            io.glimpse.common.server.Exposure.check("--metrics-bind", metricsBind, tlsCert != null, plaintext);
        }
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
        MetricsEndpoint metrics = metricsPort > 0 ? MetricsEndpoint.start(meters, metricsBind, metricsPort,
                tlsCert == null ? null : new TlsFiles(tlsCert, tlsKey, null, Duration.ofSeconds(Math.max(1, tlsReloadSeconds)))
                        .serverSslContext()) : null;
        List<ServerInterceptor> interceptors = List.of(new RpcMetricsInterceptor(meters, service.name()));
        ModelBundle bundle = service == Service.gateway ? null : model.openBundle();
        OrtSessionFactory sessions = service == Service.gateway ? null : model.sessions();
        EmbeddedStack.Services c = services(bundle, sessions);
        ServiceHost host = switch (service) {
            case tokenizer -> TokenizerServer.start(c.tokenizer(), interceptors, meters);
            case pruner -> PrunerServer.start(c.pruner(), interceptors, meters);
            case runner -> RunnerServer.start(c.runner(), interceptors, meters).host();
            case gateway -> GatewayServer.start(new GatewayServer.Config(
                    new BackendTargets(tokenizerTarget, prunerTarget, runnerTarget), c.gateway(), c.gatewayServer(),
                    BackendDiscovery.named(discovery, namespace), c.access(), backendTls(), c.http()), interceptors, meters);
            case all -> null;
        };
        if (metrics != null) {
            if (host != null) {
                host.onClose(metrics);
            }
            System.err.println("glimpse: metrics on " + metrics.url());
        }
        if (host == null) {
            EmbeddedStack stack = EmbeddedStack.start(c, EmbeddedStack.Transport.LOOPBACK, port, meters);
            GracefulShutdown.onSignal("glimpse", stack::close);
            System.err.println("glimpse: all services up; gateway on " + bind + ":" + stack.gatewayPort()
                    + " (backends on loopback)" + (stack.http() == null ? ""
                    : "; HTTP API and explorer on " + stack.http().url(bind)));
            stack.awaitTermination();
            return 0;
        }
        host.closeOnShutdown();
        System.err.println("glimpse: " + service + " up on " + host.describe() + (GatewayServer.http(host) == null ? ""
                : "; HTTP API and explorer on " + GatewayServer.http(host).url(bind)));
        host.awaitTermination();
        return 0;
    }
}
