package io.glimpse.tokenizer.encode;

import io.glimpse.common.error.GlimpseException;

import java.util.Arrays;

/**
 * Token reduction inside the vision encoder, between the stages its bundle declares: after stage i the
 * reduction keeps {@code schedule(...)[i - 1]} patch tokens (CLS always stays), and the later stages run
 * on them. A schedule is either explicit ({@code keepPerStage}, at most stages - 1 entries; later stages keep
 * what the last entry leaves) or ToMe's constant {@code r} removed after every stage but the last.
 */
public record EncoderReduction(Method method, int[] keepPerStage, int r) {
    public enum Method {
        NONE("no reduction inside the encoder"),
        TOME("bipartite soft matching on the stage's keys, size-weighted merges, proportional attention in later stages (ToMe)"),
        ZERO_TPRUNE("weighted PageRank on the stage's attention graph, I' -> S -> I, catalog defaults (Zero-TPrune)"),
        ATTENTION_DROP("keep the patches CLS attends to most in the stage just run (VisionZip's dominant tokens)");

        private final String summary;

        Method(String summary) {
            this.summary = summary;
        }

        /** What {@code glimpse methods} prints. */
        public String summary() {
            return summary;
        }
    }

    public static final EncoderReduction NONE = new EncoderReduction(Method.NONE, new int[0], 0);

    public EncoderReduction {
        keepPerStage = keepPerStage == null ? new int[0] : keepPerStage.clone();
    }

    public boolean active() {
        return method != Method.NONE;
    }

    /**
     * Patch tokens kept after each of stages 1 .. stages - 1 of an encoder over {@code patches} patches, or
     * INVALID_ARGUMENT naming the entry and the stage a schedule cannot run on.
     */
    public int[] schedule(int patches, int stages) {
        if (method == Method.NONE) {
            if (keepPerStage.length > 0 || r != 0) {
                throw GlimpseException.invalid("encoder_reduction: keep_per_stage or r is given without a method "
                        + "(TOME, ZERO_TPRUNE or ATTENTION_DROP)");
            }
            return new int[0];
        }
        int boundaries = stages - 1;
        if (boundaries < 1) {
            throw GlimpseException.precondition("encoder_reduction: the bundle's vision encoder is one stage; there is "
                    + "no point between stages to reduce at (re-export it with tools/export.py --stages-only)");
        }
        if (keepPerStage.length > 0 && r != 0) {
            throw GlimpseException.invalid("encoder_reduction: give keep_per_stage or r, not both");
        }
        if (keepPerStage.length == 0 && r <= 0) {
            throw GlimpseException.invalid("encoder_reduction " + method + " needs keep_per_stage (patch tokens kept after "
                    + "stage 1, 2, ...) or r > 0 (tokens removed after every stage but the last)" + (r < 0 ? "; r = " + r : ""));
        }
        int[] keep = new int[boundaries];
        if (r > 0) {
            for (int i = 0; i < boundaries; i++) {
                keep[i] = patches - r * (i + 1);
                if (keep[i] < 1) {
                    throw GlimpseException.invalid("encoder_reduction: r = " + r + " leaves no token after stage " + (i + 1)
                            + " of " + patches + " patches; at most " + Math.max(0, (patches - 1) / boundaries)
                            + " per stage for this encoder's " + stages + " stages");
                }
            }
            return keep;
        }
        if (keepPerStage.length > boundaries) {
            throw GlimpseException.invalid("encoder_reduction.keep_per_stage has " + keepPerStage.length + " entries but the "
                    + "encoder has " + stages + " stages: at most " + boundaries + " (after stages 1 to " + boundaries + ")");
        }
        int before = patches;
        for (int i = 0; i < boundaries; i++) {
            int k = i < keepPerStage.length ? keepPerStage[i] : before;
            if (k < 1) {
                throw GlimpseException.invalid("encoder_reduction.keep_per_stage[" + i + "] = " + k + ": stage " + (i + 2)
                        + " needs at least one patch token");
            }
            if (k > before) {
                throw GlimpseException.invalid("encoder_reduction.keep_per_stage[" + i + "] = " + k + " keeps more tokens than "
                        + (i == 0 ? "stage 1 has (" + patches + " patches)" : "stage " + i + "'s reduction left (" + before + ")"));
            }
            keep[i] = k;
            before = k;
        }
        return keep;
    }

    /** The patch tokens that leave the encoder. */
    public int leaves(int patches, int stages) {
        int[] s = schedule(patches, stages);
        return s.length == 0 ? patches : s[s.length - 1];
    }

    @Override
    public String toString() {
        return method == Method.NONE ? "none" : method + (r > 0 ? " r=" + r : " keep " + Arrays.toString(keepPerStage));
    }
}
