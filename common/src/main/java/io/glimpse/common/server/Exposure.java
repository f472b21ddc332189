package io.glimpse.common.server;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The rule that a listener others can reach carries TLS unless plaintext was chosen: it applies to
 * every port a service opens (gRPC, HTTP, metrics). The bind address is resolved, so a host name
 * that merely starts like a loopback address ({@code 127.example.com}) is judged by what it is.
 */
public final class Exposure {
    private Exposure() {
    }

    /** True when every address {@code bind} resolves to is a loopback address. */
    public static boolean loopbackOnly(String bind) {
        try {
            InetAddress[] all = InetAddress.getAllByName(bind.strip());
            for (InetAddress a : all) {
                if (!a.isLoopbackAddress()) {
                    return false;
                }
            }
            return all.length > 0;
        } catch (UnknownHostException e) {
            return false;   // not known to be loopback: judged as reachable from elsewhere
        }
    }

    /**
     * Refuses (IllegalArgumentException with the sentence to show) a plaintext listener beyond
     * loopback that was not chosen explicitly.
     *
     * @param what      the listener, for the message ("--bind", "--metrics-bind")
     * @param tls       the listener serves TLS
     * @param plaintext plaintext beyond loopback was chosen ({@code --plaintext})
     */
    public static void check(String what, String bind, boolean tls, boolean plaintext) {
        if (!tls && !plaintext && !loopbackOnly(bind)) {
            throw new IllegalArgumentException(what + " " + bind + " listens beyond loopback without TLS: give"
                    + " --tls-cert and --tls-key, or --plaintext to choose plaintext explicitly (e.g. behind a mesh"
                    + " that encrypts)");
        }
    }
}
