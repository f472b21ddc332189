package io.glimpse.common.cost;

/**
 * The cost model of docs/design/cost-model.md: a transformer layer over n tokens of width d with FFN width
 * m costs 4nd^2 + 2n^2d + 2ndm multiply-adds. FLOPs = 2 x multiply-adds.
 */
public final class PrefillCost {
    private PrefillCost() {
    }

    public static double layerMacs(long n, long d, long m) {
        return 4.0 * n * d * d + 2.0 * n * n * d + 2.0 * n * d * m;
    }

    /** Prefill FLOPs of {@code layers} layers over {@code n} tokens. */
    public static double prefillFlops(long n, long d, long m, int layers) {
        return 2.0 * layers * layerMacs(n, d, m);
    }

    /**
     * A ViT's FLOPs over {@code blocksPerStage[s]} blocks at {@code tokensPerStage[s]} tokens each (CLS included),
     * width d and FFN 4d: what an encoder that reduces tokens between its stages spends (patch embedding and
     * projector aside: they are the same few percent with and without reduction).
     */
    public static double encoderFlops(int[] tokensPerStage, int[] blocksPerStage, long d) {
        double macs = 0;
        for (int s = 0; s < tokensPerStage.length; s++) {
            macs += blocksPerStage[s] * layerMacs(tokensPerStage[s], d, 4 * d);
        }
        return 2.0 * macs;
    }

    /** Pruning at LM layer k: k layers at n tokens, the remaining L - k at n'. */
    public static double prefillFlopsPrunedAt(long n, long nPrime, long d, long m, int layers, int k) {
        return 2.0 * (k * layerMacs(n, d, m) + (layers - k) * layerMacs(nPrime, d, m));
    }
}
