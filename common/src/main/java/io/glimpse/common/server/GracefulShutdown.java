package io.glimpse.common.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * SIGTERM and SIGINT drain the service before the JVM starts shutting down. ONNX Runtime's Java
 * library registers its own shutdown hook that frees the native environment; JVM shutdown hooks
 * run concurrently, so draining in a hook of ours let that one free sessions under a running
 * generation (SIGSEGV). Handling the signal ourselves orders it: drain, close the sessions, then
 * exit, and only then do the library's hooks run.
 */
public final class GracefulShutdown {
    private static final Logger LOG = LoggerFactory.getLogger(GracefulShutdown.class);

    private GracefulShutdown() {
    }

    /** On SIGTERM/SIGINT: run {@code drain} on a thread of its own, then exit with status 0. */
    public static void onSignal(String name, Runnable drain) {
        Runnable stop = () -> {
            try {
                drain.run();
            } catch (RuntimeException e) {
                LOG.warn("{}: draining failed: {}", name, e.toString());
            }
            System.exit(0);
        };
        for (String sig : new String[]{"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(sig), s -> {
                    LOG.info("{}: SIG{} received, draining", name, sig);
                    new Thread(stop, name + "-drain").start();
                });
            } catch (IllegalArgumentException e) {
                LOG.warn("{}: cannot handle SIG{} ({}); relying on the shutdown hook", name, sig, e.getMessage());
            }
        }
        // other exits (System.exit elsewhere, SIGHUP): still drain, though without the ordering above
        Runtime.getRuntime().addShutdownHook(new Thread(drain, name + "-shutdown"));
    }
}
