package io.glimpse.shapes;

/**
 * One object of a clip: visible from frame {@code first} to frame {@code last} (inclusive, 0-based),
 * its box at {@code (x0, y0)} in frame {@code first} and moving {@code (dx, dy)} pixels per frame.
 */
public record Track(Shape shape, ShapeColor color, boolean large, int side, int x0, int y0, int dx, int dy,
                    int first, int last) {

    public boolean visibleIn(int frame) {
        return frame >= first && frame <= last;
    }

    public int visibleFrames() {
        return last - first + 1;
    }

    /** The object as drawn in {@code frame} (which must be one it is visible in). */
    public SceneObject at(int frame) {
        int t = frame - first;
        return new SceneObject(shape, color, large, x0 + dx * t, y0 + dy * t, side);
    }

    /** "left", "right", "up", "down", or null when it stands still. */
    public String direction() {
        if (dx < 0) {
            return "left";
        }
        if (dx > 0) {
            return "right";
        }
        if (dy < 0) {
            return "up";
        }
        return dy > 0 ? "down" : null;
    }
}
