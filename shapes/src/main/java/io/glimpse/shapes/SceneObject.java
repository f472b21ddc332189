package io.glimpse.shapes;

/** One filled shape: its square bounding box starts at (x, y) and has side {@code side} pixels. */
public record SceneObject(Shape shape, ShapeColor color, boolean large, int x, int y, int side) {

    public double centerX() {
        return x + side / 2.0;
    }

    public double centerY() {
        return y + side / 2.0;
    }

    public Region region(int canvas) {
        return Region.of(centerX(), centerY(), canvas);
    }

    public double distanceTo(SceneObject other) {
        return Math.hypot(centerX() - other.centerX(), centerY() - other.centerY());
    }

    /** Whether the boxes are at least {@code gap} pixels apart along some axis. */
    public boolean separatedFrom(SceneObject o, int gap) {
        return x + side + gap <= o.x || o.x + o.side + gap <= x
                || y + side + gap <= o.y || o.y + o.side + gap <= y;
    }

    public String sizeWord() {
        return large ? "large" : "small";
    }
}
