package io.glimpse.common.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Extractions left by ended processes go; one a live process maps, a fresh one and unrelated files stay. */
class StaleNativeExtractionsTest {
    @TempDir
    Path tmp;

    private Path extraction(String name, Instant modified) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.write(dir.resolve("libonnxruntime.so"), new byte[4096]);
        Files.setLastModifiedTime(dir, FileTime.from(modified));
        return dir;
    }

    @Test
    void removesOnlyWhatNoRunningProcessUses() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self")), "Linux /proc");
        Instant old = Instant.now().minus(Duration.ofHours(1));
        Path crashed = extraction("onnxruntime-java123", old);
        Path crashedCv = extraction("opencv_openpnp456", old);
        Path live = extraction("onnxruntime-java789", old);
        Path fresh = extraction("onnxruntime-java000", Instant.now());
        Path other = extraction("someone-elses-dir", old);
        try (RandomAccessFile f = new RandomAccessFile(live.resolve("libonnxruntime.so").toFile(), "r");
             FileChannel ch = f.getChannel()) {
            MappedByteBuffer mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, 4096);   // as a loaded library is
            long freed = StaleNativeExtractions.clean(tmp, Path.of("/proc"), Instant.now());
            assertEquals(2 * 4096, freed);
            assertFalse(Files.exists(crashed));
            assertFalse(Files.exists(crashedCv));
            assertTrue(Files.exists(live.resolve("libonnxruntime.so")), "a running process's copy stays");
            assertTrue(Files.exists(fresh), "one being unpacked now stays");
            assertTrue(Files.exists(other), "nothing else is touched");
            assertEquals(0, mapped.get(0));
        }
        assertEquals(0, StaleNativeExtractions.clean(tmp, tmp.resolve("no-proc"), Instant.now()), "no /proc: nothing removed");
    }
}
