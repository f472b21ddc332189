package io.glimpse.app;

import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.proto.v1.AskRequest;

import java.nio.file.Path;

/** The bundled models and examples, for end-to-end tests. */
final class StackFixture {
    static final Path HOME = Path.of(System.getProperty("glimpse.home", "..")).toAbsolutePath().normalize();
    /**
     * The bundle most tests run on: v3, 96 x 96 images of 144 patch tokens (fast, and the geometry their budgets are
     * written for), with its examples in examples/v3.
     */
    static final Path TEST_BUNDLE = HOME.resolve("models/glimpse-shapes-v3");
    /** The default bundle (v4, 576 patch tokens), with the examples in examples/: the demo and DefaultModelTest. */
    static final Path DEFAULT_BUNDLE = HOME.resolve("models/glimpse-shapes");

    private StackFixture() {
    }

    static ModelBundle bundle() {
        return ModelBundle.open(TEST_BUNDLE);
    }

    static EmbeddedStack start(EmbeddedStack.Transport t) {
        return EmbeddedStack.start(bundle(), OrtSessionFactory.cpu(), t);
    }

    /** A copy of the bundled model in {@code dir} without the named files (a bundle lacking an optional part). */
    static ModelBundle bundleWithout(Path dir, String... fileNames) throws java.io.IOException {
        Path bundle = TEST_BUNDLE;
        java.util.Set<String> skip = java.util.Set.of(fileNames);
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(bundle)) {
            for (Path f : files.toList()) {
                Path to = dir.resolve(bundle.relativize(f).toString());
                if (java.nio.file.Files.isDirectory(f)) {
                    java.nio.file.Files.createDirectories(to);
                } else if (!skip.contains(f.getFileName().toString())) {
                    java.nio.file.Files.copy(f, to);
                }
            }
        }
        return ModelBundle.open(dir);
    }

    /** TEST_BUNDLE's examples (96 x 96 scenes of the classic distribution). */
    static ExampleSet examples() {
        return ExampleSet.read(HOME.resolve("examples/v3/examples.jsonl"));
    }

    /** The default model's examples: what the explorer page lists and the demo asks. */
    static ExampleSet defaultExamples() {
        return ExampleSet.read(HOME.resolve("examples/examples.jsonl"));
    }

    static AskRequest.Builder ask(ExampleSet.Example e) {
        return e.askBuilder();
    }

    /** A PNG that is only a header claiming {@code w x h} pixels (for limits checked before decoding). */
    static byte[] pngHeaderClaiming(int w, int h) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.writeBytes(new byte[]{(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
        out.writeBytes(java.nio.ByteBuffer.allocate(25).putInt(13).put("IHDR".getBytes()).putInt(w).putInt(h)
                .put(new byte[]{8, 2, 0, 0, 0}).putInt(0).array());
        out.writeBytes(java.nio.ByteBuffer.allocate(12).putInt(0).put("IEND".getBytes()).putInt(0).array());
        return out.toByteArray();
    }
}
