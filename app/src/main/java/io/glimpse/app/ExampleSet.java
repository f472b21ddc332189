package io.glimpse.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.proto.v1.AskRequest;
import io.glimpse.proto.v1.Image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A JSONL file of {@code {"image": path, "question": ..., "answer": ..., "family": ...}} (or {@code "images": [paths]}
 * for a clip of frames), paths relative to it.
 */
record ExampleSet(List<Example> examples) {
    record Example(List<Path> images, String question, String answer, String family) {
        /** The first (for single-image examples, the only) image. */
        Path image() {
            return images.get(0);
        }

        /** An Ask request for this example: its images' bytes in order and its question, default policy. */
        AskRequest.Builder askBuilder() {
            AskRequest.Builder b = AskRequest.newBuilder().setQuestion(question);
            for (Path image : images) {
                try {
                    b.addImages(Image.newBuilder().setName(image.getFileName().toString())
                            .setData(ByteString.copyFrom(Files.readAllBytes(image))));
                } catch (IOException e) {
                    throw GlimpseException.invalid("cannot read " + image + ": " + e.getMessage());
                }
            }
            return b;
        }
    }

    static ExampleSet read(Path jsonl) {
        ObjectMapper json = new ObjectMapper();
        List<Example> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(jsonl)) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n = json.readTree(line);
                if (!(n.hasNonNull("image") || n.path("images").size() > 0) || !n.hasNonNull("question")) {
                    throw GlimpseException.invalid(jsonl + ": every line needs 'image' (or 'images') and 'question': " + line);
                }
                Path dir = jsonl.toAbsolutePath().getParent();
                List<Path> images = new ArrayList<>();
                if (n.hasNonNull("image")) {
                    images.add(dir.resolve(n.get("image").asText()));
                }
                n.path("images").forEach(i -> images.add(dir.resolve(i.asText())));
                out.add(new Example(List.copyOf(images), n.get("question").asText(), n.path("answer").asText(""),
                        n.path("family").asText("")));
            }
        } catch (IOException e) {
            throw GlimpseException.invalid("cannot read " + jsonl + ": " + e.getMessage());
        }
        return new ExampleSet(out);
    }
}
