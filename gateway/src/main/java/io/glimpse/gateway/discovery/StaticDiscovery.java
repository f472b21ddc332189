package io.glimpse.gateway.discovery;

import io.glimpse.common.error.GlimpseException;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/** Fixed addresses, {@code host:port[,host:port...]} (local runs and tests). */
public final class StaticDiscovery implements BackendDiscovery {
    @Override
    public AutoCloseable watch(String service, Listener listener) {
        listener.onAddresses(parse(service));
        return () -> { };
    }

    static List<InetSocketAddress> parse(String list) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (String part : list.split(",")) {
            String p = part.trim();
            int colon = p.lastIndexOf(':');
            if (colon <= 0) {
                throw GlimpseException.invalid("static backend address \"" + p + "\" must be host:port");
            }
            try {
                out.add(new InetSocketAddress(p.substring(0, colon), Integer.parseInt(p.substring(colon + 1))));
            } catch (IllegalArgumentException e) {
                throw GlimpseException.invalid("static backend address \"" + p + "\" must be host:port: " + e.getMessage());
            }
        }
        return out;
    }

    @Override
    public void close() {
    }
}
