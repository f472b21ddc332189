package io.glimpse.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CliTest {
    private static String run(int expectedExit, String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true));
        try {
            assertEquals(expectedExit, GlimpseCli.run(args), String.join(" ", args));
        } finally {
            System.setOut(old);
        }
        return buf.toString();
    }

    @Test
    void bundleCheckPassesOnTheShippedBundleAndNamesProblemsElsewhere(@TempDir Path tmp) throws Exception {
        String ok = run(0, "bundle", "check", StackFixture.HOME.resolve("models/glimpse-shapes").toString());
        assertTrue(ok.contains("is valid"), ok);
        Files.createDirectories(tmp.resolve("empty"));
        String bad = run(1, "bundle", "check", tmp.resolve("empty").toString());
        assertTrue(bad.contains("has no config.json"), bad);
    }

    @Test
    void shapesGenerateWritesBothForms(@TempDir Path tmp) throws Exception {
        run(0, "shapes", "generate", "--count", "5", "--seed", "3", "--out", tmp.resolve("c").toString());
        assertEquals(5L * 96 * 96 * 3, Files.size(tmp.resolve("c/images.u8")));
        assertEquals(5, Files.readAllLines(tmp.resolve("c/samples.jsonl")).size());
        run(0, "shapes", "generate", "--count", "3", "--seed", "3", "--out", tmp.resolve("p").toString(), "--png");
        assertEquals(3, Files.readAllLines(tmp.resolve("p/questions.jsonl")).size());
        assertTrue(Files.exists(tmp.resolve("p/00002.png")));
    }

    @Test
    void demoPrintsTheTable() {
        String out = run(0, "demo", "--bundle", StackFixture.HOME.resolve("models/glimpse-shapes").toString(),
                "--examples", StackFixture.HOME.resolve("examples/examples.jsonl").toString());
        assertTrue(out.contains("question") && out.contains("expected") && out.contains("tokens"), out);
        assertTrue(out.contains("of 10 answered as expected"), out);
        assertEquals(10 + 3, out.lines().filter(l -> !l.isBlank()).count(), out);
    }
}
