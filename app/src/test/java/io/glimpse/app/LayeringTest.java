package io.glimpse.app;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Domain code (algorithms, engines, allocation math) has no io.grpc import; only grpc packages map protos. */
class LayeringTest {
    static final List<String> DOMAIN = List.of("/encode/", "/image/", "/select/", "/engine/", "/chain/", "/tensor/",
            "/bundle/", "/onnx/", "/tokens/", "/cost/", "/admission/", "/error/", "/shapes/", "/kernel/", "/query/",
            "/lm/", "/schedule/");

    @Test
    void domainPackagesDoNotImportGrpcOrProtos() throws IOException {
        List<Path> domainFiles;
        try (Stream<Path> files = Files.walk(StackFixture.HOME)) {
            domainFiles = files.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/main/java/"))
                    .filter(p -> DOMAIN.stream().anyMatch(d -> p.toString().replace('\\', '/').contains(d)))
                    .toList();
        }
        assertTrue(domainFiles.size() > 30, "found the domain sources: " + domainFiles.size());
        List<String> offenders = domainFiles.stream().filter(p -> {
            try {
                String src = Files.readString(p);
                return src.contains("import io.grpc.") || src.contains("import io.glimpse.proto.");
            } catch (IOException e) {
                return true;
            }
        }).map(Path::toString).toList();
        assertEquals(List.of(), offenders);
    }
}
