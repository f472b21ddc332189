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

/** A JSONL file of {@code {"image": path, "question": ..., "answer": ..., "family": ...}}, images relative to it. */
record ExampleSet(List<Example> examples) {
    record Example(Path image, String question, String answer, String family) {
        /** An Ask request for this example: its image bytes and question, default policy. */
        AskRequest.Builder askBuilder() {
            try {
                return AskRequest.newBuilder().setQuestion(question).addImages(Image.newBuilder()
                        .setName(image.getFileName().toString()).setData(ByteString.copyFrom(Files.readAllBytes(image))));
            } catch (IOException e) {
                throw GlimpseException.invalid("cannot read " + image + ": " + e.getMessage());
            }
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
                if (!n.hasNonNull("image") || !n.hasNonNull("question")) {
                    throw GlimpseException.invalid(jsonl + ": every line needs 'image' and 'question': " + line);
                }
                out.add(new Example(jsonl.toAbsolutePath().getParent().resolve(n.get("image").asText()),
                        n.get("question").asText(), n.path("answer").asText(""), n.path("family").asText("")));
            }
        } catch (IOException e) {
            throw GlimpseException.invalid("cannot read " + jsonl + ": " + e.getMessage());
        }
        return new ExampleSet(out);
    }
}
