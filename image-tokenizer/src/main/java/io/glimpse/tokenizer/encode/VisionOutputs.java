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
        if (batched == null) {
            return null;
        }
        int[] shape = java.util.Arrays.copyOfRange(batched.shape(), 1, batched.rank());
        int per = batched.data().length / batched.dim(0);
        float[] out = new float[per];
        System.arraycopy(batched.data(), b * per, out, 0, per);
        return new FloatTensor(shape, out);
    }
}
