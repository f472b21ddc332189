package io.glimpse.pruner.select;

import io.glimpse.common.tensor.FloatTensor;

/**
 * What a method decided for one image.
 *
 * @param kept   input rows kept, ascending (for merging methods: the row whose origin each output token takes)
 * @param scores one score per input token (importance, diversity, group size; for visualisation)
 * @param merged output embeddings [kept.length, hidden] when the method merges or resamples, else null
 * @param flops  multiply-adds the method spent
 */
public record Selection(int[] kept, float[] scores, FloatTensor merged, long flops) {
    public Selection(int[] kept, float[] scores) {
        this(kept, scores, null, 0L);
    }

    public Selection(int[] kept, float[] scores, long flops) {
        this(kept, scores, null, flops);
    }
}
