package io.glimpse.gateway.discovery;

import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Ready backend pods from the EndpointSlices of a Service (fabric8 informer): endpoints whose
 * condition is ready (unset counts as ready, as the API says) and not terminating — or, when none
 * is, those serving while terminating — on the slice's port named {@code grpc} (or {@code grpc-*}). A pod that appears is in the next list within
 * the watch latency; plain DNS round-robin would only see it when connections break. A failed
 * list or watch is retried with backoff for as long as the watch is open.
 */
public final class KubernetesDiscovery implements BackendDiscovery {
    private static final Logger LOG = LoggerFactory.getLogger(KubernetesDiscovery.class);
    public static final String SERVICE_LABEL = "kubernetes.io/service-name";

    private final KubernetesClient client;
    private final String namespace;
    private final List<SharedIndexInformer<EndpointSlice>> informers = new ArrayList<>();

    /** From inside a pod (or a kubeconfig): {@code namespace}, or the pod's own when blank, else "default". */
    public static KubernetesDiscovery inCluster(String namespace) {
        KubernetesClient client = new io.fabric8.kubernetes.client.KubernetesClientBuilder().build();
        String ns = namespace == null || namespace.isBlank() ? client.getNamespace() : namespace;
        return new KubernetesDiscovery(client, ns == null ? "default" : ns);
    }

    public KubernetesDiscovery(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
    }

    @Override
    public synchronized AutoCloseable watch(String service, Listener listener) {
        SharedIndexInformer<EndpointSlice>[] holder = new SharedIndexInformer[1];
        ResourceEventHandler<EndpointSlice> handler = new ResourceEventHandler<>() {
            @Override
            public void onAdd(EndpointSlice s) {
                publish();
            }

            @Override
            public void onUpdate(EndpointSlice before, EndpointSlice after) {
                publish();
            }

            @Override
            public void onDelete(EndpointSlice s, boolean unknownFinalState) {
                publish();
            }

            private void publish() {
                if (holder[0] != null) {
                    List<InetSocketAddress> ready = ready(holder[0].getStore().list());
                    LOG.debug("{}: {} ready endpoints", service, ready.size());
                    listener.onAddresses(ready);
                }
            }
        };
        SharedIndexInformer<EndpointSlice> informer = client.discovery().v1().endpointSlices().inNamespace(namespace)
                .withLabel(SERVICE_LABEL, service).runnableInformer(0);
        holder[0] = informer;
        informer.addEventHandler(handler);
        // keep retrying (with the informer's backoff) after a failed list or watch: a missing
        // RBAC rule or an API-server blip must not leave the gateway without backends for good
        informer.exceptionHandler((started, err) -> {
            LOG.warn("EndpointSlices of {}/{}: {}; retrying", namespace, service, err.toString());
            if (!informer.hasSynced()) {   // once listed, the last good addresses stay in use
                listener.onError("cannot list EndpointSlices of " + namespace + "/" + service + ": " + err.getMessage());
            }
            return true;
        });
        informer.start().whenComplete((ok, err) -> {
            if (err != null) {
                listener.onError("cannot watch EndpointSlices of " + namespace + "/" + service + ": " + err.getMessage());
            } else {
                listener.onAddresses(ready(informer.getStore().list()));
            }
        });
        informers.add(informer);
        return informer::close;
    }

    /**
     * Ready, not terminating endpoints; when there are none, those still serving while they
     * terminate (as kube-proxy falls back), so a rollout's last old pod keeps answering.
     */
    public static List<InetSocketAddress> ready(List<EndpointSlice> slices) {
        List<InetSocketAddress> ready = select(slices, false);
        return ready.isEmpty() ? select(slices, true) : ready;
    }

    private static List<InetSocketAddress> select(List<EndpointSlice> slices, boolean terminatingServing) {
        Set<InetSocketAddress> out = new LinkedHashSet<>();
        for (EndpointSlice s : slices) {
            Integer port = port(s);
            if (port == null || s.getEndpoints() == null) {
                continue;
            }
            for (Endpoint e : s.getEndpoints()) {
                var c = e.getConditions();
                boolean ready = c == null || c.getReady() == null || c.getReady();
                boolean terminating = c != null && Boolean.TRUE.equals(c.getTerminating());
                boolean serving = c == null || c.getServing() == null ? ready : c.getServing();
                boolean use = terminatingServing ? terminating && serving : ready && !terminating;
                if (!use || e.getAddresses() == null) {
                    continue;
                }
                for (String ip : e.getAddresses()) {
                    out.add(new InetSocketAddress(ip, port));
                }
            }
        }
        List<InetSocketAddress> sorted = new ArrayList<>(out);
        sorted.sort((a, b) -> (a.getHostString() + ":" + a.getPort()).compareTo(b.getHostString() + ":" + b.getPort()));
        return sorted;
    }

    /** The slice's port named {@code grpc}, else one named {@code grpc-*}; another name is not guessed at. */
    public static Integer port(EndpointSlice s) {
        if (s.getPorts() == null || s.getPorts().isEmpty()) {
            return null;
        }
        for (EndpointPort p : s.getPorts()) {
            if ("grpc".equals(p.getName())) {
                return p.getPort();
            }
        }
        for (EndpointPort p : s.getPorts()) {
            if (p.getName() != null && p.getName().startsWith("grpc-")) {
                return p.getPort();
            }
        }
        LOG.warn("EndpointSlice {} has no port named grpc or grpc-*: {}; its endpoints are not used (name the Service's"
                + " gRPC port grpc)", s.getMetadata() == null ? "?" : s.getMetadata().getName(),
                s.getPorts().stream().map(EndpointPort::getName).toList());
        return null;
    }

    @Override
    public synchronized void close() {
        informers.forEach(SharedIndexInformer::close);
        informers.clear();
    }
}
