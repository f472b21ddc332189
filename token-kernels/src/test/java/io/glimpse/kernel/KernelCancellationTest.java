package io.glimpse.kernel;

import io.glimpse.common.cancel.Cancellation;
import io.glimpse.common.error.GlimpseException;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Long kernels stop at their next iteration once the call they serve is cancelled. */
class KernelCancellationTest {
    static float[] random(int n, int d) {
        Random r = new Random(7);
        float[] x = new float[n * d];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    @Test
    void cancelledCallsStopDivPruneAndToMe() {
        int n = 576;
        int d = 64;
        float[] x = random(n, d);
        Cancellation cancelled = new Cancellation();
        cancelled.cancel();
        try (Cancellation.Scope ignored = Cancellation.bind(cancelled)) {
            GlimpseException e = assertThrows(GlimpseException.class,
                    () -> MaxMinDiversity.select(x, n, d, 64, MaxMinDiversity.First.ISOLATED));
            assertEquals(GlimpseException.Kind.CANCELLED, e.kind());
            assertEquals(GlimpseException.Kind.CANCELLED, assertThrows(GlimpseException.class,
                    () -> BipartiteSoftMatching.merge(x, n, d, x, d, 16)).kind());
        }
        // unbound (or not cancelled), the same kernels run to the end
        assertEquals(64, MaxMinDiversity.select(x, n, d, 64, MaxMinDiversity.First.ISOLATED).picked().length);
    }
}
