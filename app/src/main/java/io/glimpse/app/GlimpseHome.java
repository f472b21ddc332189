package io.glimpse.app;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the checkout lives: -Dglimpse.home, $GLIMPSE_HOME, else the working directory. */
final class GlimpseHome {
    static final String DEFAULT_BUNDLE = "models/glimpse-shapes";

    private GlimpseHome() {
    }

    static Path dir() {
        String p = System.getProperty("glimpse.home");
        if (p == null || p.isBlank()) {
            p = System.getenv("GLIMPSE_HOME");
        }
        return Path.of(p == null || p.isBlank() ? "." : p).toAbsolutePath().normalize();
    }

    /** An explicit bundle path, else $GLIMPSE_BUNDLE, else the bundled default model. */
    static Path bundle(Path explicit) {
        if (explicit != null) {
            return explicit;
        }
        String env = System.getenv("GLIMPSE_BUNDLE");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return dir().resolve(DEFAULT_BUNDLE);
    }

    static Path examples() {
        Path p = dir().resolve("examples");
        return Files.isDirectory(p) ? p : Path.of("examples");
    }
}
