package io.glimpse.model.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import io.glimpse.common.error.GlimpseException;

import java.util.Arrays;

/**
 * The sufficiency head's thresholds per quality target ({@code config.json} {@code sufficiency.selection}).
 * ADAPTIVE takes the cheapest candidate whose predicted fidelity reaches a threshold; taking the cheapest
 * favours predictions that erred upwards, so a head right on average falls short of the target it is asked
 * for. The fit measures, per target, the threshold at which the rule's picks reproduced that share of the
 * full grid's answers on held-out images; targets between two rows interpolate, below the first the line
 * runs from (0, 0). Without a table the threshold is the target itself.
 */
public record SufficiencySelection(float[] targets, float[] thresholds) {

    public static final SufficiencySelection IDENTITY = new SufficiencySelection(new float[0], new float[0]);

    public float threshold(float target) {
        if (targets.length == 0) {
            return target;
        }
        int i = Arrays.binarySearch(targets, target);
        if (i >= 0) {
            return thresholds[i];
        }
        int hi = -i - 1;
        if (hi >= targets.length) {
            return thresholds[targets.length - 1];
        }
        float t0 = hi == 0 ? 0f : targets[hi - 1];
        float h0 = hi == 0 ? 0f : thresholds[hi - 1];
        return h0 + (thresholds[hi] - h0) * (target - t0) / (targets[hi] - t0);
    }

    /** Reads the table; refuses one whose targets do not rise or whose values leave [0, 1]. */
    static SufficiencySelection parse(JsonNode rows) {
        if (rows.isMissingNode() || rows.isNull()) {
            return IDENTITY;
        }
        if (!rows.isArray()) {
            throw GlimpseException.precondition("config.json sufficiency.selection must be a list of {target, threshold}, got "
                    + rows);
        }
        float[] t = new float[rows.size()];
        float[] h = new float[rows.size()];
        for (int i = 0; i < t.length; i++) {
            JsonNode r = rows.get(i);
            t[i] = (float) r.path("target").asDouble(Double.NaN);
            h[i] = (float) r.path("threshold").asDouble(Double.NaN);
            boolean inRange = t[i] > 0 && t[i] <= 1 && h[i] >= 0 && h[i] <= 1;
            if (!inRange || (i > 0 && (t[i] <= t[i - 1] || h[i] < h[i - 1]))) {
                throw GlimpseException.precondition("config.json sufficiency.selection row " + i + " " + r
                        + ": targets must rise within (0, 1] and thresholds within [0, 1] must not fall");
            }
        }
        return new SufficiencySelection(t, h);
    }
}
