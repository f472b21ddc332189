package io.glimpse.shapes;

/** The four Shapes-VQA shapes, with the words questions use for them. */
public enum Shape {
    CIRCLE, SQUARE, TRIANGLE, DIAMOND;

    public String word() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public String plural() {
        return word() + "s";
    }
}
