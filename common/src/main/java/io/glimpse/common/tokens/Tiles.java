package io.glimpse.common.tokens;

/**
 * How an image's tokens divide into tiles (Idefics3 / SmolVLM image splitting): {@code rows x cols}
 * tiles in row-major order, then the global image; each tile owns {@code tokensPerTile}
 * consecutive origins. {@code rows = cols = 0} is an image sent whole, as one tile.
 */
public record Tiles(int rows, int cols, int tokensPerTile) {
    public Tiles {
        if (rows < 0 || cols < 0 || (rows == 0) != (cols == 0) || tokensPerTile < 1) {
            throw new IllegalArgumentException("bad tiles " + rows + " x " + cols + " of " + tokensPerTile);
        }
    }

    /** Tiles including the global image. */
    public int count() {
        return rows == 0 ? 1 : rows * cols + 1;
    }

    public int tileOf(int origin) {
        return origin / tokensPerTile;
    }

    /** Whether {@code tile} is the global image (the last one). */
    public boolean isGlobal(int tile) {
        return tile == count() - 1;
    }
}
