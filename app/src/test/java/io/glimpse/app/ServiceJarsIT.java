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
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String bundle = StackFixture.HOME.resolve("models/glimpse-shapes").toString();
        int tok = ServiceProcess.freePort();
        int prune = ServiceProcess.freePort();
        int run = ServiceProcess.freePort();
        int gw = ServiceProcess.freePort();
        List<Process> procs = new ArrayList<>();
        try {
            // started as plain `java -jar`, without --add-modules: the pruner's kernels take their scalar form
            for (String[] s : new String[][]{{"tokenizer", "" + tok}, {"pruner", "" + prune}, {"runner", "" + run}}) {
                procs.add(new ProcessBuilder(java, "-Xmx512m", "-jar", jar(s[0]).toString(), "serve", s[0], "--port", s[1],
                        "--bundle", bundle, "--device", "cpu").inheritIO().start());
            }
            procs.add(new ProcessBuilder(java, "-Xmx256m", "-jar", jar("gateway").toString(), "serve", "gateway", "--port", "" + gw,
                    "--tokenizer-target", "127.0.0.1:" + tok, "--pruner-target", "127.0.0.1:" + prune,
                    "--runner-target", "127.0.0.1:" + run).inheritIO().start());
            ManagedChannel ch = Grpc.newChannelBuilder("127.0.0.1:" + gw, InsecureChannelCredentials.create()).build();
            try {
                ExampleSet.Example e = StackFixture.examples().examples().get(6);
                String answer = null;
                for (int i = 0; i < 120 && answer == null; i++) {
                    try {
                        answer = GlimpseGrpc.newBlockingStub(ch).withDeadlineAfter(20, TimeUnit.SECONDS)
                                .ask(StackFixture.ask(e).setPolicy(TokenPolicy.newBuilder().setPruning(Pruning.newBuilder()
                                        .setMethod(Pruning.Method.TOME).setKeepTokens(36))).build()).getAnswer();
                    } catch (io.grpc.StatusRuntimeException notYet) {
                        Thread.sleep(500);
                    }
                }
                assertEquals(e.answer(), answer);
                var quota = GlimpseGrpc.newBlockingStub(ch).withDeadlineAfter(20, TimeUnit.SECONDS)
                        .ask(StackFixture.ask(e).setPolicy(TokenPolicy.newBuilder().setPruning(Pruning.newBuilder()
                                .setMethod(Pruning.Method.QUOTA).setKeepTokens(36))).build());
                assertTrue(quota.getUsage().getVisualTokensUsed() <= 36 && !quota.getAnswer().isBlank());
            } finally {
                ch.shutdownNow();
            }
        } finally {
            for (Process p : procs) {
                p.destroy();
            }
            for (Process p : procs) {
                p.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }
}
