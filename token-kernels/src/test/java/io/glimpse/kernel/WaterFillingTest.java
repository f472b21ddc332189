package io.glimpse.kernel;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WaterFillingTest {
    @Test
    void sumsExactlyToTheBudgetAndRespectsMinAndMax() {
        SplittableRandom r = new SplittableRandom(17);
        for (int trial = 0; trial < 500; trial++) {
            int u = 1 + r.nextInt(9);
            double[] w = new double[u];
            int[] cap = new int[u];
            int[] min = new int[u];
            long capSum = 0;
            int minSum = 0;
            for (int i = 0; i < u; i++) {
                w[i] = r.nextInt(4) == 0 ? 0 : r.nextDouble();
                cap[i] = 1 + r.nextInt(60);
                min[i] = r.nextInt(3) == 0 ? r.nextInt(cap[i] + 1) : 0;
                capSum += cap[i];
                minSum += min[i];
            }
            int total = minSum + r.nextInt(150);
            int[] n = WaterFilling.assign(w, min, cap, total);
            int sum = 0;
            for (int i = 0; i < u; i++) {
                assertTrue(n[i] >= min[i] && n[i] <= cap[i], "trial " + trial + " unit " + i);
                sum += n[i];
            }
            assertEquals(Math.min(total, capSum), sum, "trial " + trial);
        }
    }

    @Test
    void sharesFollowTheWeightsAndACappedUnitsExcessIsRedistributed() {
        assertArrayEquals(new int[]{6, 3, 1}, WaterFilling.assign(new double[]{0.6, 0.3, 0.1}, new int[3],
                new int[]{100, 100, 100}, 10));
        // unit 0 wants 9 of 12 but holds only 4: the other 8 split 2:1 between the others
        int[] n = WaterFilling.assign(new double[]{0.75, 0.125, 0.0625}, new int[3], new int[]{4, 100, 100}, 12);
        assertArrayEquals(new int[]{4, 5, 3}, n);
        // weightless units get tokens only once the weighted ones are full
        assertArrayEquals(new int[]{3, 2}, WaterFilling.assign(new double[]{1, 0}, new int[2], new int[]{3, 10}, 5));
        assertArrayEquals(new int[]{5, 0}, WaterFilling.assign(new double[]{1, 0}, new int[2], new int[]{10, 10}, 5));
    }

    @Test
    void refusesMinimumsAboveTheBudget() {
        assertThrows(IllegalArgumentException.class,
                () -> WaterFilling.assign(new double[]{1, 1}, new int[]{3, 3}, new int[]{5, 5}, 4));
    }
}
