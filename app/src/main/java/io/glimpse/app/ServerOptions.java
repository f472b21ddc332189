package io.glimpse.app;

import io.glimpse.common.metrics.MetricsEndpoint;
import io.glimpse.common.server.Exposure;
import io.glimpse.common.server.ServerConfig;
import io.glimpse.common.server.TlsFiles;
import io.glimpse.tokenizer.TokenizerServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** How each service of {@code glimpse serve} listens: address, port, TLS, drain, health and metrics ports, shared limits. */
final class ServerOptions {
    @Option(names = "--bind", defaultValue = "${env:GLIMPSE_BIND:-" + ServerConfig.LOOPBACK + "}",
            description = "Address to listen on (default ${DEFAULT-VALUE}, loopback only; 0.0.0.0 for every interface)."
                    + " In 'serve all' only the gateway binds here; the backends stay on loopback.")
    String bind;

    @Option(names = "--port", defaultValue = "${env:GLIMPSE_PORT:-50051}", description = "TCP port (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--max-message-bytes", defaultValue = "${env:GLIMPSE_MAX_MESSAGE_BYTES:-" + ServerConfig.DEFAULT_MAX_INBOUND_BYTES + "}",
            description = "Largest request message, and the cap per encoded image (default ${DEFAULT-VALUE}).")
    int maxMessageBytes;

    @Option(names = "--max-images", defaultValue = "${env:GLIMPSE_MAX_IMAGES:-" + TokenizerServer.DEFAULT_MAX_IMAGES + "}",
            description = "Images per request, at every stage (default ${DEFAULT-VALUE}).")
    int maxImages;

    @Option(names = "--drain-seconds", defaultValue = "${env:GLIMPSE_DRAIN_SECONDS:-20}",
            description = "On SIGTERM: NOT_SERVING, then in-flight calls get this long to finish (default ${DEFAULT-VALUE}).")
    int drainSeconds;

    @Option(names = "--tls-cert", defaultValue = "${env:GLIMPSE_TLS_CERT}",
            description = "Serve TLS with this certificate chain (PEM); re-read when it changes on disk.")
    Path tlsCert;

    @Option(names = "--tls-key", defaultValue = "${env:GLIMPSE_TLS_KEY}", description = "The TLS certificate's private key (PEM, PKCS#8).")
    Path tlsKey;

    @Option(names = "--tls-client-ca", defaultValue = "${env:GLIMPSE_TLS_CLIENT_CA}",
            description = "Mutual TLS: accept only clients whose certificate chains to this CA (PEM) — set on the backends.")
    Path tlsClientCa;

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

    @Option(names = "--metrics-port", defaultValue = "${env:GLIMPSE_METRICS_PORT:-0}",
            description = "Prometheus metrics at http(s)://METRICS_BIND:PORT/metrics (0 = off, the default; the manifests"
                    + " use 9090). HTTPS with the service's certificate when it serves TLS.")
    int metricsPort;

    @Option(names = "--metrics-bind", defaultValue = "${env:GLIMPSE_METRICS_BIND:-" + ServerConfig.LOOPBACK + "}",
            description = "Address the metrics port listens on (default ${DEFAULT-VALUE}, loopback only). Beyond loopback"
                    + " it needs TLS or --plaintext, like --bind.")
    String metricsBind;


    Duration reload() {
        return Duration.ofSeconds(Math.max(1, tlsReloadSeconds));
    }

    /** The service's own TLS (mutual with a client CA); null = plaintext. */
    TlsFiles tls() {
        return tlsCert == null && tlsKey == null ? null : new TlsFiles(tlsCert, tlsKey, tlsClientCa, reload());
    }

    /** How every service listens. */
    ServerConfig config() {
        return new ServerConfig(bind, port, null, maxMessageBytes, Duration.ofSeconds(30), Duration.ofSeconds(10),
                Duration.ofSeconds(drainSeconds), 64, tls(), true, healthPort, Duration.ofSeconds(maxConnectionAgeSeconds))
                .withPlaintextChosen(plaintext);
    }

    /**
     * Plaintext beyond loopback only when asked for, on every port this process opens:
     * IllegalArgumentException with the one sentence to show.
     */
    void checkExposure() {
        Exposure.check("--bind", bind, tlsCert != null, plaintext);
        if (metricsPort > 0) {
            Exposure.check("--metrics-bind", metricsBind, tlsCert != null, plaintext);
        }
    }

    /** The metrics endpoint (HTTPS with the service's certificate when it has one), or null when off. */
    MetricsEndpoint metrics(PrometheusMeterRegistry meters) {
        return metricsPort <= 0 ? null : MetricsEndpoint.start(meters, metricsBind, metricsPort,
                tlsCert == null ? null : new TlsFiles(tlsCert, tlsKey, null, reload()).serverSslContext());
    }
}
