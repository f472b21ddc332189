package io.glimpse.app;

import com.google.protobuf.ByteString;
import io.glimpse.common.bundle.ModelBundle;
import io.glimpse.common.onnx.OrtSessionFactory;
import io.glimpse.proto.v1.AskRequest;
import io.glimpse.proto.v1.Image;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The bundled model and examples, for end-to-end tests. */
final class StackFixture {
    static final Path HOME = Path.of(System.getProperty("glimpse.home", "..")).toAbsolutePath().normalize();

    private StackFixture() {
    }

    static ModelBundle bundle() {
        return ModelBundle.open(HOME.resolve("models/glimpse-shapes"));
    }

    static EmbeddedStack start(EmbeddedStack.Transport t) {
        return EmbeddedStack.start(bundle(), OrtSessionFactory.cpu(), t);
    }

    static ExampleSet examples() {
        return ExampleSet.read(HOME.resolve("examples/examples.jsonl"));
    }

    static byte[] bytes(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static AskRequest.Builder ask(ExampleSet.Example e) {
        return AskRequest.newBuilder().addImages(Image.newBuilder().setData(ByteString.copyFrom(bytes(e.image()))))
                .setQuestion(e.question());
    }
}
