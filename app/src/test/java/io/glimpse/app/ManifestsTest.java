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
        assertTrue(files.size() >= 8, "manifests found: " + files);
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
                        .mapToInt(h -> h.getSpec().getMinReplicas()).findFirst().orElse(1);
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

    /** Renders a kustomization that takes {@code resource} and adds {@code components}, as a user's own overlay would. */
    static List<HasMetadata> renderWith(String resource, List<String> components) throws Exception {
        Path dir = Path.of("target/k8s-combination");
        Files.createDirectories(dir);
        Path rel = dir.toAbsolutePath().relativize(K8S.toAbsolutePath());
        Files.writeString(dir.resolve("kustomization.yaml"), "resources: [" + rel.resolve(resource) + "]\n"
                + (components.isEmpty() ? "" : "components: [" + String.join(", ", components.stream()
                .map(c -> rel.resolve("components/" + c).toString()).toList()) + "]\n"));
        Process p = new ProcessBuilder("kubectl", "kustomize", dir.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), resource + " + " + components + ": " + out);
        return parse(out);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> spec(HasMetadata crd) {
        return (Map<String, Object>) ((io.fabric8.kubernetes.api.model.GenericKubernetesResource) crd).getAdditionalProperties().get("spec");
    }

    /**
     * Every combination docs/deploy.md describes — each optional component, and all of them, on each
     * overlay (the gpu overlay's components after gpu-runner) — renders to objects an API server would
     * take and that refer to each other: every namespaced object in the namespace, one source per
     * volume, claims, scale targets and monitor selectors that resolve, no workload scaled twice.
     */
    @Test
    void everyDocumentedCombinationRendersValidObjects() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(kubectl(), "kubectl renders the components");
        List<List<String>> sets = List.of(List.of(), List.of("model-pvc"), List.of("keda"), List.of("monitoring"),
                List.of("model-pvc", "keda", "monitoring"));
        for (String overlay : List.of("overlays/cpu", "overlays/gpu")) {
            for (List<String> components : sets) {
                String what = overlay + " + " + components;
                List<HasMetadata> items = renderWith(overlay, components);
                List<Deployment> deployments = items.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast).toList();
                assertEquals(4, deployments.size(), what);
                for (HasMetadata item : items) {
                    if (!item.getKind().equals("Namespace")) {
                        assertEquals("glimpse", item.getMetadata().getNamespace(), what + ": " + item.getKind() + "/"
                                + item.getMetadata().getName() + " lands in the glimpse namespace");
                    }
                }
                Set<String> claims = new java.util.HashSet<>();
                items.stream().filter(io.fabric8.kubernetes.api.model.PersistentVolumeClaim.class::isInstance)
                        .forEach(c -> claims.add(c.getMetadata().getName()));
                for (Deployment d : deployments) {
                    for (var v : d.getSpec().getTemplate().getSpec().getVolumes()) {
                        int sources = (v.getEmptyDir() != null ? 1 : 0) + (v.getPersistentVolumeClaim() != null ? 1 : 0)
                                + (v.getSecret() != null ? 1 : 0) + (v.getConfigMap() != null ? 1 : 0);
                        assertEquals(1, sources, what + ": " + d.getMetadata().getName() + " volume " + v.getName() + " has one source");
                        if (v.getPersistentVolumeClaim() != null) {
                            assertTrue(claims.contains(v.getPersistentVolumeClaim().getClaimName()), what + ": the claim exists");
                        }
                    }
                    if (components.contains("model-pvc") && !d.getMetadata().getName().equals("gateway")) {
                        var claim = items.stream().filter(io.fabric8.kubernetes.api.model.PersistentVolumeClaim.class::isInstance)
                                .map(io.fabric8.kubernetes.api.model.PersistentVolumeClaim.class::cast).findFirst().orElseThrow();
                        assertEquals("", claim.getSpec().getStorageClassName(), "never dynamically provisioned (empty)");
                        assertNotNull(claim.getSpec().getVolumeName(), "bound to the pre-populated volume");
                        assertTrue(d.getSpec().getTemplate().getSpec().getInitContainers().isEmpty(), what + ": no model copy");
                    }
                }
                Map<String, Integer> scalers = new java.util.HashMap<>();
                for (HasMetadata item : items) {
                    String target = item instanceof HorizontalPodAutoscaler h ? h.getSpec().getScaleTargetRef().getName()
                            : item.getKind().equals("ScaledObject") ? (String) ((Map<?, ?>) spec(item).get("scaleTargetRef")).get("name") : null;
                    if (target != null) {
                        assertTrue(deployments.stream().anyMatch(d -> d.getMetadata().getName().equals(target)), what + ": " + target);
                        scalers.merge(target, 1, Integer::sum);
                    }
                }
                for (Deployment d : deployments) {
                    assertEquals(1, scalers.getOrDefault(d.getMetadata().getName(), 0), what + ": "
                            + d.getMetadata().getName() + " has exactly one autoscaler");
                    assertEquals(null, d.getSpec().getReplicas(), what + ": no replicas beside the autoscaler");
                }
                for (HasMetadata m : items.stream().filter(i -> i.getKind().endsWith("Monitor")).toList()) {
                    assertEquals("PodMonitor", m.getKind(), "one kind of monitor: every series stored once");
                    assertNotNull(m.getMetadata().getLabels().get("release"), "the label kube-prometheus-stack selects by");
                    @SuppressWarnings("unchecked")
                    Map<String, String> match = (Map<String, String>) ((Map<?, ?>) spec(m).get("selector")).get("matchLabels");
                    assertTrue(deployments.stream().anyMatch(d -> d.getSpec().getTemplate().getMetadata().getLabels().entrySet()
                            .containsAll(match.entrySet())), what + ": " + m.getMetadata().getName() + " selects pods");
                    assertEquals("https", ((Map<?, ?>) ((List<?>) spec(m).get("podMetricsEndpoints")).get(0)).get("scheme"),
                            "metrics follow the pods' TLS");
                }
                if (components.contains("keda")) {
                    HasMetadata so = items.stream().filter(i -> i.getKind().equals("ScaledObject")).findFirst().orElseThrow();
                    Map<?, ?> trigger = (Map<?, ?>) ((List<?>) spec(so).get("triggers")).get(0);
                    String query = (String) ((Map<?, ?>) trigger.get("metadata")).get("query");
                    double threshold = Double.parseDouble((String) ((Map<?, ?>) trigger.get("metadata")).get("threshold"));
                    // AverageValue: the HPA divides the query's value by the replicas; three pods with 8 queued each
                    assertEquals("AverageValue", trigger.get("metricType"));
                    assertTrue(query.startsWith("sum("), query);
                    double value = 3 * 8;   // what sum(...) returns
                    assertEquals(6, (int) Math.ceil(value / threshold), "3 pods with 8 queued each scale out to 6");
                }
                if (overlay.endsWith("gpu")) {
                    Deployment runner = deployments.stream().filter(d -> d.getMetadata().getName().equals("vlm-runner")).findFirst().orElseThrow();
                    var pod = runner.getSpec().getTemplate().getSpec();
                    assertTrue(pod.getNodeSelector() == null || !pod.getNodeSelector().containsKey("nvidia.com/gpu.present"),
                            "the GPU request places the pod; no GPU Feature Discovery label needed");
                    assertEquals(0, runner.getSpec().getStrategy().getRollingUpdate().getMaxSurge().getIntVal(),
                            "a rollout needs no spare GPU");
                }
            }
        }
    }

    /**
     * The examples follow their APIs' rules: a Gateway's HTTPS listener terminates TLS (Passthrough is for
     * TLS listeners), and every host an Ingress serves is a name of the certificate it uses.
     */
    @Test
    void examplesFollowTheirApisRules() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper yaml = new com.fasterxml.jackson.databind.ObjectMapper(
                new com.fasterxml.jackson.dataformat.yaml.YAMLFactory());
        List<com.fasterxml.jackson.databind.JsonNode> docs = new ArrayList<>();
        for (String f : List.of("examples/gateway-api-grpcroute.yaml", "examples/ingress-nginx.yaml",
                "cert-manager/certificates.yaml")) {
            try (var parser = yaml.getFactory().createParser(K8S.resolve(f).toFile())) {
                docs.addAll(yaml.readValues(parser, com.fasterxml.jackson.databind.JsonNode.class).readAll());
            }
        }
        Map<String, Set<String>> names = new java.util.HashMap<>();
        for (var d : docs) {
            if (d.path("kind").asText().equals("Certificate")) {
                Set<String> dns = new java.util.HashSet<>();
                d.path("spec").path("dnsNames").forEach(n -> dns.add(n.asText()));
                names.put(d.path("spec").path("secretName").asText(), dns);
            }
        }
        int checked = 0;
        for (var d : docs) {
            if (d.path("kind").asText().equals("Gateway")) {
                for (var l : d.path("spec").path("listeners")) {
                    if (l.path("protocol").asText().equals("HTTPS")) {
                        assertEquals("Terminate", l.path("tls").path("mode").asText("Terminate"), "an HTTPS listener terminates TLS");
                        checked++;
                    }
                }
            }
            if (d.path("kind").asText().equals("Ingress")) {
                for (var t : d.path("spec").path("tls")) {
                    Set<String> dns = names.get(t.path("secretName").asText());
                    assertNotNull(dns, "the Ingress's certificate is issued in the example");
                    t.path("hosts").forEach(h -> assertTrue(dns.contains(h.asText()), h.asText() + " is a name of its certificate"));
                    checked++;
                }
            }
        }
        assertEquals(3, checked, "one Gateway listener and two Ingress TLS entries");
    }

    /** What a renderer can check of the base's hardening: memory, storage, JVM, network and identities. */
    @Test
    void podsAreSizedIsolatedAndHoldOnlyTheirOwnIdentity() throws Exception {
        List<HasMetadata> items = parse(kubectl() ? render("gpu") : base());
        for (Deployment d : items.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast).toList()) {
            String name = d.getMetadata().getName();
            var pod = d.getSpec().getTemplate().getSpec();
            var c = pod.getContainers().get(0);
            var req = c.getResources().getRequests();
            var lim = c.getResources().getLimits();
            assertEquals(lim.get("memory"), req.get("memory"), name + ": memory requested as limited (heap within the request)");
            assertNotNull(req.get("ephemeral-storage"), name + " requests ephemeral storage for /tmp and the model copy");
            long emptyDirs = pod.getVolumes().stream().filter(v -> v.getEmptyDir() != null && v.getEmptyDir().getSizeLimit() != null)
                    .mapToLong(v -> io.fabric8.kubernetes.api.model.Quantity.getAmountInBytes(v.getEmptyDir().getSizeLimit()).longValue()).sum();
            assertTrue(io.fabric8.kubernetes.api.model.Quantity.getAmountInBytes(req.get("ephemeral-storage")).longValue() >= emptyDirs,
                    name + ": ephemeral request covers its emptyDirs");
            String jvm = c.getEnv().stream().filter(e -> e.getName().equals("JAVA_TOOL_OPTIONS")).findFirst().orElseThrow().getValue();
            assertTrue(jvm.contains("-XX:+UseG1GC"), name + ": the collector is chosen, not left to the CPU count: " + jvm);
            java.util.regex.Matcher direct = java.util.regex.Pattern.compile("MaxDirectMemorySize=(\\d+)m").matcher(jvm);
            java.util.regex.Matcher heap = java.util.regex.Pattern.compile("MaxRAMPercentage=(\\d+)").matcher(jvm);
            assertTrue(direct.find() && heap.find(), name + ": direct memory bounded: " + jvm);
            double limit = io.fabric8.kubernetes.api.model.Quantity.getAmountInBytes(lim.get("memory")).doubleValue();
            assertTrue(limit * Integer.parseInt(heap.group(1)) / 100 + Integer.parseInt(direct.group(1)) * (1 << 20) < limit * 0.9,
                    name + ": heap + direct memory leave room for the JVM and native libraries");
            Map<String, String> secretOf = new java.util.HashMap<>();
            pod.getVolumes().stream().filter(v -> v.getSecret() != null).forEach(v -> secretOf.put(v.getName(), v.getSecret().getSecretName()));
            if (!name.equals("gateway")) {
                var client = pod.getVolumes().stream().filter(v -> v.getName().equals("gateway-client-ca")).findFirst().orElseThrow();
                assertEquals(List.of("ca.crt"), client.getSecret().getItems().stream().map(i -> i.getKey()).toList(),
                        name + " sees the gateways' client CA, never their key");
                assertFalse(secretOf.get("server-tls").equals(secretOf.get("gateway-client-ca")),
                        name + ": the client CA it trusts is not the one behind its own certificate");
            }
        }
        var ns = items.stream().filter(io.fabric8.kubernetes.api.model.Namespace.class::isInstance).findFirst().orElseThrow();
        assertEquals("restricted", ns.getMetadata().getLabels().get("pod-security.kubernetes.io/enforce"));
        var policies = items.stream().filter(io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class::isInstance)
                .map(io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class::cast).toList();
        assertTrue(policies.stream().anyMatch(np -> np.getSpec().getPodSelector().getMatchLabels() == null
                || np.getSpec().getPodSelector().getMatchLabels().isEmpty()
                && np.getSpec().getPolicyTypes().containsAll(List.of("Ingress", "Egress"))
                && np.getSpec().getIngress().isEmpty() && np.getSpec().getEgress().isEmpty()), "a default deny");
        for (var np : policies) {
            for (var rule : np.getSpec().getEgress()) {
                for (var peer : rule.getTo()) {
                    if (peer.getIpBlock() != null) {
                        assertTrue(peer.getIpBlock().getExcept().contains("169.254.169.254/32"), "no egress to the metadata endpoint");
                    }
                }
            }
            for (var rule : np.getSpec().getIngress()) {
                for (var peer : rule.getFrom()) {
                    if (peer.getNamespaceSelector() != null && peer.getNamespaceSelector().getMatchLabels() != null) {
                        assertFalse(peer.getNamespaceSelector().getMatchLabels().containsValue("monitoring"),
                                "the scraper's namespace is chosen by a label, not named");
                    }
                }
            }
        }
        Deployment gateway = items.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast)
                .filter(d -> d.getMetadata().getName().equals("gateway")).findFirst().orElseThrow();
        assertTrue(gateway.getSpec().getTemplate().getSpec().getContainers().get(0).getPorts().stream()
                .anyMatch(p -> p.getName().equals("https") && p.getContainerPort() == 8080), "the TLS port is named https");
    }
}
