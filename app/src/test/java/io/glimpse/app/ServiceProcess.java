package io.glimpse.app;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A Glimpse service as its own JVM ({@code glimpse serve ...}), for tests that need a real process: signals, kill -9, heap limits. */
final class ServiceProcess implements AutoCloseable {
    final Process process;
    final int port;
    final Path log;

    private ServiceProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Starts {@code glimpse serve SERVICE} on a free loopback port with the given heap and extra flags; waits until ready. */
    static ServiceProcess start(String service, String heap, String... flags) throws Exception {
        return start(service, freePort(), heap, flags);
    }

    static ServiceProcess start(String service, int port, String heap, String... flags) throws Exception {
        return launch(List.of("-XX:+ExitOnOutOfMemoryError", "--add-modules=jdk.incubator.vector", "-cp",
                System.getProperty("java.class.path"), GlimpseCli.class.getName()), service, port, heap, flags);
    }

    /**
     * Starts {@code java -jar JAR serve SERVICE} as an image runs it (no --add-modules); backends with the
     * bundled model, the gateway with the given flags only. Waits until a backend is ready.
     */
    static ServiceProcess startJar(Path jar, String service, int port, String heap, String... flags) throws Exception {
        return launch(List.of("-jar", jar.toString()), service, port, heap, flags);
    }

    private static ServiceProcess launch(List<String> java, String service, int port, String heap, String... flags)
            throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + heap));
        cmd.addAll(java);
        cmd.addAll(List.of("serve", service, "--port", Integer.toString(port)));
        if (!service.equals("gateway")) {
            cmd.addAll(List.of("--bundle", StackFixture.TEST_BUNDLE.toString(), "--device", "cpu"));
        }
        cmd.addAll(List.of(flags));
        Path log = Files.createTempFile("glimpse-" + service + "-", ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        ServiceProcess sp = new ServiceProcess(p, port, log);
        if (!service.equals("gateway")) {
            sp.awaitReady(120);
        }
        return sp;
    }

    /** Polls the readiness health service until SERVING. */
    void awaitReady(int seconds) throws Exception {
        ManagedChannel ch = Grpc.newChannelBuilder("127.0.0.1:" + port, InsecureChannelCredentials.create()).build();
        try {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < end) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("process exited with " + process.exitValue() + ":\n" + output());
                }
                try {
                    var r = HealthGrpc.newBlockingStub(ch).withDeadlineAfter(1, TimeUnit.SECONDS)
                            .check(HealthCheckRequest.newBuilder().setService("readiness").build());
                    if (r.getStatus() == HealthCheckResponse.ServingStatus.SERVING) {
                        return;
                    }
                } catch (RuntimeException notYet) {
                    // not listening yet
                }
                Thread.sleep(100);
            }
            throw new IllegalStateException("not ready after " + seconds + " s:\n" + output());
        } finally {
            ch.shutdownNow();
        }
    }

    String target() {
        return "127.0.0.1:" + port;
    }

    String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** kill -9. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        Files.deleteIfExists(log);
        new File(log.toString()).delete();
    }
}
