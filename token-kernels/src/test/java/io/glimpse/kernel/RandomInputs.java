package io.glimpse.kernel;

import java.util.SplittableRandom;

/** Seeded random matrices for the reference comparisons. */
final class RandomInputs {
    private RandomInputs() {
    }

    static float[] gaussian(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble()));
        }
        return x;
    }

    /** Row-stochastic [n, n] with strictly positive entries (softmax of random logits). */
    static float[] rowStochastic(SplittableRandom r, int n, double temperature) {
        float[] a = gaussian(r, n * n);
        for (int i = 0; i < n; i++) {
            double sum = 0;
            for (int j = 0; j < n; j++) {
                a[i * n + j] = (float) Math.exp(a[i * n + j] * temperature);
                sum += a[i * n + j];
            }
            for (int j = 0; j < n; j++) {
                a[i * n + j] /= (float) sum;
            }
        }
        return a;
    }

    static double cosine(float[] x, int i, int j, int d) {
        double dot = 0;
        double ni = 0;
        double nj = 0;
        for (int k = 0; k < d; k++) {
            dot += (double) x[i * d + k] * x[j * d + k];
            ni += (double) x[i * d + k] * x[i * d + k];
            nj += (double) x[j * d + k] * x[j * d + k];
        }
        return dot / Math.sqrt(ni * nj);
    }
}
