package io.glimpse.tokenizer.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.glimpse.model.bundle.ModelBundle;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The Idefics3 preprocessing against the reference (tools/smolvlm_tiny.py: Pillow's LANCZOS and
 * transformers' processor logic): tile layout and every tile's pixel sum, on images of several
 * sizes and aspect ratios.
 */
class Idefics3TilesTest {
    private static final Path BUNDLE = Path.of(System.getProperty("glimpse.smolvlm", "../models/smolvlm-tiny"));

    @Test
    void tilesMatchTheReferenceProcessor() throws Exception {
        ModelBundle bundle = ModelBundle.open(BUNDLE);
        JsonNode cases = new ObjectMapper().readTree(BUNDLE.resolve("reference/fixtures.json").toFile()).get("cases");
        ImageDecoder decoder = new ImageDecoder(ImageLimits.defaults());
        int checked = 0;
        for (JsonNode c : cases) {
            if (c.get("images").size() != 1) {
                continue;
            }
            byte[] png = Files.readAllBytes(BUNDLE.resolve("reference").resolve(c.get("images").get(0).asText()));
            Idefics3Tiles t;
            try (DecodedImage img = decoder.decode(png, "test")) {
                t = Idefics3Tiles.of(img.rgbBytes(), img.width(), img.height(), ((io.glimpse.model.bundle.ModelFamily.Idefics3) bundle.family()).spec());
            }
            assertEquals(c.get("grids").get(0).get(0).asInt(), t.rows(), c.toString());
            assertEquals(c.get("grids").get(0).get(1).asInt(), t.cols());
            JsonNode sums = c.get("tile_sums");
            assertEquals(sums.size(), t.count());
            int plane = 3 * t.tile() * t.tile();
            for (int i = 0; i < t.count(); i++) {
                double sum = 0;
                for (int j = 0; j < plane; j++) {
                    sum += t.pixels()[i * plane + j];
                }
                assertEquals(sums.get(i).asDouble(), sum, 1e-3, "tile " + i + " of " + c.get("images"));
            }
            checked++;
        }
        assertEquals(4, checked);
    }

    @Test
    void sizesFollowTheProcessorsArithmetic() {
        assertArrayEquals(new int[]{76, 128}, Idefics3Tiles.longestEdge(96, 160, 128), "160 / (5/3) = 76.8, truncated");
        assertArrayEquals(new int[]{128, 52}, Idefics3Tiles.longestEdge(150, 60, 128), "51 is odd: 52");
        assertArrayEquals(new int[]{1820, 910}, Idefics3Tiles.longestEdge(4000, 2000, 2048), "capped at 1820");
        assertArrayEquals(new int[]{128, 128}, Idefics3Tiles.multiplesOf(78, 128, 64));
        assertArrayEquals(new int[]{128, 64}, Idefics3Tiles.multiplesOf(128, 52, 64));
    }
}
