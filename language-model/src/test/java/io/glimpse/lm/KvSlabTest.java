package io.glimpse.lm;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KvSlabTest {
    private static final int LAYERS = 2;
    private static final int HEADS = 2;
    private static final int DIM = 3;

    /** Row r's past for kind k, head h, slot t, element e: a value that names where it belongs. */
    private static float value(int r, int k, int h, int t, int e) {
        return r * 10000 + k * 1000 + h * 100 + t * 10 + e;
    }

    private static float[][] past(int r, int length) {
        float[][] p = new float[2 * LAYERS][HEADS * length * DIM];
        for (int k = 0; k < p.length; k++) {
            for (int h = 0; h < HEADS; h++) {
                for (int t = 0; t < length; t++) {
                    for (int e = 0; e < DIM; e++) {
                        p[k][(h * length + t) * DIM + e] = value(r, k, h, t, e);
                    }
                }
            }
        }
        return p;
    }

    @Test
    void rowsAndCapacityGrowGeometricallyKeepingWhatTheRowsHold() throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        KvSlab slab = new KvSlab(env, LAYERS, HEADS, DIM, 16, 200);
        assertEquals(0, slab.bytes());
        slab.ensure(1, 5, 3, 5);
        assertEquals(1, slab.rows(), "a lone generation holds one row, not the batch's most");
        slab.write(0, past(0, 4), 4);
        slab.ensure(2, 5, 3, 5);
        assertEquals(2, slab.rows());
        slab.write(1, past(1, 3), 3);
        slab.ensure(3, 5, 3, 5);
        assertEquals(4, slab.rows(), "rows double");
        slab.write(2, past(2, 5), 5);
        slab.ensure(3, 6, 3, 5);
        assertEquals(4, slab.rows());
        assertEquals(64, slab.capacity(), "capacity rounds up to whole 64-slot blocks");
        slab.ensure(16, 6, 3, 5);
        assertEquals(16, slab.rows());
        assertThrows(IllegalArgumentException.class, () -> slab.ensure(17, 6, 3, 5));
        slab.ensure(16, 150, 3, 5);
        assertEquals(192, slab.capacity());
        slab.ensure(16, 180, 3, 5);
        assertEquals(192, slab.capacity(), "room left: no copy");
        slab.ensure(16, 195, 3, 5);
        assertEquals(200, slab.capacity(), "growth stops at the most a row can need");
        int[] lengths = {4, 3, 5};
        assertRows(slab, lengths, 200);
        // a kept slab whose rows must grow is cut back to what the batch needs
        KvSlab kept = new KvSlab(env, LAYERS, HEADS, DIM, 16, 1000);
        kept.ensure(2, 600, 0, 0);
        kept.write(0, past(0, 4), 4);
        kept.write(1, past(1, 3), 3);
        kept.ensure(3, 6, 2, 4);
        assertEquals(4, kept.rows());
        assertEquals(64, kept.capacity());
        kept.write(2, past(2, 5), 5);
        assertRows(kept, lengths, 64);
        // a new batch of short rows in a slab left by long ones: laid out afresh, nothing allocated
        KvSlab reused = new KvSlab(env, LAYERS, HEADS, DIM, 16, 1000);
        reused.ensure(2, 600, 0, 0);
        long bytes = reused.bytes();
        reused.ensure(3, 6, 0, 0);
        assertEquals(64, reused.capacity(), "a step attends over the capacity: it follows the new batch");
        assertEquals(16, reused.rows(), "the same memory holds more of the shorter rows");
        assertEquals(bytes, reused.bytes());
        for (int r = 0; r < 3; r++) {
            reused.write(r, past(r, lengths[r]), lengths[r]);
        }
        assertRows(reused, lengths, 64);
        reused.ensure(1, 700, 0, 0);
        assertEquals(1, reused.rows());
        assertEquals(704, reused.capacity(), "one longer row fits the same memory");
        assertEquals(bytes, reused.bytes());
        reused.ensure(2, 700, 0, 0);
        assertEquals(2, reused.rows());
        assertEquals(704, reused.capacity());
        assertTrue(reused.bytes() > bytes, "two of them do not: it allocates");
    }

    private static void assertRows(KvSlab slab, int[] lengths, int capacity) throws Exception {
        Map<String, OnnxTensor> view = slab.past(3);
        try {
            for (int k = 0; k < 2 * LAYERS; k++) {
                OnnxTensor t = view.get(PaddedPast.name(k));
                assertEquals(java.util.List.of(3L, (long) HEADS, (long) capacity, (long) DIM),
                        java.util.Arrays.stream(t.getInfo().getShape()).boxed().toList());
                FloatBuffer b = t.getFloatBuffer();
                for (int r = 0; r < 3; r++) {
                    for (int h = 0; h < HEADS; h++) {
                        for (int s = 0; s < lengths[r]; s++) {
                            for (int e = 0; e < DIM; e++) {
                                assertEquals(value(r, k, h, s, e), b.get(((r * HEADS + h) * capacity + s) * DIM + e),
                                        "row " + r + " kind " + k + " head " + h + " slot " + s);
                            }
                        }
                    }
                }
            }
        } finally {
            view.values().forEach(OnnxTensor::close);
        }
    }
}
