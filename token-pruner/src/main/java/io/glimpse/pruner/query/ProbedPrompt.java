package io.glimpse.pruner.query;

import io.glimpse.model.bundle.BundleConfig;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.lm.LmProbe;
import io.glimpse.lm.PromptLayout;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** A request's prompt after the LM probe, with the rows of each image and of the question. */
public record ProbedPrompt(PromptLayout layout, List<TokenSet> images, LmProbe.Output output, BundleConfig config) {

    /** Prompt rows holding image {@code i}'s visual tokens, in token order. */
    public int[] imageRows(int i) {
        int from = 0;
        for (int k = 0; k < i; k++) {
            from += images.get(k).count();
        }
        return java.util.Arrays.copyOfRange(layout.imageRows(), from, from + images.get(i).count());
    }

    /** Text rows other than the special tokens: the question (and the answer cue). */
    public int[] questionRows() {
        Set<Integer> image = new HashSet<>();
        for (int r : layout.imageRows()) {
            image.add(r);
        }
        List<Integer> rows = new ArrayList<>();
        for (int r = 0; r < layout.length(); r++) {
            long id = layout.ids()[r];
            if (!image.contains(r) && id != config.bosTokenId() && id != config.eosTokenId() && id != config.padTokenId()) {
                rows.add(r);
            }
        }
        return rows.stream().mapToInt(Integer::intValue).toArray();
    }

    public int lastRow() {
        return layout.length() - 1;
    }

    /** Head-mean attention of {@code queryRows} (averaged) to each of {@code keyRows}. */
    public float[] meanAttention(int[] queryRows, int[] keyRows) {
        var att = output.attention();
        int heads = att.dim(0);
        int s = att.dim(1);
        float[] out = new float[keyRows.length];
        for (int h = 0; h < heads; h++) {
            for (int q : queryRows) {
                int base = (h * s + q) * s;
                for (int j = 0; j < keyRows.length; j++) {
                    out[j] += att.data()[base + keyRows[j]];
                }
            }
        }
        float inv = 1f / (heads * queryRows.length);
        for (int j = 0; j < out.length; j++) {
            out[j] *= inv;
        }
        return out;
    }

    /** Multiply-adds of the probe run (§4 cost model, probe layers over the whole prompt). */
    public long flops() {
        long n = layout.length();
        long d = config.hiddenSize();
        long m = config.intermediateSize();
        return Math.max(1, config.probeLayers()) * (4 * n * d * d + 2 * n * n * d + 2 * n * d * m);
    }
}
