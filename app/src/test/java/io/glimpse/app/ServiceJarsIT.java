package io.glimpse.app;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.glimpse.proto.v1.GlimpseGrpc;
import io.glimpse.proto.v1.Pruning;
import io.glimpse.proto.v1.TokenPolicy;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The per-service jars the images are built from (failsafe, after package): each holds only its own
 * heavy dependencies and Linux natives, and the four of them, each in its own JVM, answer a question
 * that needs every stage (ToMe reads the tokenizer's attention; QuoTA the pruner's language model).
 */
class ServiceJarsIT {
    static final Path TARGET = StackFixture.HOME.resolve("app/target");

    static Path jar(String service) throws Exception {
        try (var s = Files.list(TARGET)) {
            return s.filter(p -> p.getFileName().toString().matches("glimpse-app-.*-" + service + "\\.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no " + service + " jar in " + TARGET));
        }
    }

    static boolean contains(Path jar, String prefix) throws Exception {
        try (ZipFile z = new ZipFile(jar.toFile())) {
            return z.stream().anyMatch(e -> e.getName().startsWith(prefix));
        }
    }

    @Test
    void eachJarCarriesOnlyWhatItsServiceUses() throws Exception {
        Path gateway = jar("gateway");
        assertTrue(!contains(gateway, "ai/onnxruntime/") && !contains(gateway, "nu/pattern/opencv/")
                && !contains(gateway, "native/lib/"), "the gateway carries no model runtime, OpenCV or tokenizers natives");
        for (String s : List.of("gateway", "tokenizer", "pruner", "runner")) {
            Path j = jar(s);
            for (String foreign : List.of("ai/onnxruntime/native/osx-", "ai/onnxruntime/native/win-", "nu/pattern/opencv/osx/",
                    "nu/pattern/opencv/windows/", "native/lib/osx-", "native/lib/win-", "com/sun/jna/darwin-")) {
                assertTrue(!contains(j, foreign), s + " jar carries " + foreign);
            }
            assertTrue(Files.size(j) < 120L << 20, s + " jar is " + (Files.size(j) >> 20) + " MiB");
        }
        assertTrue(contains(jar("tokenizer"), "nu/pattern/opencv/linux/x86_64/"), "Linux natives stay");
        assertTrue(contains(jar("runner"), "ai/onnxruntime/native/linux-x64/"), "Linux natives stay");
        assertTrue(!contains(jar("runner"), "nu/pattern/opencv/"), "the runner decodes no images");
    }

    @Test
    void theFourJarsServeTheChain() throws Exception {
        List<ServiceProcess> procs = new ArrayList<>();
        try {
            // started as plain `java -jar`, without --add-modules: the pruner's kernels take their scalar form.
            // The backends are ready before the gateway starts, so its channels never sit in reconnect backoff.
            for (String s : List.of("tokenizer", "pruner", "runner")) {
                procs.add(ServiceProcess.startJar(jar(s), s, ServiceProcess.freePort(), "512m"));
            }
            ServiceProcess gateway = ServiceProcess.startJar(jar("gateway"), "gateway", ServiceProcess.freePort(), "256m",
                    "--tokenizer-target", procs.get(0).target(), "--pruner-target", procs.get(1).target(),
                    "--runner-target", procs.get(2).target());
            procs.add(gateway);
            ManagedChannel ch = Grpc.newChannelBuilder(gateway.target(), InsecureChannelCredentials.create()).build();
            try {
                ExampleSet.Example e = StackFixture.examples().examples().get(6);
                String answer = null;
                RuntimeException last = null;
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (answer == null && System.nanoTime() < end) {
                    try {
                        answer = GlimpseGrpc.newBlockingStub(ch).withDeadlineAfter(20, TimeUnit.SECONDS)
                                .ask(StackFixture.ask(e).setPolicy(TokenPolicy.newBuilder().setPruning(Pruning.newBuilder()
                                        .setMethod(Pruning.Method.TOME).setKeepTokens(36))).build()).getAnswer();
                    } catch (io.grpc.StatusRuntimeException notYet) {
                        last = notYet;
                        Thread.sleep(500);
                    }
                }
                String why = "last error " + last + "\n" + procs.stream().map(p -> p.output()).reduce("", String::concat);
                assertEquals(e.answer(), answer, why);
                var quota = GlimpseGrpc.newBlockingStub(ch).withDeadlineAfter(20, TimeUnit.SECONDS)
                        .ask(StackFixture.ask(e).setPolicy(TokenPolicy.newBuilder().setPruning(Pruning.newBuilder()
                                .setMethod(Pruning.Method.QUOTA).setKeepTokens(36))).build());
                assertTrue(quota.getUsage().getVisualTokensUsed() <= 36 && !quota.getAnswer().isBlank());
            } finally {
                ch.shutdownNow();
            }
        } finally {
            for (ServiceProcess p : procs) {
                p.process.destroy();
            }
            for (ServiceProcess p : procs) {
                p.process.waitFor(30, TimeUnit.SECONDS);
                p.close();
            }
        }
    }
}
