package io.glimpse.shapes;

import java.util.List;

/** A rendered Shapes-VQA image: RGB bytes in row-major HWC order. */
public record Scene(int size, int[] background, boolean noisy, List<SceneObject> objects, byte[] rgb) {
}
