package io.glimpse.tokenizer.encode;

import io.glimpse.common.tensor.FloatTensor;

/**
 * Vision-encoder results for a batch. {@code attentions}/{@code keys} are null when the bundle does
 * not export them.
 *
 * @param features   [B, N, H] projected to the LM width
 * @param attentions [B, heads, N+1, N+1] at the bundle's ViT layer
 * @param keys       [B, heads, N+1, dh] at the same layer
 */
public record VisionOutputs(FloatTensor features, FloatTensor attentions, FloatTensor keys) {

    /** Image {@code b} of a batched [B, ...] tensor as an unbatched tensor. */
    public static FloatTensor slice(FloatTensor batched, int b) {
        FloatTensor one = images(batched, b, 1);
        return one == null ? null : new FloatTensor(java.util.Arrays.copyOfRange(one.shape(), 1, one.rank()), one.data());
    }

    /** Images [from, from + count) of a batched [B, ...] tensor, still batched. */
    public static FloatTensor images(FloatTensor batched, int from, int count) {
        if (batched == null) {
            return null;
        }
        int per = batched.data().length / batched.dim(0);
        float[] out = new float[count * per];
        System.arraycopy(batched.data(), from * per, out, 0, count * per);
        int[] shape = batched.shape().clone();
        shape[0] = count;
        return new FloatTensor(shape, out);
    }
}
