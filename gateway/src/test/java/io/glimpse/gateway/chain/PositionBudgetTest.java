package io.glimpse.gateway.chain;

import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.tokens.TokenizationMode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The default model's numbers: 256 positions, a 12 x 12 grid, 32 registers, pooled sides 1-12. */
class PositionBudgetTest {
    private final PositionBudget budget = new PositionBudget(256, 144, 32, new int[]{1, 2, 3, 4, 6, 8, 12});

    @Test
    void whatFitsPasses() {
        budget.check(1, TokenizationMode.FULL, 0, 32);              // 144 + 3 + 32 = 179
        budget.check(3, TokenizationMode.POOLED, 64, 32);           // 192 + 35 = 227
        budget.check(6, TokenizationMode.FLEX_PREFIX, 8, 32);       // a prefix keeps all registers' positions: 6 x 32 + 35 = 227
    }

    @Test
    void whatCannotFitIsRefusedWithWhatWould() {
        GlimpseException e = assertThrows(GlimpseException.class, () -> budget.check(2, TokenizationMode.FULL, 0, 32));
        assertEquals(GlimpseException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().contains("need at least 323 positions"), e.getMessage());
        assertTrue(e.getMessage().contains("at most 1 image at this policy, or 2 images at POOLED 64 (8x8)"), e.getMessage());
        GlimpseException many = assertThrows(GlimpseException.class, () -> budget.check(8, TokenizationMode.POOLED, 144, 32));
        assertTrue(many.getMessage().contains("8 images at POOLED 16 (4x4)"), many.getMessage());
        GlimpseException tokens = assertThrows(GlimpseException.class, () -> budget.check(1, TokenizationMode.FULL, 0, 200));
        assertTrue(tokens.getMessage().endsWith("what fits: 1 image at POOLED 36 (6x6)"), tokens.getMessage());
    }

    @Test
    void adaptiveIsLeftToTheRunner() {
        budget.check(8, TokenizationMode.ADAPTIVE, 0, 32);
    }
}
