package io.glimpse.common.methods;

import java.util.List;
import java.util.Locale;

/**
 * One parameter of a pruning method, as {@code Pruning.params} carries it.
 *
 * @param name    the key
 * @param def     the default, as text
 * @param min     numbers: the smallest accepted value (null for choices and text)
 * @param max     numbers: the largest accepted value
 * @param choices the accepted values of a choice (empty for numbers and text)
 * @param doc     one line for help texts and the docs' table
 */
public record MethodParam(String name, String def, Double min, Double max, List<String> choices, String doc) {
    public static MethodParam number(String name, double def, double min, double max, String doc) {
        return new MethodParam(name, format(def), min, max, List.of(), doc);
    }

    public static MethodParam choice(String name, String def, List<String> choices, String doc) {
        return new MethodParam(name, def, null, null, List.copyOf(choices), doc);
    }

    public static MethodParam text(String name, String def, String doc) {
        return new MethodParam(name, def, null, null, List.of(), doc);
    }

    public double defaultNumber() {
        return Double.parseDouble(def);
    }

    /** "[1e-06, 1]" for numbers, "isolated | mean" for choices, "" for free text. */
    public String accepted() {
        if (min != null) {
            return "[" + format(min) + ", " + format(max) + "]";
        }
        return String.join(" | ", choices);
    }

    /** "0.2 in [1e-06, 1]", "isolated (isolated | mean)" — what help texts show. */
    public String describe() {
        if (min != null) {
            return def + " in " + accepted();
        }
        return choices.isEmpty() ? def : def + " (" + accepted() + ")";
    }

    static String format(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%.6g", v)
                .replaceAll("0+(e|$)", "$1").replaceAll("\\.(e|$)", "$1");
    }
}
