package io.glimpse.kernel;

import java.util.Arrays;
import java.util.stream.IntStream;

/** Stable top-k: higher score first, ties to the lower index, so every selection is deterministic. */
public final class TopK {
    private TopK() {
    }

    /** Indices of all scores, best first. */
    public static int[] order(float[] scores) {
        return IntStream.range(0, scores.length).boxed()
                .sorted((a, b) -> {
                    int c = Float.compare(scores[b], scores[a]);
                    return c != 0 ? c : Integer.compare(a, b);
                })
                .mapToInt(Integer::intValue).toArray();
    }

    /** The k best indices in ascending index order. */
    public static int[] keepSorted(float[] scores, int k) {
        int[] best = Arrays.copyOf(order(scores), Math.min(k, scores.length));
        Arrays.sort(best);
        return best;
    }
}
