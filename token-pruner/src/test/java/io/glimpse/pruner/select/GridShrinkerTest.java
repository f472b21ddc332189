package io.glimpse.pruner.select;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** QuoTA's unit shapes as the released code makes them: the height grows first. */
class GridShrinkerTest {
    @Test
    void heightGrowsBeforeWidth() {
        assertArrayEquals(new int[]{3, 2}, GridShrinker.shape(6, 12, 12));
        assertArrayEquals(new int[]{4, 3}, GridShrinker.shape(12, 12, 12));
        assertArrayEquals(new int[]{3, 3}, GridShrinker.shape(9, 12, 12));
        assertArrayEquals(new int[]{2, 3}, GridShrinker.shape(6, 2, 6), "a grid only two high grows wide instead");
        assertArrayEquals(new int[]{1, 1}, GridShrinker.shape(1, 12, 12));
    }
}
