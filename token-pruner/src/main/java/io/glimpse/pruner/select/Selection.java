package io.glimpse.pruner.select;

/** Rows kept (ascending indices into the input set) and one score per input token. */
public record Selection(int[] kept, float[] scores) {
}
