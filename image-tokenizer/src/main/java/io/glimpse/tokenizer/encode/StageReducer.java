package io.glimpse.tokenizer.encode;

import io.glimpse.common.methods.MethodDescriptor;
import io.glimpse.common.methods.PruningMethods;
import io.glimpse.common.tensor.FloatTensor;
import io.glimpse.kernel.AttentionGraph;
import io.glimpse.kernel.BipartiteSoftMatching;
import io.glimpse.kernel.Rows;
import io.glimpse.kernel.TopK;
import io.glimpse.kernel.ZeroTPrune;

import java.util.Arrays;

/**
 * One reduction between encoder stages, on the tokens the stage just produced and that stage's last
 * attention and keys (the graph the papers read inside the ViT). CLS is never reduced; the kernels are the
 * pruner's (token-kernels), so a method means the same inside the encoder and after it.
 */
final class StageReducer {
    private static final MethodDescriptor ZERO_T = PruningMethods.of("ZERO_TPRUNE");
    /** Zero-TPrune's knobs at the catalog's defaults (the same the pruner starts from). */
    private static final ZeroTPrune.Params ZERO_T_PARAMS = new ZeroTPrune.Params(
            (int) ZERO_T.param("iterations").defaultNumber(), ZERO_T.param("tolerance").defaultNumber(),
            ZERO_T.param("v_min").defaultNumber(), ZERO_T.param("v_max").defaultNumber(),
            ZERO_T.param("s_share").defaultNumber(), ZERO_T.param("init").def().equals("cls"),
            (int) ZERO_T.param("graph_top_m").defaultNumber());

    private StageReducer() {
    }

    /**
     * The tokens between two stages.
     *
     * @param hidden    [k+1, width], CLS first
     * @param attention the stage's last attention [heads, k+1, k+1], or null after a reduction (the next stage recomputes it)
     * @param keys      the stage's last keys [heads, k+1, dh], or null likewise
     * @param origin    per patch token, the patch it stands at
     * @param sizes     per patch token, the patches merged into it
     */
    record Tokens(FloatTensor hidden, FloatTensor attention, FloatTensor keys, int[] origin, float[] sizes, boolean merged) {
        int count() {
            return origin.length;
        }

        /** Stage 0's outputs (batch of one): every patch, each standing for itself. */
        static Tokens first(FloatTensor hidden, FloatTensor attention, FloatTensor keys) {
            int n = hidden.dim(1) - 1;
            int[] origin = new int[n];
            float[] sizes = new float[n];
            for (int i = 0; i < n; i++) {
                origin[i] = i;
                sizes[i] = 1f;
            }
            return new Tokens(unbatch(hidden), unbatch(attention), unbatch(keys), origin, sizes, false);
        }

        /** The same tokens after the next stage ran on them. */
        Tokens after(FloatTensor hidden, FloatTensor attention, FloatTensor keys) {
            return new Tokens(unbatch(hidden), unbatch(attention), unbatch(keys), origin, sizes, merged);
        }

        private static FloatTensor unbatch(FloatTensor t) {
            return new FloatTensor(Arrays.copyOfRange(t.shape(), 1, t.rank()), t.data());
        }
    }

    record Step(Tokens tokens, long flops) {
    }

    static Step reduce(Tokens t, EncoderReduction.Method method, int keep) {
        return switch (method) {
            case TOME -> merge(t, keep);
            case ZERO_TPRUNE -> {
                ZeroTPrune.Result r = ZeroTPrune.select(graph(t), keep, ZERO_T_PARAMS);
                yield new Step(keep(t, r.kept()), r.flops());
            }
            case ATTENTION_DROP -> {
                int[] kept = TopK.keepSorted(graph(t).clsAttention(), keep);
                Arrays.sort(kept);
                yield new Step(keep(t, kept), (long) t.attention().dim(0) * (t.count() + 1));
            }
            case NONE -> new Step(t, 0);
        };
    }

    /** The stage's attention graph (CLS first) with the patch tokens' head-mean keys as the similarity metric. */
    private static AttentionGraph graph(Tokens t) {
        FloatTensor a = t.attention();
        return new AttentionGraph(a.data(), a.dim(0), a.dim(1), 1, Rows.meanOverHeads(t.keys(), 1), t.keys().dim(2), 0L);
    }

    /** CLS and the kept patch tokens (ascending). */
    private static Tokens keep(Tokens t, int[] kept) {
        int[] rows = new int[kept.length + 1];
        int[] origin = new int[kept.length];
        float[] sizes = new float[kept.length];
        for (int i = 0; i < kept.length; i++) {
            rows[i + 1] = kept[i] + 1;
            origin[i] = t.origin()[kept[i]];
            sizes[i] = t.sizes()[kept[i]];
        }
        return new Tokens(t.hidden().selectRows(rows), null, null, origin, sizes, t.merged());
    }

    /**
     * ToMe as its ViT patch does it with a class token: CLS takes part in the A/B alternation but never merges;
     * merges are size-weighted from the sizes earlier merges left, on the stage's keys (mean over heads).
     */
    private static Step merge(Tokens t, int keep) {
        int k = t.count();
        int w = t.hidden().dim(1);
        float[] sizes = new float[k + 1];
        sizes[0] = 1f;
        System.arraycopy(t.sizes(), 0, sizes, 1, k);
        BipartiteSoftMatching.Result r = BipartiteSoftMatching.merge(t.hidden().data(), k + 1, w,
                Rows.meanOverHeads(t.keys(), 0), t.keys().dim(2), keep + 1, sizes, true);
        int m = r.rows().length - 1;
        int[] origin = new int[m];
        float[] patchSizes = new float[m];
        for (int i = 0; i < m; i++) {
            origin[i] = t.origin()[r.rows()[i + 1] - 1];
            patchSizes[i] = r.sizes()[i + 1];
        }
        return new Step(new Tokens(new FloatTensor(new int[]{m + 1, w}, r.x()), null, null, origin, patchSizes, true),
                r.flops());
    }
}
