package io.glimpse.shapes;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * How large the object a question names is, against the grid a budget leaves: {@code small} is less
 * than one cell of an 8 x 8 pooling (a canvas-eighth: 24 px of 192), {@code large} at least two such
 * cells, {@code medium} between. Questions that name no single present object (counts, absent objects)
 * have no bucket.
 */
public enum SizeBucket {
    SMALL, MEDIUM, LARGE;

    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static SizeBucket of(int side, int canvas) {
        double cell = canvas / 8.0;
        return side < cell ? SMALL : side < 2 * cell ? MEDIUM : LARGE;
    }

    /** The bucket of the one object the sample's question names by colour and shape (or shape, or colour alone). */
    public static Optional<SizeBucket> of(Sample s) {
        List<SceneObject> objects = s.scene().objects();
        String q = " " + s.question() + " ";
        List<SceneObject> named = objects.stream().filter(o -> q.contains(" " + o.color().word() + " " + o.shape().word() + " ")).toList();
        if (named.isEmpty() && s.family() == QuestionFamily.COLOR) {
            named = objects.stream().filter(o -> q.contains(" " + o.shape().word() + " ")).toList();
        }
        if (named.isEmpty() && s.family() == QuestionFamily.SHAPE) {
            named = objects.stream().filter(o -> q.contains(" " + o.color().word() + " object ")).toList();
        }
        if (named.size() != 1 || s.family() == QuestionFamily.COUNT) {
            return Optional.empty();
        }
        return Optional.of(of(named.get(0).side(), s.scene().size()));
    }
}
