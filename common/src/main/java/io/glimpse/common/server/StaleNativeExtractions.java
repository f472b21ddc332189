package io.glimpse.common.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Removes native libraries that ONNX Runtime and OpenCV unpacked into the temporary directory for a
 * process that no longer runs. They delete their copies only on a clean exit, so every crash leaves
 * one behind (about 84 MiB a time for the CPU build, 350 MiB of CUDA provider for the GPU build);
 * in a pod whose {@code /tmp} is a size-limited emptyDir that survives container restarts, the third
 * crash or so would get the pod evicted. A directory is removed only when no running process maps
 * a file inside it (read from {@code /proc/<pid>/maps}, so another Glimpse on the same machine keeps
 * its copy) and it is older than a minute (not one being unpacked right now). Where {@code /proc}
 * does not exist nothing is removed.
 */
public final class StaleNativeExtractions {
    private static final Logger LOG = LoggerFactory.getLogger(StaleNativeExtractions.class);
    /** What each library names its extraction directory ({@code Files.createTempDirectory(prefix)}). */
    static final List<String> PREFIXES = List.of("onnxruntime-java", "opencv_openpnp");
    private static final Duration MIN_AGE = Duration.ofMinutes(1);

    private StaleNativeExtractions() {
    }

    /** Cleans {@code java.io.tmpdir}; returns the bytes freed. */
    public static long clean() {
        return clean(Path.of(System.getProperty("java.io.tmpdir")), Path.of("/proc"), Instant.now());
    }

    static long clean(Path tmp, Path proc, Instant now) {
        if (!Files.isDirectory(proc.resolve("self"))) {
            return 0;
        }
        Set<Path> inUse = mappedDirectories(proc, tmp);
        long freed = 0;
        int removed = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(tmp)) {
            for (Path dir : entries) {
                String name = dir.getFileName().toString();
                if (PREFIXES.stream().noneMatch(name::startsWith) || !Files.isDirectory(dir) || inUse.contains(dir)) {
                    continue;
                }
                FileTime modified = Files.getLastModifiedTime(dir);
                if (modified.toInstant().isAfter(now.minus(MIN_AGE))) {
                    continue;
                }
                long size = removeTree(dir);
                freed += size;
                removed++;
            }
        } catch (IOException e) {
            LOG.warn("could not clean stale native libraries in {}: {}", tmp, e.toString());
        }
        if (removed > 0) {
            LOG.info("removed {} native-library extraction(s) left in {} by processes that ended ({} MiB)", removed, tmp,
                    freed >> 20);
        }
        return freed;
    }

    /** The directories directly under {@code tmp} that hold a file some running process maps. */
    private static Set<Path> mappedDirectories(Path proc, Path tmp) {
        Set<Path> dirs = new HashSet<>();
        String root = tmp.toAbsolutePath().normalize() + "/";
        try (DirectoryStream<Path> pids = Files.newDirectoryStream(proc, p -> p.getFileName().toString().chars()
                .allMatch(Character::isDigit))) {
            for (Path pid : pids) {
                try (Stream<String> lines = Files.lines(pid.resolve("maps"))) {
                    lines.forEach(line -> {
                        int at = line.indexOf(root);
                        if (at >= 0) {
                            String rest = line.substring(at + root.length());
                            int slash = rest.indexOf('/');
                            if (slash > 0) {
                                dirs.add(tmp.toAbsolutePath().normalize().resolve(rest.substring(0, slash)));
                            }
                        }
                    });
                } catch (IOException | java.io.UncheckedIOException gone) {
                    // the process ended meanwhile, or is not ours to read
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot list processes in {}: {}", proc, e.toString());
        }
        return dirs;
    }

    private static long removeTree(Path dir) throws IOException {
        long[] size = {0};
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                if (Files.isRegularFile(p)) {
                    size[0] += Files.size(p);
                }
                Files.deleteIfExists(p);
            }
        }
        return size[0];
    }
}
