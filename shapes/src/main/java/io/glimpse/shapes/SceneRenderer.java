package io.glimpse.shapes;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Rasterises objects exactly as docs/design/model.md specifies: filled, no antialiasing, a pixel belongs to a
 * shape when its centre lies inside it. Noise (when asked) perturbs background pixels only.
 */
public final class SceneRenderer {
    public static final int NOISE_AMPLITUDE = 12;

    private SceneRenderer() {
    }

    /**
     * A mark of background clutter: a filled axis-aligned rectangle in a grey near the background,
     * under every object. Never one of the palette's colours, so it is never an object.
     */
    public record ClutterMark(int x, int y, int width, int height, int[] rgb) {
    }

    /**
     * {@code count} clutter marks: sides of 2 to 12 px each (thin lines to small blocks), anywhere on the
     * canvas, each a grey offset from the background by 24 to 48 (darker or lighter, the same offset on
     * every channel) plus up to 8 more per channel.
     */
    public static List<ClutterMark> clutter(int size, int[] background, int count, SplittableRandom random) {
        List<ClutterMark> marks = new java.util.ArrayList<>();
        for (int i = 0; i < count; i++) {
            int w = 2 + random.nextInt(11);
            int h = 2 + random.nextInt(11);
            int x = random.nextInt(size - w + 1);
            int y = random.nextInt(size - h + 1);
            int offset = (24 + random.nextInt(25)) * (random.nextBoolean() ? 1 : -1);
            int[] rgb = new int[3];
            for (int c = 0; c < 3; c++) {
                rgb[c] = Math.max(0, Math.min(255, background[c] + offset + random.nextInt(17) - 8));
            }
            marks.add(new ClutterMark(x, y, w, h, rgb));
        }
        return marks;
    }

    public static Scene render(int size, int[] background, boolean noisy, List<SceneObject> objects,
                               SplittableRandom random) {
        return render(size, background, noisy, List.of(), objects, random);
    }

    /** Background (noise first, then clutter marks), then the objects on top. */
    public static Scene render(int size, int[] background, boolean noisy, List<ClutterMark> clutter,
                               List<SceneObject> objects, SplittableRandom random) {
        byte[] rgb = new byte[size * size * 3];
        for (int p = 0; p < size * size; p++) {
            for (int c = 0; c < 3; c++) {
                int v = background[c];
                if (noisy) {
                    v += random.nextInt(2 * NOISE_AMPLITUDE + 1) - NOISE_AMPLITUDE;
                }
                rgb[p * 3 + c] = (byte) Math.max(0, Math.min(255, v));
            }
        }
        for (ClutterMark m : clutter) {
            for (int py = m.y(); py < m.y() + m.height(); py++) {
                for (int px = m.x(); px < m.x() + m.width(); px++) {
                    int i = (py * size + px) * 3;
                    for (int c = 0; c < 3; c++) {
                        rgb[i + c] = (byte) m.rgb()[c];
                    }
                }
            }
        }
        for (SceneObject o : objects) {
            paint(rgb, size, o);
        }
        return new Scene(size, background.clone(), noisy, List.copyOf(objects), rgb, List.copyOf(clutter));
    }

    private static void paint(byte[] rgb, int size, SceneObject o) {
        for (int py = o.y(); py < o.y() + o.side(); py++) {
            for (int px = o.x(); px < o.x() + o.side(); px++) {
                if (contains(o, px + 0.5, py + 0.5)) {
                    int i = (py * size + px) * 3;
                    rgb[i] = (byte) o.color().r();
                    rgb[i + 1] = (byte) o.color().g();
                    rgb[i + 2] = (byte) o.color().b();
                }
            }
        }
    }

    /** Point-in-shape test in canvas coordinates. */
    static boolean contains(SceneObject o, double px, double py) {
        double s = o.side();
        double u = (px - o.x()) / s;   // 0..1 across the box
        double v = (py - o.y()) / s;   // 0..1 down the box
        if (u < 0 || u > 1 || v < 0 || v > 1) {
            return false;
        }
        return switch (o.shape()) {
            case SQUARE -> true;
            case CIRCLE -> (u - 0.5) * (u - 0.5) + (v - 0.5) * (v - 0.5) <= 0.25;
            // apex at top centre, base along the bottom edge: half-width grows linearly with v
            case TRIANGLE -> Math.abs(u - 0.5) <= v / 2;
            case DIAMOND -> Math.abs(u - 0.5) + Math.abs(v - 0.5) <= 0.5;
        };
    }
}
