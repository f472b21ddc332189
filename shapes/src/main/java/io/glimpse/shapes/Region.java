package io.glimpse.shapes;

/** Cells of the 3 x 3 split of the canvas; an object's region holds its box centre. */
public enum Region {
    TOP_LEFT("top left"), TOP("top"), TOP_RIGHT("top right"),
    LEFT("left"), CENTER("center"), RIGHT("right"),
    BOTTOM_LEFT("bottom left"), BOTTOM("bottom"), BOTTOM_RIGHT("bottom right");

    private final String words;

    Region(String words) {
        this.words = words;
    }

    public String words() {
        return words;
    }

    public int row() {
        return ordinal() / 3;
    }

    public int col() {
        return ordinal() % 3;
    }

    /** Region of a point given in pixels on a square canvas of side {@code canvas}. */
    public static Region of(double x, double y, int canvas) {
        int col = Math.min(2, (int) Math.floor(x * 3 / canvas));
        int row = Math.min(2, (int) Math.floor(y * 3 / canvas));
        return values()[row * 3 + col];
    }
}
