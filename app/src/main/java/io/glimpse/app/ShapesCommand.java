package io.glimpse.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.glimpse.shapes.Clip;
import io.glimpse.shapes.DatasetWriter;
import io.glimpse.shapes.Sample;
import io.glimpse.shapes.ScenePng;
import io.glimpse.shapes.ShapesVideoGenerator;
import io.glimpse.shapes.ShapesVqaGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code glimpse shapes generate}: Shapes-VQA samples for training (compact) or as PNG + JSONL. */
@Command(name = "shapes", mixinStandardHelpOptions = true, description = "Shapes-VQA data.",
        subcommands = ShapesCommand.Generate.class)
final class ShapesCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    @Command(name = "generate", mixinStandardHelpOptions = true,
            description = "Write COUNT seeded samples: images.u8 + samples.jsonl (training form), or with --png one PNG"
                    + " per sample plus questions.jsonl ({image, question, answer, family}: the eval/demo form).")
    static final class Generate implements Callable<Integer> {
        private static final ObjectMapper JSON = new ObjectMapper();

        @Option(names = "--count", required = true)
        int count;

        @Option(names = "--seed", required = true)
        long seed;

        @Option(names = "--out", required = true)
        Path out;

        @Option(names = "--distribution", defaultValue = "classic",
                description = "Scene distribution (docs/design/model.md): classic (96 x 96, 1-6 objects; models v1-v3) or"
                        + " detail (192 x 192 = 576 patches, 1-20 objects from 8 to 96 px, plain or cluttered backgrounds).")
        String distribution;

        @Option(names = "--png", description = "PNG files + questions.jsonl instead of the compact training form.")
        boolean png;

        @Option(names = "--frames", paramLabel = "N|MIN-MAX",
                description = "Shapes-Video clips of N frames (or MIN to MAX, drawn per clip; 2..8, or 2..16 with --distribution"
                        + " detail, which adds the BRIEF family) instead of single images.")
        String frames;

        @Override
        public Integer call() throws Exception {
            if (frames != null) {
                return clips();
            }
            ShapesVqaGenerator gen = new ShapesVqaGenerator(seed, io.glimpse.shapes.SceneSpec.of(distribution));
            if (!png) {
                DatasetWriter.write(gen, count, seed, out);
            } else {
                writePng(i -> {
                    Sample s = gen.next();
                    String name = String.format("%05d.png", i);
                    Files.write(out.resolve(name), ScenePng.encode(s.scene()));
                    return JSON.createObjectNode().put("image", name).put("question", s.question())
                            .put("answer", s.answer()).put("family", s.family().key());
                });
            }
            System.out.println("wrote " + count + " samples (seed " + seed + ") to " + out);
            return 0;
        }

        /** One sample's line of questions.jsonl, after writing its PNG files. */
        private interface PngSample {
            ObjectNode write(int index) throws java.io.IOException;
        }

        /** The eval/demo form: PNG files plus a questions.jsonl line per sample. */
        private void writePng(PngSample sample) throws java.io.IOException {
            Files.createDirectories(out);
            try (BufferedWriter w = Files.newBufferedWriter(out.resolve("questions.jsonl"))) {
                for (int i = 0; i < count; i++) {
                    w.write(JSON.writeValueAsString(sample.write(i)));
                    w.write('\n');
                }
            }
        }

        private Integer clips() throws Exception {
            FrameRange range = FrameRange.parse(frames);
            ShapesVideoGenerator gen = new ShapesVideoGenerator(seed, range.min(), range.max(),
                    io.glimpse.shapes.SceneSpec.of(distribution));
            if (!png) {
                DatasetWriter.writeClips(gen, count, seed, out);
            } else {
                writePng(i -> {
                    Clip c = gen.next();
                    ObjectNode n = JSON.createObjectNode();
                    var images = n.putArray("images");
                    for (int f = 0; f < c.frames().size(); f++) {
                        String name = String.format("%05d-%d.png", i, f + 1);
                        Files.write(out.resolve(name), ScenePng.encode(c.frames().get(f)));
                        images.add(name);
                    }
                    return n.put("question", c.question()).put("answer", c.answer()).put("family", c.family().key());
                });
            }
            System.out.println("wrote " + count + " clips of " + frames + " frames (seed " + seed + ") to " + out);
            return 0;
        }
    }
}
