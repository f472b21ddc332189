package io.glimpse.app;

import io.glimpse.proto.v1.AskResponse;
import io.glimpse.proto.v1.ImageSelection;
import io.glimpse.proto.v1.Pruning;
import io.glimpse.proto.v1.TokenPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The public response carries the pruner's score of every token and the kept origins; --explain draws them. */
class ExplainTest {
    @Test
    void responseCarriesScoresAndTheOverlayShowsTheKeptTokens(@TempDir Path tmp) throws Exception {
        ExampleSet.Example e = StackFixture.examples().examples().get(6);
        AskResponse r;
        try (EmbeddedStack s = StackFixture.start(EmbeddedStack.Transport.IN_PROCESS)) {
            r = s.blocking().ask(StackFixture.ask(e).setPolicy(TokenPolicy.newBuilder().setPruning(
                    Pruning.newBuilder().setMethod(Pruning.Method.TOME).setKeepTokens(16))).build());
        }
        ImageSelection sel = r.getSelections(0);
        assertEquals(144, sel.getScoresCount(), "one score per tokenized token");
        assertEquals(144, sel.getScoredOriginCount());
        assertEquals(16, sel.getKeptOriginCount());
        assertEquals(12, sel.getGridH());

        BufferedImage img = ExplainOverlay.render(Files.readAllBytes(e.image()), sel, 384);
        Set<Integer> kept = new HashSet<>(sel.getKeptOriginList());
        int cell = 384 / 12;
        for (int o = 0; o < 144; o++) {
            int x = o % 12 * cell + 1;
            int y = o / 12 * cell + cell / 2;
            boolean green = (img.getRGB(x, y) & 0xFFFFFF) == (ExplainOverlay.KEPT.getRGB() & 0xFFFFFF);
            assertEquals(kept.contains(o), green, "cell " + o + " is outlined exactly when its token was kept");
        }

        Path out = tmp.resolve("explain.png");
        assertEquals(0, GlimpseCli.run("ask", "-i", e.image().toString(), "-q", e.question(), "--method", "TOME", "--keep", "16",
                "--explain", out.toString()));
        BufferedImage written = ImageIO.read(out.toFile());
        assertEquals(384, written.getWidth());
        assertTrue(Files.size(out) > 1000);
    }

    /** A tiled image (2 x 2 tiles of 4 x 4 tokens, then the global image): each tile's cells on its quarter. */
    @Test
    void tiledSelectionsPlaceEachTilesCellsOnItsPartOfTheImage() throws Exception {
        ImageSelection sel = ImageSelection.newBuilder().setKind(io.glimpse.proto.v1.TokenKind.GRID)
                .setGridH(4).setGridW(4).setTileRows(2).setTileCols(2).setTileTokens(16)
                .addKeptOrigin(3 * 16 + 5)        // tile (1, 1), local (1, 1): cell (5, 5) of the 8 x 8 composite
                .addKeptOrigin(4 * 16)            // the global image: no cell
                .build();
        assertEquals(java.util.List.of(8, 8), java.util.Arrays.stream(ExplainOverlay.grid(sel)).boxed().toList());
        assertEquals(java.util.List.of(5, 5), java.util.Arrays.stream(ExplainOverlay.cell(sel, 3 * 16 + 5)).boxed().toList());
        assertEquals(java.util.List.of(2, 7), java.util.Arrays.stream(ExplainOverlay.cell(sel, 16 + 2 * 4 + 3)).boxed().toList());
        assertEquals(null, ExplainOverlay.cell(sel, 4 * 16));
        byte[] png = Files.readAllBytes(StackFixture.HOME.resolve("models/smolvlm-tiny/reference/image-2-200x200.png"));
        BufferedImage img = ExplainOverlay.render(png, sel, 320);
        int cell = 320 / 8;
        int green = ExplainOverlay.KEPT.getRGB() & 0xFFFFFF;
        assertEquals(green, img.getRGB(5 * cell + 1, 5 * cell + cell / 2) & 0xFFFFFF, "the kept tile cell is outlined");
        assertTrue((img.getRGB(0 * cell + 1, 0 * cell + cell / 2) & 0xFFFFFF) != green, "the global token draws nothing at (0, 0)");
    }
}
