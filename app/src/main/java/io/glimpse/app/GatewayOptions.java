package io.glimpse.app;

import io.glimpse.common.server.TlsFiles;
import io.glimpse.gateway.auth.AccessPolicy;
import io.glimpse.gateway.auth.ApiKeys;
import io.glimpse.gateway.auth.RequestCost;
import io.glimpse.gateway.chain.BackendTargets;
import io.glimpse.gateway.chain.GatewayLimits;
import io.glimpse.gateway.discovery.BackendDiscovery;
import io.glimpse.gateway.http.HttpApiConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Option;

/** The gateway's options of {@code glimpse serve}: backends and their discovery, admission, keys and costs, the HTTP port. */
final class GatewayOptions {
    @Option(names = "--tokenizer-target", defaultValue = "${env:GLIMPSE_TOKENIZER_TARGET:-localhost:50052}")
    String tokenizerTarget;

    @Option(names = "--pruner-target", defaultValue = "${env:GLIMPSE_PRUNER_TARGET:-localhost:50053}")
    String prunerTarget;

    @Option(names = "--runner-target", defaultValue = "${env:GLIMPSE_RUNNER_TARGET:-localhost:50054}")
    String runnerTarget;

    @Option(names = "--discovery", defaultValue = "${env:GLIMPSE_DISCOVERY:-static}",
            description = "Gateway: how backend replicas are found: static (the targets are host:port[,host:port...]), "
                    + "kubernetes (watch the EndpointSlices of the Services the targets name), dns (gRPC's DNS resolver).")
    String discovery;

    @Option(names = "--namespace", defaultValue = "${env:GLIMPSE_NAMESPACE:-}",
            description = "Gateway with kubernetes discovery: the backends' namespace (default: the pod's own).")
    String namespace;

    @Option(names = "--gateway-max-in-flight", defaultValue = "${env:GLIMPSE_GATEWAY_MAX_IN_FLIGHT:-" + GatewayLimits.DEFAULT_MAX_IN_FLIGHT + "}",
            description = "Gateway: Asks at once; beyond it RESOURCE_EXHAUSTED with a retry-after, before any backend is called"
                    + " (default ${DEFAULT-VALUE}; size it to the runners' running + queued slots).")
    int gatewayMaxInFlight;

    @Option(names = "--gateway-max-in-flight-bytes", defaultValue = "${env:GLIMPSE_GATEWAY_MAX_IN_FLIGHT_BYTES:-" + GatewayLimits.DEFAULT_MAX_IN_FLIGHT_BYTES + "}",
            description = "Gateway: request bytes held at once, its memory budget for calls (default ${DEFAULT-VALUE}).")
    long gatewayMaxInFlightBytes;

    @Option(names = "--backend-tls-ca", defaultValue = "${env:GLIMPSE_BACKEND_TLS_CA}",
            description = "Gateway: reach the backends over TLS, trusting this CA (PEM).")
    Path backendTlsCa;

    @Option(names = "--backend-tls-cert", defaultValue = "${env:GLIMPSE_BACKEND_TLS_CERT}",
            description = "Gateway: client certificate (PEM) for the backends' mutual TLS.")
    Path backendTlsCert;

    @Option(names = "--backend-tls-key", defaultValue = "${env:GLIMPSE_BACKEND_TLS_KEY}",
            description = "Gateway: the client certificate's private key (PEM).")
    Path backendTlsKey;

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


    /** What the public API accepts and holds; the new-token cap is the runners'. */
    GatewayLimits limits(ServerOptions s, RunnerOptions runner) {
        return new GatewayLimits(s.maxImages, s.maxMessageBytes, GatewayLimits.defaults().maxQuestionChars(),
                GatewayLimits.defaults().defaultDeadline(), gatewayMaxInFlight, gatewayMaxInFlightBytes, runner.maxNewTokensCap);
    }

    AccessPolicy access(RunnerOptions runner) {
        return new AccessPolicy(apiKeys == null ? null : ApiKeys.load(apiKeys), new RequestCost(decodeTokenCost),
                minNewTokensCap, visualTokensPerImage, runner.defaultMaxNewTokens(), logQuestions);
    }

    /** The HTTP port's config; null when it is off. */
    HttpApiConfig http() {
        return httpPort < 0 ? null : new HttpApiConfig(httpPort, httpMaxBodyBytes, httpMaxInFlightBodyBytes,
                httpImageHosts == null ? List.of() : httpImageHosts, Duration.ofSeconds(10), !noExplorer,
                Duration.ofSeconds(Math.max(1, httpBodyTimeoutSeconds)), Duration.ofSeconds(Math.max(1, httpHeaderTimeoutSeconds)));
    }

    /** TLS from the gateway to its backends; null = plaintext. */
    TlsFiles backendTls(ServerOptions s) {
        if (backendTlsCa == null && backendTlsCert == null && backendTlsKey == null) {
            return null;
        }
        return new TlsFiles(backendTlsCert, backendTlsKey, backendTlsCa, s.reload());
    }

    BackendTargets targets() {
        return new BackendTargets(tokenizerTarget, prunerTarget, runnerTarget);
    }

    BackendDiscovery discovery() {
        return BackendDiscovery.named(discovery, namespace);
    }
}
