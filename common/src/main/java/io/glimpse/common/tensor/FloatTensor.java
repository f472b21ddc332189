package io.glimpse.common.tensor;

import java.util.Arrays;

/** A dense row-major float tensor. */
public record FloatTensor(int[] shape, float[] data) {

    public FloatTensor {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            }
            n *= d;
        }
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n
                    + " elements, got " + data.length);
        }
    }

    public static FloatTensor of(float[] data, int... shape) {
        return new FloatTensor(shape.clone(), data);
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int i) {
        return shape[i];
    }

    /** Rows of a rank-2 tensor, copied: {@code [rows.length, dim(1)]}. */
    public FloatTensor selectRows(int[] rows) {
        int w = shape[1];
        float[] out = new float[rows.length * w];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(data, rows[i] * w, out, i * w, w);
        }
        return of(out, rows.length, w);
    }

    /** True when every element is finite. */
    public boolean allFinite() {
        for (float v : data) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }
}
