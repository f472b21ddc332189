package io.glimpse.app;

import io.glimpse.common.metrics.MetricsEndpoint;
import io.glimpse.common.metrics.ProcessMetrics;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.proto.v1.Pruning;
import io.glimpse.proto.v1.TokenPolicy;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Prometheus endpoint serves the names docs/deploy.md and the autoscalers use, with values. */
class MetricsTest {
    static final List<String> NAMES = List.of(
            "glimpse_rpc_requests_total", "glimpse_rpc_latency_seconds_bucket", "glimpse_rpc_in_flight",
            "glimpse_tokenizer_queue_depth", "glimpse_tokenizer_in_flight", "glimpse_tokenizer_visual_tokens_total",
            "glimpse_pruner_visual_tokens_in_total", "glimpse_pruner_visual_tokens_out_total",
            "glimpse_runner_queue_depth", "glimpse_runner_in_flight", "glimpse_runner_generated_tokens_total",
            "glimpse_runner_tokens_per_second_count", "glimpse_gateway_in_flight", "glimpse_gateway_refused_total",
            "glimpse_gateway_requests_total", "glimpse_pruner_queue_depth",
            "jvm_memory_used_bytes", "jvm_gc_pause_seconds", "jvm_threads_live_threads", "process_cpu_usage",
            "process_uptime_seconds");

    @Test
    void endpointExposesTheDocumentedNamesAfterAFewCalls() throws Exception {
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ProcessMetrics.bind(meters);
        System.gc();   // at least one collection for the GC pause timer
        try (EmbeddedStack stack = EmbeddedStack.start(
                EmbeddedStack.Services.defaults(StackFixture.bundle(), OrtSessionFactory.cpu()),
                EmbeddedStack.Transport.IN_PROCESS, -1, meters);
             MetricsEndpoint endpoint = MetricsEndpoint.start(meters, "127.0.0.1", 0)) {
            for (ExampleSet.Example e : StackFixture.examples().examples().subList(0, 3)) {
                stack.blocking().ask(StackFixture.ask(e).setPolicy(TokenPolicy.newBuilder().setPruning(
                        Pruning.newBuilder().setMethod(Pruning.Method.UNIFORM).setKeepTokens(16))).build());
            }
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + endpoint.port() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            for (String name : NAMES) {
                assertTrue(r.body().contains(name), name + " is exposed");
            }
            // every metric the Grafana dashboard plots is one the services export
            String dashboard = java.nio.file.Files.readString(StackFixture.HOME.resolve("k8s/monitoring/grafana-dashboard.json"));
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\b((?:glimpse|jvm|process)_[a-z_]+?)(?:_bucket)?\\{")
                    .matcher(dashboard);
            int plotted = 0;
            while (m.find()) {
                assertTrue(r.body().contains(m.group(1)), "the dashboard plots " + m.group(1) + ", which is exported");
                plotted++;
            }
            assertTrue(plotted >= 10, "dashboard metrics found: " + plotted);
            assertTrue(r.body().contains("glimpse_rpc_requests_total{method=\"glimpse.v1.Glimpse/Ask\",service=\"gateway\",status=\"OK\"} 3.0"),
                    "three Ask calls counted");
            assertTrue(r.body().contains("glimpse_pruner_visual_tokens_in_total 432.0"), "3 x 144 tokens in");
            assertTrue(r.body().contains("glimpse_pruner_visual_tokens_out_total 48.0"), "3 x 16 tokens out");
        }
    }
}
