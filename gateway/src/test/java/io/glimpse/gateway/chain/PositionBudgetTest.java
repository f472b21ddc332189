package io.glimpse.gateway.chain;

import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.tokens.TokenizationMode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PositionBudgetTest {
    private static final int[] SIDES = {1, 2, 3, 4, 6, 8, 12};
    /** An original-position bundle: 256 positions, a 12 x 12 grid, 32 registers, no image markers. */
    private final PositionBudget original = new PositionBudget(256, 144, 32, SIDES, false, 0, 0, 0);
    /** The default model: 1280 compact positions, "frame n" before each of at most 8 images. */
    private final PositionBudget compact = new PositionBudget(1280, 144, 32, SIDES, true, 2, 8, 0);

    /** A detail model: 2560 compact positions, a 24 x 24 grid, a clip's frames pooled to 12 x 12, up to 16 of them. */
    private final PositionBudget detail = new PositionBudget(2560, 576, 64, SIDES, true, 2, 16, 12);

    @Test
    void aClipsFramesCountPooledWhenTheModelPoolsThem() {
        detail.check(16, TokenizationMode.FULL, 0, PositionBudget.Keep.ALL, 32);   // 16 x (2 + 144) + 35 = 2371
        detail.check(1, TokenizationMode.FULL, 0, PositionBudget.Keep.ALL, 32);    // one image: its whole grid
        GlimpseException e = assertThrows(GlimpseException.class,
                () -> detail.check(16, TokenizationMode.FULL, 0, PositionBudget.Keep.ALL, 300));
        assertTrue(e.getMessage().contains("need at least 2639 positions (2304 visual, 32 image markers"), e.getMessage());
        GlimpseException unpooled = assertThrows(GlimpseException.class, () -> new PositionBudget(2560, 576, 64, SIDES,
                true, 2, 16, 0).check(9, TokenizationMode.FULL, 0, PositionBudget.Keep.ALL, 32));
        assertTrue(unpooled.getMessage().contains("5184 visual"), unpooled.getMessage());
        assertTrue(unpooled.getMessage().contains("at most 4 images at this policy"), unpooled.getMessage());
    }

    @Test
    void whatFitsPasses() {
        original.check(1, TokenizationMode.FULL, 0, PositionBudget.Keep.ALL, 32);              // 144 + 3 + 32 = 179
        original.check(3, TokenizationMode.POOLED, 64, PositionBudget.Keep.ALL, 32);           // 192 + 35 = 227
        original.check(6, TokenizationMode.FLEX_PREFIX, 8, PositionBudget.Keep.ALL, 32);       // 6 x 32 + 35 = 227
        compact.check(8, TokenizationMode.FULL, 0, PositionBudget.Keep.ALL, 32);               // 8 x 146 + 35 = 1203
    }

    @Test
    void whatCannotFitIsRefusedWithWhatWould() {
        GlimpseException e = assertThrows(GlimpseException.class,
                () -> original.check(2, TokenizationMode.FULL, 0, PositionBudget.Keep.ALL, 32));
        assertEquals(GlimpseException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().contains("need at least 323 positions"), e.getMessage());
        assertTrue(e.getMessage().contains("at most 1 image at this policy, or 2 images at POOLED 64 (8x8)"), e.getMessage());
        GlimpseException many = assertThrows(GlimpseException.class,
                () -> original.check(8, TokenizationMode.POOLED, 144, PositionBudget.Keep.ALL, 32));
        assertTrue(many.getMessage().contains("8 images at POOLED 16 (4x4)"), many.getMessage());
        GlimpseException tokens = assertThrows(GlimpseException.class,
                () -> original.check(1, TokenizationMode.FULL, 0, PositionBudget.Keep.ALL, 200));
        assertTrue(tokens.getMessage().endsWith("what fits: 1 image at POOLED 36 (6x6)"), tokens.getMessage());
    }

    @Test
    void compactPositionsCountMarkersAndWhatPruningKeeps() {
        // 8 x (2 + 144) + 3 + 200 = 1371 > 1280
        GlimpseException e = assertThrows(GlimpseException.class,
                () -> compact.check(8, TokenizationMode.FULL, 0, PositionBudget.Keep.ALL, 200));
        assertTrue(e.getMessage().contains("need at least 1371 positions (1152 visual, 16 image markers"), e.getMessage());
        assertTrue(e.getMessage().contains("at most 7 images at this policy, or 8 images at POOLED 64 (8x8), "
                + "or pruning to at most 132 tokens per image"), e.getMessage());
        // pruning frees positions: 100 kept per image, or 400 in total, fit
        compact.check(8, TokenizationMode.FULL, 0, new PositionBudget.Keep(100, 0f, 0), 200);
        compact.check(8, TokenizationMode.FULL, 0, new PositionBudget.Keep(0, 0f, 400), 200);
        compact.check(8, TokenizationMode.FULL, 0, new PositionBudget.Keep(0, 0.5f, 0), 200);
        // in the original layout it does not
        assertThrows(GlimpseException.class,
                () -> original.check(2, TokenizationMode.FULL, 0, new PositionBudget.Keep(10, 0f, 0), 32));
    }

    @Test
    void moreImagesThanThePromptCanNameAreRefused() {
        GlimpseException e = assertThrows(GlimpseException.class,
                () -> compact.check(9, TokenizationMode.POOLED, 4, PositionBudget.Keep.ALL, 8));
        assertTrue(e.getMessage().contains("at most 8"), e.getMessage());
    }

    @Test
    void adaptiveIsLeftToTheRunner() {
        original.check(8, TokenizationMode.ADAPTIVE, 0, PositionBudget.Keep.ALL, 32);
    }
}
