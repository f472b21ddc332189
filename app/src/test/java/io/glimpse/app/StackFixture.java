package io.glimpse.app;

import io.glimpse.common.bundle.ModelBundle;
import io.glimpse.common.onnx.OrtSessionFactory;
import io.glimpse.proto.v1.AskRequest;

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

    static AskRequest.Builder ask(ExampleSet.Example e) {
        return e.askBuilder();
    }
}
