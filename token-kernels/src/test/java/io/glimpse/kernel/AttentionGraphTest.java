package io.glimpse.kernel;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AttentionGraphTest {
    /** Attention cut by an earlier step is read as a distribution again: CLS's row over what is left. */
    @Test
    void cutClsRowsAreRenormalisedWhenRead() {
        // one head, CLS + 2 patches; CLS's row lost 0.2 of its mass to a pruned token
        float[] a = {0.4f, 0.2f, 0.2f, 0.2f, 0.2f, 0.6f, 0.1f, 0.1f, 0.8f};
        AttentionGraph g = new AttentionGraph(a, 1, 3, 1, new float[]{1f, 0f, 0f, 1f}, 2, 0L);
        float[] cls = g.clsAttention();
        assertEquals(0.25, cls[0], 1e-6);
        assertEquals(0.25, cls[1], 1e-6);
        // the restriction to {CLS, patch 2} renormalises each surviving row over the survivors
        float[][] sub = g.restricted(0, new int[]{0, 2}, new float[2][2]);
        assertEquals(0.4 / 0.6, sub[0][0], 1e-6);
        assertEquals(0.8 / 0.9, sub[1][1], 1e-6);
    }
}
