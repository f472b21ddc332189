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
}
