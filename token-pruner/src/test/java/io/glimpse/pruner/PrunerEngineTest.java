package io.glimpse.pruner;

import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.tensor.FloatTensor;
import io.glimpse.common.tokens.TokenKind;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.pruner.select.Budget;
import io.glimpse.pruner.select.PruningMethod;
import io.glimpse.pruner.select.PruningSpec;
import io.glimpse.pruner.select.TokenPrunerEngine;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PrunerEngineTest {
    final TokenPrunerEngine engine = new TokenPrunerEngine();

    static TokenSet grid(int n, int h) {
        float[] d = new float[n * h];
        for (int i = 0; i < n; i++) {
            d[i * h] = i;   // row i carries its own index in column 0
        }
        int[] origin = new int[n];
        Arrays.setAll(origin, i -> i);
        return new TokenSet(FloatTensor.of(d, n, h), TokenKind.GRID, origin, n, 12, 12, 0, null, null, null, null);
    }

    static PruningSpec spec(PruningMethod m, int keep, long seed) {
        return new PruningSpec(m, keep, 0f, false, seed, Map.of());
    }

    @Test
    void randomIsSeededSortedUniqueAndKeepsRowsWithTheirOrigins() {
        TokenSet in = grid(144, 4);
        TokenSet a = engine.prune(List.of(in), spec(PruningMethod.RANDOM, 16, 7), "q").images().get(0);
        TokenSet b = engine.prune(List.of(in), spec(PruningMethod.RANDOM, 16, 7), "q").images().get(0);
        TokenSet c = engine.prune(List.of(in), spec(PruningMethod.RANDOM, 16, 8), "q").images().get(0);
        assertArrayEquals(a.origin(), b.origin());
        assertFalse(Arrays.equals(a.origin(), c.origin()));
        assertEquals(16, a.count());
        assertEquals(16, Arrays.stream(a.origin()).distinct().count());
        for (int i = 0; i < 16; i++) {
            assertEquals(a.origin()[i], (int) a.embeddings().data()[i * 4], "embedding row follows its origin");
            if (i > 0) {
                assertTrue(a.origin()[i] > a.origin()[i - 1]);
            }
        }
        assertEquals(144, a.span());
        assertEquals(16, (int) Arrays.stream(toDouble(a.scores())).sum());
    }

    @Test
    void randomIsUnbiased() {
        int[] hits = new int[20];
        for (long seed = 0; seed < 2000; seed++) {
            for (int o : engine.prune(List.of(grid(20, 1)), spec(PruningMethod.RANDOM, 5, seed), "q").images().get(0).origin()) {
                hits[o]++;
            }
        }
        for (int h : hits) {
            assertEquals(500, h, 80);   // 2000 draws x 5/20
        }
    }

    @Test
    void uniformStrideSpreadsOverTheSpan() {
        assertArrayEquals(new int[]{4, 13, 22, 31}, engine.prune(List.of(grid(36, 1)), spec(PruningMethod.UNIFORM, 4, 0), "q").images()
                .get(0).origin());
        assertArrayEquals(new int[]{0, 1, 2}, engine.prune(List.of(grid(3, 1)), spec(PruningMethod.UNIFORM, 3, 0), "q").images()
                .get(0).origin());
    }

    @Test
    void budgetAtLeastNKeepsAll() {
        TokenSet out = engine.prune(List.of(grid(10, 2)), spec(PruningMethod.RANDOM, 50, 1), "q").images().get(0);
        assertEquals(10, out.count());
        assertArrayEquals(grid(10, 2).embeddings().data(), out.embeddings().data());
    }

    @Test
    void ratioAndGlobalBudgets() {
        assertArrayEquals(new int[]{36, 5}, Budget.perImage(new int[]{144, 20},
                new PruningSpec(PruningMethod.RANDOM, 0, 0.25f, false, 0, Map.of())));
        int[] global = Budget.perImage(new int[]{144, 36, 20}, new PruningSpec(PruningMethod.RANDOM, 50, 0f, true, 0, Map.of()));
        assertEquals(50, Arrays.stream(global).sum());
        assertArrayEquals(new int[]{36, 9, 5}, global);
        // a global ratio is a share of all the request's tokens: 25% of 8 x 144 = 288
        int[] clip = Budget.perImage(new int[]{144, 144, 144, 144, 144, 144, 144, 144},
                new PruningSpec(PruningMethod.RANDOM, 0, 0.25f, true, 0, Map.of()));
        assertEquals(288, Arrays.stream(clip).sum());
        assertArrayEquals(new int[]{36, 36, 36, 36, 36, 36, 36, 36}, clip);
    }

    @Test
    void invalidBudgetsAndMissingMethodsAreRefused() {
        assertKind(GlimpseException.Kind.INVALID_ARGUMENT, spec(PruningMethod.RANDOM, -1, 0));
        assertKind(GlimpseException.Kind.INVALID_ARGUMENT, new PruningSpec(PruningMethod.RANDOM, 0, 1.5f, false, 0, Map.of()));
        assertKind(GlimpseException.Kind.INVALID_ARGUMENT, new PruningSpec(PruningMethod.RANDOM, 5, 0.5f, false, 0, Map.of()));
        assertKind(GlimpseException.Kind.INVALID_ARGUMENT, new PruningSpec(PruningMethod.RANDOM, 0, 0f, true, 0, Map.of()));
        assertKind(GlimpseException.Kind.FAILED_PRECONDITION, spec(PruningMethod.FASTV, 5, 0));
        assertKind(GlimpseException.Kind.INVALID_ARGUMENT, new PruningSpec(PruningMethod.ZERO_TPRUNE, 5, 0f, false, 0,
                Map.of("iteration", "3")));
        assertKind(GlimpseException.Kind.INVALID_ARGUMENT, new PruningSpec(PruningMethod.ZERO_TPRUNE, 5, 0f, false, 0,
                Map.of("iterations", "many")));
        assertKind(GlimpseException.Kind.INVALID_ARGUMENT, new PruningSpec(PruningMethod.QUOTA, 0, 0f, false, 0, Map.of()));
    }

    private void assertKind(GlimpseException.Kind kind, PruningSpec s) {
        GlimpseException e = assertThrows(GlimpseException.class, () -> engine.prune(List.of(grid(10, 2)), s, "q"));
        assertEquals(kind, e.kind(), e.getMessage());
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    /** A budget at least the token count keeps every token and still scores each one, for every method that scores. */
    @Test
    void budgetCoveringEveryTokenStillScoresEachOne() {
        TokenSet in = grid(16, 4);
        for (PruningMethod m : List.of(PruningMethod.RANDOM, PruningMethod.UNIFORM, PruningMethod.ZERO_TPRUNE,
                PruningMethod.TOME, PruningMethod.VISIONZIP, PruningMethod.DIVPRUNE)) {
            TokenSet out = engine.prune(List.of(in), spec(m, 16, 1), "q").images().get(0);
            assertEquals(16, out.count(), m + " keeps every token");
            assertEquals(16, out.scores() == null ? 0 : out.scores().length, m + " scores every input token");
        }
    }
}
