package io.glimpse.shapes;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A Shapes-VQA distribution: canvas, how many objects and how large, backgrounds. docs/design/model.md
 * states each one precisely enough to render it without this code.
 *
 * <ul>
 *   <li>{@link #CLASSIC}: v1-v3's 96 x 96 scenes (12 x 12 patches of 8 px) of one to six objects, small
 *       (12 +- 2 px) or large (22 +- 2 px), on plain backgrounds.</li>
 *   <li>{@link #DETAIL}: LLaVA-1.5's visual scale, 192 x 192 (24 x 24 = 576 patches of 8 px): one to
 *       twenty objects whose sides run log-uniformly from one patch (8 px) to half the canvas side (96 px,
 *       a quarter of its area), on plain or cluttered backgrounds. The seven question families ask about
 *       objects of every size, so small objects — a few patches, less than one cell of an 8 x 8 pooling
 *       (24 px) — are asked about as often as their share of the draw.</li>
 * </ul>
 *
 * @param canvas         image side in pixels (square)
 * @param maxObjects     objects per scene at most (every scene has at least the question's own)
 * @param minSide        smallest object side in DETAIL's log-uniform draw; CLASSIC's small size
 * @param maxSide        largest object side in DETAIL's draw; CLASSIC's large size
 * @param jitter         CLASSIC: sides vary by up to this much around small and large (0 for DETAIL)
 * @param smallAtMost    size family: a "small" target's side is at most this
 * @param largeAtLeast   size family: a "large" target's side is at least this; an object's size word
 *                       (patch labels, answers) is "large" from the geometric middle of the two up
 * @param minGap         pixels between any two objects' boxes
 * @param closestMargin  nearest-neighbour questions need the nearest to win by this many pixels
 * @param noise          probability of per-pixel background noise (+-12 per channel)
 * @param clutter        probability of a cluttered background (low-contrast marks that are not objects)
 */
public record SceneSpec(String name, int canvas, int maxObjects, int minSide, int maxSide, int jitter, int smallAtMost,
                        int largeAtLeast, int minGap, double closestMargin, double noise, double clutter) {
    public static final SceneSpec CLASSIC = new SceneSpec("classic", 96, 6, 12, 22, 2, 14, 20, 2, 3.0, 0.3, 0.0);
    public static final SceneSpec DETAIL = new SceneSpec("detail", 192, 20, 8, 96, 0, 20, 48, 2, 6.0, 0.3, 0.5);
    /** Clutter marks per cluttered scene: at least, and at most. */
    public static final int CLUTTER_MIN = 8;
    public static final int CLUTTER_MAX = 40;

    public static SceneSpec of(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "classic" -> CLASSIC;
            case "detail" -> DETAIL;
            default -> throw new IllegalArgumentException("scene distribution must be classic or detail, got " + name);
        };
    }

    /**
     * The distribution a model whose encoder takes {@code imageSize}-pixel images was trained on: DETAIL's
     * canvas, else CLASSIC (v1-v3, and any other size, which the preprocessor resizes).
     */
    public static SceneSpec forImageSize(int imageSize) {
        return imageSize == DETAIL.canvas ? DETAIL : CLASSIC;
    }

    /** The side an object of the scene gets. {@code large} forces a size class (size questions); null = any. */
    int side(Boolean large, int objects, SplittableRandom random) {
        if (jitter > 0) {   // CLASSIC: two sizes with jitter
            boolean l = large != null ? large : random.nextBoolean();
            return (l ? maxSide : minSide) + random.nextInt(2 * jitter + 1) - jitter;
        }
        // the busier the scene, the smaller its largest objects, so that twenty of them still fit
        int cap = (int) Math.max(minSide, Math.min(maxSide, 1.5 * Math.sqrt(0.5 * canvas * canvas / objects)));
        int lo = minSide;
        int hi = cap;
        if (Boolean.TRUE.equals(large)) {
            lo = largeAtLeast;
            hi = maxSide;
        } else if (Boolean.FALSE.equals(large)) {
            hi = smallAtMost;
        }
        return (int) Math.round(Math.exp(Math.log(lo) + random.nextDouble() * (Math.log(hi) - Math.log(lo))));
    }

    /** Whether a side counts as large (the size word of an object). */
    boolean large(int side) {
        return jitter > 0 ? side > (minSide + maxSide) / 2 : side >= Math.sqrt((double) smallAtMost * largeAtLeast);
    }
}
