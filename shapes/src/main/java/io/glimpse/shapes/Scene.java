package io.glimpse.shapes;

import java.util.List;

/**
 * A rendered Shapes-VQA image: RGB bytes in row-major HWC order.
 *
 * @param clutter the low-contrast marks drawn under the objects (none on a plain background)
 */
public record Scene(int size, int[] background, boolean noisy, List<SceneObject> objects, byte[] rgb,
                    List<SceneRenderer.ClutterMark> clutter) {
    public Scene(int size, int[] background, boolean noisy, List<SceneObject> objects, byte[] rgb) {
        this(size, background, noisy, objects, rgb, List.of());
    }
}
