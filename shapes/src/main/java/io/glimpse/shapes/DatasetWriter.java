package io.glimpse.shapes;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedOutputStream;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes samples in the compact form the training script reads: {@code images.u8} (N x 96 x 96 x 3
 * uint8, row-major RGB), {@code samples.jsonl} (question, answer, family, objects) and
 * {@code meta.json}.
 */
public final class DatasetWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private DatasetWriter() {
    }

    public static void write(ShapesVqaGenerator generator, int count, long seed, Path dir) throws IOException {
        SceneSpec spec = generator.spec();
        Files.createDirectories(dir);
        try (OutputStream images = new BufferedOutputStream(Files.newOutputStream(dir.resolve("images.u8")), 1 << 20);
             BufferedWriter lines = Files.newBufferedWriter(dir.resolve("samples.jsonl"), StandardCharsets.UTF_8)) {
            for (int i = 0; i < count; i++) {
                Sample s = generator.next();
                images.write(s.scene().rgb());
                lines.write(JSON.writeValueAsString(describe(i, s)));
                lines.write('\n');
            }
        }
        ObjectNode meta = meta(count, seed, spec.canvas());
        meta.put("distribution", spec.name());
        writeMeta(dir, meta);
    }

    private static ObjectNode meta(int count, long seed, int canvas) {
        ObjectNode meta = JSON.createObjectNode();
        meta.put("count", count);
        meta.put("seed", seed);
        meta.put("height", canvas);
        meta.put("width", canvas);
        meta.put("channels", 3);
        meta.put("images", "images.u8");
        meta.put("samples", "samples.jsonl");
        return meta;
    }

    private static void writeMeta(Path dir, ObjectNode meta) throws IOException {
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("meta.json").toFile(), meta);
    }

    /**
     * Clips in the same compact form: {@code images.u8} holds every frame of every clip in order (its
     * {@code frames_total} x canvas x canvas x 3), and each line of {@code samples.jsonl} names its clip's first
     * frame ({@code offset}), frame count, tracks and the objects drawn in each frame.
     */
    public static void writeClips(ShapesVideoGenerator generator, int count, long seed, Path dir) throws IOException {
        Files.createDirectories(dir);
        long frames = 0;
        try (OutputStream images = new BufferedOutputStream(Files.newOutputStream(dir.resolve("images.u8")), 1 << 20);
             BufferedWriter lines = Files.newBufferedWriter(dir.resolve("samples.jsonl"), StandardCharsets.UTF_8)) {
            for (int i = 0; i < count; i++) {
                Clip c = generator.next();
                for (Scene f : c.frames()) {
                    images.write(f.rgb());
                }
                lines.write(JSON.writeValueAsString(describe(i, c, frames)));
                lines.write('\n');
                frames += c.frames().size();
            }
        }
        ObjectNode meta = meta(count, seed, generator.spec().canvas());
        meta.put("distribution", generator.spec().name());
        meta.put("video", true);
        meta.put("frames_total", frames);
        writeMeta(dir, meta);
    }

    static ObjectNode describe(int index, Clip c, long offset) {
        ObjectNode n = JSON.createObjectNode();
        n.put("index", index);
        n.put("family", c.family().key());
        n.put("question", c.question());
        n.put("answer", c.answer());
        n.put("frames", c.frames().size());
        n.put("offset", offset);
        n.put("noisy", c.frames().get(0).noisy());
        ArrayNode tracks = n.putArray("tracks");
        for (Track t : c.tracks()) {
            tracks.addObject().put("shape", t.shape().word()).put("color", t.color().word()).put("size", t.large() ? "large" : "small")
                    .put("first", t.first()).put("last", t.last()).put("dx", t.dx()).put("dy", t.dy());
        }
        ArrayNode perFrame = n.putArray("frame_objects");
        for (Scene f : c.frames()) {
            ArrayNode objects = perFrame.addArray();
            for (SceneObject o : f.objects()) {
                objects.add(object(o));
            }
        }
        return n;
    }

    private static ObjectNode object(SceneObject o) {
        ObjectNode on = JSON.createObjectNode();
        on.put("shape", o.shape().word());
        on.put("color", o.color().word());
        on.put("size", o.sizeWord());
        on.put("x", o.x());
        on.put("y", o.y());
        on.put("side", o.side());
        return on;
    }

    static ObjectNode describe(int index, Sample s) {
        ObjectNode n = JSON.createObjectNode();
        n.put("index", index);
        n.put("family", s.family().key());
        n.put("question", s.question());
        n.put("answer", s.answer());
        n.put("noisy", s.scene().noisy());
        n.put("clutter", s.scene().clutter().size());
        ArrayNode objects = n.putArray("objects");
        for (SceneObject o : s.scene().objects()) {
            objects.add(object(o));
        }
        return n;
    }
}
