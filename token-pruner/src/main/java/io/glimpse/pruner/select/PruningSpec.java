package io.glimpse.pruner.select;

import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.methods.MethodParam;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One pruning step: {@code keepTokens} (> 0) or {@code keepRatio} (in (0, 1]) per image, or neither
 * (keep all, or the method's own count); with {@code globalBudget}, keepTokens is a total over all
 * images. {@code then} lists further steps applied in order to this step's output (a pipeline).
 */
public record PruningSpec(PruningMethod method, int keepTokens, float keepRatio, boolean globalBudget, long seed,
                          Map<String, String> params, List<PruningSpec> then) {
    public PruningSpec {
        params = Map.copyOf(params);
        then = List.copyOf(then);
    }

    public PruningSpec(PruningMethod method, int keepTokens, float keepRatio, boolean globalBudget, long seed,
                       Map<String, String> params) {
        this(method, keepTokens, keepRatio, globalBudget, seed, params, List.of());
    }

    public static PruningSpec none() {
        return new PruningSpec(PruningMethod.NONE, 0, 0f, false, 0L, Map.of());
    }

    public boolean hasBudget() {
        return keepTokens > 0 || keepRatio > 0f;
    }

    /** This step and every step after it, flattened in order. */
    public List<PruningSpec> steps() {
        List<PruningSpec> out = new ArrayList<>();
        out.add(new PruningSpec(method, keepTokens, keepRatio, globalBudget, seed, params));
        for (PruningSpec s : then) {
            out.addAll(s.steps());
        }
        return out;
    }

    /** The same step with another method and budget (QuoTA's selection inside a unit). */
    public PruningSpec withMethod(PruningMethod m, int keep) {
        return new PruningSpec(m, keep, 0f, false, seed, params);
    }

    public void checkParams(Set<String> known) {
        for (String k : params.keySet()) {
            if (!known.contains(k)) {
                throw GlimpseException.invalid("pruning parameter \"" + k + "\" is not used by " + method
                        + (known.isEmpty() ? ", which takes none" : "; it takes " + String.join(", ", known.stream().sorted().toList())));
            }
        }
    }

    /** A number parameter with its default and range from the method's descriptor. */
    public double number(MethodParam p) {
        return number(p.name(), p.defaultNumber(), p.min(), p.max());
    }

    /** A choice parameter from the method's descriptor, with {@code def} in place of its default. */
    public String choice(MethodParam p, String def) {
        return choice(p.name(), def, java.util.Set.copyOf(p.choices()));
    }

    public String choice(MethodParam p) {
        return choice(p, p.def());
    }

    public double number(String key, double def, double min, double max) {
        String v = params.get(key);
        if (v == null) {
            return def;
        }
        double x;
        try {
            x = Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw GlimpseException.invalid("pruning parameter " + key + "=\"" + v + "\" is not a number");
        }
        if (!(x >= min && x <= max)) {
            throw GlimpseException.invalid("pruning parameter " + key + "=" + v + " must be in [" + min + ", " + max + "]");
        }
        return x;
    }

    public String choice(String key, String def, Set<String> allowed) {
        String v = params.getOrDefault(key, def).trim().toLowerCase(java.util.Locale.ROOT);
        if (!allowed.contains(v)) {
            throw GlimpseException.invalid("pruning parameter " + key + "=\"" + v + "\" must be one of "
                    + String.join(", ", allowed.stream().sorted().toList()));
        }
        return v;
    }
}
