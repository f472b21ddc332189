package io.glimpse.app;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every manifest under k8s/ parses with the fabric8 model without unknown fields, and the rendered
 * overlays (with kubectl, where installed) hang together: selectors match pods, probe ports exist,
 * autoscalers and budgets target real workloads, every container has requests, limits and probes.
 */
class ManifestsTest {
    static final Path K8S = StackFixture.HOME.resolve("k8s");
    static KubernetesClient client;

    @BeforeAll
    static void client() {
        client = new KubernetesClientBuilder().build();   // parsing only: never contacts a cluster
    }

    @AfterAll
    static void close() {
        client.close();
    }

    static List<HasMetadata> parse(String yaml) {
        try (InputStream in = new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))) {
            return client.load(in).items();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void everyFileParsesWithNoUnknownFields() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(K8S)) {
            // custom resources (cert-manager, Prometheus Operator, KEDA, Gateway API) and patches are not in
            // fabric8's model; they are rendered and checked through the overlays instead
            files = s.filter(p -> p.toString().endsWith(".yaml") && !p.getFileName().toString().equals("kustomization.yaml")
                    && !p.toString().contains("/cert-manager/") && !p.toString().contains("/components/")
                    && !p.getFileName().toString().startsWith("gateway-api")).toList();
        }
        assertTrue(files.size() >= 10, "manifests found: " + files);
        for (Path f : files) {
            List<HasMetadata> items = parse(Files.readString(f));
            assertFalse(items.isEmpty(), f + " holds resources");
            for (HasMetadata item : items) {
                List<String> unknown = new ArrayList<>();
                unknownFields(item, item.getKind() + "/" + item.getMetadata().getName(), unknown, new IdentityHashMap<>());
                assertTrue(unknown.isEmpty(), f + ": unknown fields " + unknown);
            }
        }
    }

    /** fabric8 puts fields it does not know (typos) into additionalProperties, at any depth. */
    static void unknownFields(Object o, String path, List<String> out, Map<Object, Boolean> seen) {
        if (o == null || seen.put(o, true) != null || !o.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || !m.getName().startsWith("get") || m.getName().equals("getClass")) {
                continue;
            }
            Object v;
            try {
                v = m.invoke(o);
            } catch (ReflectiveOperationException e) {
                continue;
            }
            if (m.getName().equals("getAdditionalProperties")) {
                if (v instanceof Map<?, ?> map && !map.isEmpty()) {
                    out.add(path + ": " + map.keySet());
                }
            } else if (v instanceof Collection<?> c) {
                for (Object x : c) {
                    unknownFields(x, path + "." + m.getName().substring(3), out, seen);
                }
            } else if (v instanceof Map<?, ?> map) {
                for (Object x : map.values()) {
                    unknownFields(x, path + "." + m.getName().substring(3), out, seen);
                }
            } else {
                unknownFields(v, path + "." + m.getName().substring(3), out, seen);
            }
        }
    }

    static String render(String overlay) throws Exception {
        Process p = new ProcessBuilder("kubectl", "kustomize", K8S.resolve("overlays/" + overlay).toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    static boolean kubectl() {
        try {
            return new ProcessBuilder("kubectl", "version", "--client").start().waitFor(20, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** The base's files concatenated: what the overlays render when kubectl is missing. */
    static String base() throws IOException {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> s = Files.list(K8S.resolve("base"))) {
            for (Path f : s.sorted().toList()) {
                if (f.getFileName().toString().endsWith(".yaml") && !f.getFileName().toString().equals("kustomization.yaml")) {
                    sb.append(Files.readString(f)).append("\n---\n");
                }
            }
        }
        // what the configMapGenerator makes of config.env
        sb.append("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: glimpse-config\ndata:\n");
        for (String line : Files.readAllLines(K8S.resolve("base/config.env"))) {
            if (!line.isBlank() && !line.startsWith("#")) {
                int eq = line.indexOf('=');
                sb.append("  ").append(line, 0, eq).append(": \"").append(line.substring(eq + 1)).append("\"\n");
            }
        }
        return sb.toString();
    }

    @Test
    void renderedOverlaysHangTogether() throws Exception {
        boolean rendered = kubectl();
        for (String overlay : List.of("cpu", "gpu")) {
            List<HasMetadata> items = parse(rendered ? render(overlay) : base());
            List<Deployment> deployments = items.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast).toList();
            assertEquals(4, deployments.size(), overlay);
            for (Deployment d : deployments) {
                Map<String, String> podLabels = d.getSpec().getTemplate().getMetadata().getLabels();
                assertTrue(podLabels.entrySet().containsAll(d.getSpec().getSelector().getMatchLabels().entrySet()));
                var pod = d.getSpec().getTemplate().getSpec();
                assertTrue(pod.getSecurityContext().getRunAsNonRoot(), d.getMetadata().getName() + " runs as non-root");
                for (Container c : pod.getContainers()) {
                    String what = overlay + "/" + d.getMetadata().getName() + "/" + c.getName();
                    assertFalse(c.getResources().getRequests().isEmpty(), what + " requests");
                    assertFalse(c.getResources().getLimits().isEmpty(), what + " limits");
                    assertTrue(c.getSecurityContext().getReadOnlyRootFilesystem(), what + " read-only root");
                    Set<Integer> ports = new java.util.HashSet<>();
                    c.getPorts().forEach(p -> ports.add(p.getContainerPort()));
                    for (Probe probe : List.of(c.getReadinessProbe(), c.getLivenessProbe(), c.getStartupProbe())) {
                        assertNotNull(probe, what + " has readiness, liveness and startup probes");
                        assertNotNull(probe.getGrpc(), what + " probes speak gRPC");
                        assertTrue(ports.contains(probe.getGrpc().getPort()), what + " probe port is a container port");
                    }
                    assertEquals("readiness", c.getReadinessProbe().getGrpc().getService(), what);
                    // SIGTERM drains: the preStop pause plus --drain-seconds must end before the kill
                    assertNotNull(c.getLifecycle() == null ? null : c.getLifecycle().getPreStop(), what + " has a preStop pause");
                    int pause = Integer.parseInt(c.getLifecycle().getPreStop().getExec().getCommand().get(1));
                    int drain = Integer.parseInt(c.getArgs().get(c.getArgs().indexOf("--drain-seconds") + 1));
                    assertTrue(pause + drain < pod.getTerminationGracePeriodSeconds(), what + ": preStop " + pause
                            + " s + drain " + drain + " s within the grace period " + pod.getTerminationGracePeriodSeconds());
                }
                for (Container c : pod.getInitContainers()) {
                    assertFalse(c.getResources().getLimits().isEmpty(), overlay + " init container limits");
                }
            }
            var config = items.stream().filter(io.fabric8.kubernetes.api.model.ConfigMap.class::isInstance)
                    .map(io.fabric8.kubernetes.api.model.ConfigMap.class::cast).findFirst().orElseThrow().getData();
            assertEquals("0.0.0.0", config.get("GLIMPSE_BIND"), "pods listen beyond loopback, or the probes fail");
            for (Deployment d : deployments) {
                var c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
                java.util.Map<String, String> env = new java.util.HashMap<>();
                c.getEnv().forEach(v -> env.put(v.getName(), v.getValue()));
                assertTrue(env.containsKey("GLIMPSE_TLS_CERT") && env.containsKey("GLIMPSE_TLS_KEY"),
                        d.getMetadata().getName() + " serves TLS, never plaintext beyond loopback");
                boolean gateway = d.getMetadata().getName().equals("gateway");
                assertTrue(gateway ? env.containsKey("GLIMPSE_BACKEND_TLS_CERT") && env.containsKey("GLIMPSE_API_KEYS")
                        : env.containsKey("GLIMPSE_TLS_CLIENT_CA"), d.getMetadata().getName() + ": mutual TLS inside, keys at the door");
                assertEquals(Integer.valueOf(config.get("GLIMPSE_HEALTH_PORT")), c.getReadinessProbe().getGrpc().getPort(),
                        "probes reach the plaintext health port");
            }
            List<HorizontalPodAutoscaler> scalers = items.stream().filter(HorizontalPodAutoscaler.class::isInstance)
                    .map(HorizontalPodAutoscaler.class::cast).toList();
            for (Deployment d : deployments) {
                String name = d.getMetadata().getName();
                var pod = d.getSpec().getTemplate().getSpec();
                var c = pod.getContainers().get(0);
                java.util.Map<String, String> env = new java.util.HashMap<>();
                c.getEnv().forEach(v -> env.put(v.getName(), v.getValue()));
                // the heap leaves room for native memory; the JVM sees the CPU limit, so ONNX Runtime's
                // threads (0 = the JVM's processor count) follow it unless set, and then within it
                String jvm = env.getOrDefault("JAVA_TOOL_OPTIONS", "");
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("MaxRAMPercentage=(\\d+)").matcher(jvm);
                assertTrue(m.find() && Integer.parseInt(m.group(1)) <= 70, name + " heap share leaves native room: " + jvm);
                assertTrue(jvm.contains("-XX:+ExitOnOutOfMemoryError"), name + ": " + jvm);
                double cpus = io.fabric8.kubernetes.api.model.Quantity.getAmountInBytes(c.getResources().getLimits().get("cpu")).doubleValue();
                String threads = env.getOrDefault("GLIMPSE_ORT_THREADS", config.get("GLIMPSE_ORT_THREADS"));
                assertTrue(threads == null || Integer.parseInt(threads) <= cpus, name + ": ORT threads " + threads + " > CPU limit " + cpus);
                // spread and labelled
                var spread = pod.getTopologySpreadConstraints();
                assertTrue(spread.stream().anyMatch(t -> t.getTopologyKey().equals("kubernetes.io/hostname")), name + " spreads over nodes");
                assertTrue(spread.stream().anyMatch(t -> t.getTopologyKey().equals("topology.kubernetes.io/zone")), name + " spreads over zones");
                var labels = d.getSpec().getTemplate().getMetadata().getLabels();
                for (String l : List.of("app.kubernetes.io/name", "app.kubernetes.io/component", "app.kubernetes.io/version")) {
                    assertTrue(labels.containsKey(l), name + " pod template carries " + l);
                }
                if (rendered) {
                    assertTrue(labels.containsKey("app.kubernetes.io/part-of"), name + " pod template carries part-of");
                }
                // named ports that probes, Services and NetworkPolicies refer to exist on the container
                Set<String> portNames = new java.util.HashSet<>();
                c.getPorts().forEach(p -> portNames.add(p.getName()));
                for (Service s : items.stream().filter(Service.class::isInstance).map(Service.class::cast).toList()) {
                    if (labels.entrySet().containsAll(s.getSpec().getSelector().entrySet())) {
                        s.getSpec().getPorts().forEach(p -> assertTrue(p.getTargetPort().getStrVal() == null
                                || portNames.contains(p.getTargetPort().getStrVal()), name + " has the port " + p.getTargetPort()));
                    }
                }
                for (var np : items.stream().filter(io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class::isInstance)
                        .map(io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class::cast).toList()) {
                    if (labels.entrySet().containsAll(np.getSpec().getPodSelector().getMatchLabels().entrySet())) {
                        np.getSpec().getIngress().forEach(rule -> rule.getPorts().forEach(p -> assertTrue(p.getPort().getStrVal() == null
                                || portNames.contains(p.getPort().getStrVal()), name + " has the port " + p.getPort())));
                    }
                }
                // a disruption budget allows a disruption at the autoscaler's minimum
                int min = scalers.stream().filter(h -> h.getSpec().getScaleTargetRef().getName().equals(name))
                        .mapToInt(h -> h.getSpec().getMinReplicas()).findFirst().orElse(d.getSpec().getReplicas());
                for (PodDisruptionBudget b : items.stream().filter(PodDisruptionBudget.class::isInstance)
                        .map(PodDisruptionBudget.class::cast).toList()) {
                    if (labels.entrySet().containsAll(b.getSpec().getSelector().getMatchLabels().entrySet())) {
                        int allowed = b.getSpec().getMaxUnavailable() != null ? b.getSpec().getMaxUnavailable().getIntVal()
                                : min - b.getSpec().getMinAvailable().getIntVal();
                        assertTrue(allowed >= 1, overlay + "/" + name + ": the PDB allows no disruption at " + min + " replicas");
                    }
                }
            }
            for (Service s : items.stream().filter(Service.class::isInstance).map(Service.class::cast).toList()) {
                assertTrue(s.getSpec().getPorts().stream().anyMatch(p -> p.getName().equals("grpc")), s.getMetadata().getName());
                assertTrue(deployments.stream().anyMatch(d -> d.getSpec().getTemplate().getMetadata().getLabels().entrySet()
                        .containsAll(s.getSpec().getSelector().entrySet())), "service " + s.getMetadata().getName() + " selects pods");
            }
            List<HorizontalPodAutoscaler> hpas = items.stream().filter(HorizontalPodAutoscaler.class::isInstance)
                    .map(HorizontalPodAutoscaler.class::cast).toList();
            assertEquals(4, hpas.size());
            for (HorizontalPodAutoscaler h : hpas) {
                assertTrue(deployments.stream().anyMatch(d -> d.getMetadata().getName().equals(h.getSpec().getScaleTargetRef().getName())
                        && h.getSpec().getScaleTargetRef().getKind().equals("Deployment")), "HPA " + h.getMetadata().getName());
            }
            for (PodDisruptionBudget b : items.stream().filter(PodDisruptionBudget.class::isInstance)
                    .map(PodDisruptionBudget.class::cast).toList()) {
                assertTrue(deployments.stream().anyMatch(d -> d.getSpec().getTemplate().getMetadata().getLabels().entrySet()
                        .containsAll(b.getSpec().getSelector().getMatchLabels().entrySet())), "PDB " + b.getMetadata().getName());
            }
            if (rendered && overlay.equals("gpu")) {
                Deployment runner = deployments.stream().filter(d -> d.getMetadata().getName().equals("vlm-runner")).findFirst().orElseThrow();
                var res = runner.getSpec().getTemplate().getSpec().getContainers().get(0).getResources();
                assertEquals("1", res.getLimits().get("nvidia.com/gpu").getAmount(), "the gpu overlay asks for a GPU");
                HorizontalPodAutoscaler h = hpas.stream().filter(x -> x.getMetadata().getName().equals("vlm-runner")).findFirst().orElseThrow();
                assertEquals("glimpse_runner_queue_depth", h.getSpec().getMetrics().get(0).getPods().getMetric().getName());
            }
        }
    }

    /** The optional components render on top of the gpu overlay: a volume claim replaces the model copy, KEDA the HPA. */
    @Test
    void componentsRenderOnTheGpuOverlay() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(kubectl(), "kubectl renders the components");
        Path dir = Path.of("target/k8s-components");
        Files.createDirectories(dir);
        Path rel = dir.toAbsolutePath().relativize(K8S.toAbsolutePath());
        Files.writeString(dir.resolve("kustomization.yaml"), "resources: [" + rel.resolve("overlays/gpu") + "]\n"
                + "components: [" + rel.resolve("components/model-pvc") + ", " + rel.resolve("components/keda") + ", "
                + rel.resolve("components/monitoring") + "]\n");
        Process p = new ProcessBuilder("kubectl", "kustomize", dir.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("kind: ScaledObject") && out.contains("kind: PodMonitor") && out.contains("kind: ServiceMonitor"), out);
        assertEquals(3, out.split("claimName: glimpse-models", -1).length - 1, "the three model-using pods mount the claim");
        assertFalse(out.contains("name: model-bundle"), "and copy no model at start");
        assertEquals(3, out.split("kind: HorizontalPodAutoscaler", -1).length - 1, "KEDA replaces the runner's HPA");
    }
}
