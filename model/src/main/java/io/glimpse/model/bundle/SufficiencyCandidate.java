package io.glimpse.model.bundle;

/**
 * One count ADAPTIVE may choose, in the order of the resampler's {@code sufficiency} output: the first
 * {@code param} registers ({@link Kind#PREFIX}) or the grid pooled to {@code param x param}
 * ({@link Kind#POOLED}), giving {@code tokens} visual tokens.
 */
public record SufficiencyCandidate(Kind kind, int param, int tokens) {

    public enum Kind { PREFIX, POOLED }

    public static SufficiencyCandidate prefix(int k) {
        return new SufficiencyCandidate(Kind.PREFIX, k, k);
    }

    @Override
    public String toString() {
        return kind == Kind.PREFIX ? param + " registers" : param + "x" + param + " pooled";
    }
}
