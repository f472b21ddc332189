package io.glimpse.tokenizer.encode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The bundled model copied into a test's directory, so a test can add a part or change its config. */
final class BundleCopy {
    private BundleCopy() {
    }

    static Path bundled() {
        return Path.of(System.getProperty("glimpse.bundle"));
    }

    static void into(Path dir) throws IOException {
        Path bundled = bundled();
        try (Stream<Path> files = Files.walk(bundled)) {
            for (Path f : files.toList()) {
                Path to = dir.resolve(bundled.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(f, to);
                }
            }
        }
    }
}
