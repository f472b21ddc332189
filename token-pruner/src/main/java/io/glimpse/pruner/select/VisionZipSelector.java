package io.glimpse.pruner.select;

import io.glimpse.kernel.AttentionGraph;
import io.glimpse.common.methods.MethodDescriptor;
import io.glimpse.common.methods.PruningMethods;

import io.glimpse.common.tensor.FloatTensor;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.kernel.Rows;
import io.glimpse.kernel.TopK;

import java.util.Arrays;
import java.util.Set;

/**
 * VisionZip: dominant tokens = the most CLS-attended (ViT layer -2, head mean); the rest merge into
 * uniformly strided contextual targets by key cosine. As in the released code a contextual token is
 * {@code target + mean(assigned)} ({@code context_merge=sum}); {@code mean} averages target and
 * assigned instead. The split follows the paper's 54+10 of 64 ({@code contextual_share}).
 */
public final class VisionZipSelector implements TokenSelector {
    private static final MethodDescriptor D = PruningMethods.of(PruningMethod.VISIONZIP.name());

    @Override
    public Selection select(TokenSet tokens, int keep, PruningSpec spec, QueryContext query, int image) {
        double share = spec.number(D.param("contextual_share"));
        boolean sum = spec.choice(D.param("context_merge")).equals("sum");
        AttentionGraph g = AttentionGraph.of(tokens);
        int n = tokens.count();
        int d = tokens.hidden();
        int contextual = keep >= 2 ? Math.max(1, (int) Math.round(keep * share)) : 0;
        contextual = Math.min(contextual, keep - 1);
        int dominant = keep - contextual;
        float[] cls = g.clsAttention();
        int[] dom = TopK.keepSorted(cls, dominant);
        boolean[] isDom = new boolean[n];
        for (int i : dom) {
            isDom[i] = true;
        }
        int[] rest = new int[n - dominant];
        for (int i = 0, r = 0; i < n; i++) {
            if (!isDom[i]) {
                rest[r++] = i;
            }
        }
        long flops = g.flops() + (long) g.heads() * n;
        float[] x = tokens.embeddings().data();
        float[] out = new float[keep * d];
        int[] rows = new int[keep];
        float[] scores = cls.clone();
        int[] targets = new int[contextual];
        if (contextual > 0) {
            int step = Math.max(1, rest.length / contextual);   // the released code's stride
            for (int t = 0; t < contextual; t++) {
                targets[t] = rest[Math.min(rest.length - 1, t * step)];
            }
            float[] unit = Rows.normalized(g.keys(), n, g.keyDim());
            float[] targetRows = new float[contextual * g.keyDim()];
            for (int t = 0; t < contextual; t++) {
                System.arraycopy(unit, targets[t] * g.keyDim(), targetRows, t * g.keyDim(), g.keyDim());
            }
            float[][] targetCols = Rows.columns(targetRows, contextual, g.keyDim());
            float[] sims = new float[contextual];
            float[] acc = new float[contextual * d];
            int[] count = new int[contextual];
            Set<Integer> targetSet = new java.util.HashSet<>();
            for (int t : targets) {
                targetSet.add(t);
            }
            for (int i : rest) {
                if (targetSet.contains(i)) {
                    continue;
                }
                Rows.dotsWith(targetCols, unit, i * g.keyDim(), sims);
                int best = 0;
                for (int t = 1; t < contextual; t++) {
                    if (sims[t] > sims[best]) {
                        best = t;
                    }
                }
                for (int k = 0; k < d; k++) {
                    acc[best * d + k] += x[i * d + k];
                }
                count[best]++;
            }
            flops += (long) rest.length * contextual * g.keyDim();
            for (int t = 0; t < contextual; t++) {
                for (int k = 0; k < d; k++) {
                    float target = x[targets[t] * d + k];
                    float assigned = count[t] == 0 ? 0f : acc[t * d + k] / count[t];
                    acc[t * d + k] = sum ? target + assigned
                            : (target + acc[t * d + k]) / (1 + count[t]);
                }
            }
            // ordered by origin with the dominant tokens
            int[] all = new int[keep];
            System.arraycopy(dom, 0, all, 0, dominant);
            System.arraycopy(targets, 0, all, dominant, contextual);
            Integer[] idx = new Integer[keep];
            for (int i = 0; i < keep; i++) {
                idx[i] = i;
            }
            Arrays.sort(idx, (p, q) -> Integer.compare(all[p], all[q]));
            for (int o = 0; o < keep; o++) {
                int src = idx[o];
                rows[o] = all[src];
                if (src < dominant) {
                    System.arraycopy(x, all[src] * d, out, o * d, d);
                } else {
                    System.arraycopy(acc, (src - dominant) * d, out, o * d, d);
                }
            }
        } else {
            for (int o = 0; o < keep; o++) {
                rows[o] = dom[o];
                System.arraycopy(x, dom[o] * d, out, o * d, d);
            }
        }
        return new Selection(rows, scores, FloatTensor.of(out, keep, d), flops);
    }
}
