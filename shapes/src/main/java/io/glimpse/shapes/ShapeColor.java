package io.glimpse.shapes;

/** The Shapes-VQA palette (docs/design/model.md), exact RGB values. */
public enum ShapeColor {
    RED(220, 40, 40),
    GREEN(40, 170, 60),
    BLUE(40, 80, 220),
    YELLOW(235, 200, 30),
    PURPLE(150, 60, 190),
    ORANGE(245, 130, 30);

    private final int r;
    private final int g;
    private final int b;

    ShapeColor(int r, int g, int b) {
        this.r = r;
        this.g = g;
        this.b = b;
    }

    public int r() { return r; }
    public int g() { return g; }
    public int b() { return b; }

    public String word() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
