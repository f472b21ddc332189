package io.glimpse.shapes;

/** The seven Shapes-VQA question families of docs/design/model.md. */
public enum QuestionFamily {
    COLOR, SHAPE, COUNT, EXIST, WHERE, SIZE, CLOSEST;

    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
