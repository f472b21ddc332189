package io.glimpse.kernel;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ElbowThresholdTest {
    @Test
    void elbowKeepsTheTokensAboveTheKnee() {
        // a sharp knee after the third value
        assertEquals(3, ElbowThreshold.keepCount(new float[]{1, 50, 2, 48, 3, 49, 2, 1}));
        assertEquals(1, ElbowThreshold.keepCount(new float[]{5, 5, 5, 5}), "flat scores keep at least one");
    }
}
