package io.glimpse.model.onnx;

import io.glimpse.common.error.GlimpseException;

/** Where ONNX Runtime runs: {@code auto} (CUDA when it initialises, else CPU), {@code cpu}, {@code cuda:N}. */
public record Device(Kind kind, int index) {
    public enum Kind { AUTO, CPU, CUDA }

    public static Device parse(String text) {
        String t = text == null ? "auto" : text.trim().toLowerCase(java.util.Locale.ROOT);
        if (t.equals("auto")) {
            return new Device(Kind.AUTO, 0);
        }
        if (t.equals("cpu")) {
            return new Device(Kind.CPU, 0);
        }
        if (t.equals("cuda")) {
            return new Device(Kind.CUDA, 0);
        }
        if (t.startsWith("cuda:")) {
            try {
                int i = Integer.parseInt(t.substring(5));
                if (i >= 0) {
                    return new Device(Kind.CUDA, i);
                }
            } catch (NumberFormatException ignored) {
                // fall through to the error below
            }
        }
        throw GlimpseException.invalid("device must be auto, cpu or cuda:N, got '" + text + "'");
    }

    @Override
    public String toString() {
        return kind == Kind.CUDA ? "cuda:" + index : kind.name().toLowerCase(java.util.Locale.ROOT);
    }
}
