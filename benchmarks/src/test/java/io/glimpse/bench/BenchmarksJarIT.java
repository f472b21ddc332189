package io.glimpse.bench;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged {@code benchmarks.jar} runs every benchmark (one short iteration each, nothing
 * timed): a class the shaded jar left out fails here instead of in whoever runs it by hand.
 */
class BenchmarksJarIT {
    @Test
    void everyBenchmarkRunsFromThePackagedJar() throws IOException, InterruptedException {
        Path jar = Path.of("target", "benchmarks.jar");
        assertTrue(Files.isRegularFile(jar), "package builds " + jar);
        Path log = Files.createTempFile("jmh", ".log");
        Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString(), "-f", "1", "-wi", "0", "-i", "1", "-r", "20ms", "-foe", "true"))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the benchmarks finish");
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out.length() > 4000 ? out.substring(out.length() - 4000) : out);
        assertFalse(out.contains("<failure>"), "every benchmark ran: " + out);
        assertTrue(out.contains("PruningBenchmarks.divPrune64Mean") && out.contains("PruningBenchmarks.zeroTPrune30Iterations"),
                "the results list the benchmarks");
    }
}
