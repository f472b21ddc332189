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

    public static Scene render(int size, int[] background, boolean noisy, List<SceneObject> objects,
                               SplittableRandom random) {
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
        for (SceneObject o : objects) {
            paint(rgb, size, o);
        }
        return new Scene(size, background.clone(), noisy, List.copyOf(objects), rgb);
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
