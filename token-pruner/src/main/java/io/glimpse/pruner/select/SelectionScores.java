package io.glimpse.pruner.select;

/** Per-token scores for methods that have no graded importance: 1 kept, 0 dropped. */
final class SelectionScores {
    private SelectionScores() {
    }

    static float[] indicator(int n, int[] kept) {
        float[] s = new float[n];
        for (int k : kept) {
            s[k] = 1f;
        }
        return s;
    }
}
