package io.glimpse.pruner.select;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AttentionGraphTest {
    /** Attention cut by an earlier step is renormalised before any pass reads it. */
    @Test
    void cutAttentionRowsAreRenormalised() {
        float[] a = {0.5f, 0.25f, 0.25f, 0.2f, 0.2f, 0.6f};   // two rows of a graph whose third column was cut away
        float[] r = AttentionGraph.rowStochastic(a, 2, 3);
        assertEquals(1.0, r[0] + r[1] + r[2], 1e-6);
        assertEquals(0.2f / 1.0f, r[3], 1e-6);
        float[] cut = {0.5f, 0.25f, 0.2f, 0.2f};
        float[] rc = AttentionGraph.rowStochastic(cut, 2, 2);
        assertEquals(0.5 / 0.75, rc[0], 1e-6);
        assertEquals(0.5, rc[2], 1e-6);
    }
}
