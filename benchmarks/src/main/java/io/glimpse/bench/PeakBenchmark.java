package io.glimpse.bench;

import io.glimpse.kernel.Rows;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The core's practical peak for Java float code: multiply-adds on L1-resident arrays in the loop
 * shape HotSpot vectorises ({@link Rows#axpy}, the kernels' own primitive), 16 independent rows so no
 * dependency chain limits it. One operation = one multiply-add; GFLOP/s = 2 / (ns per op).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
public class PeakBenchmark {
    static final int LEN = 256;
    static final int ROWS = 16;
    float[] x = new float[LEN];
    float[][] y = new float[ROWS][LEN];
    float[] a = new float[ROWS];

    @Setup
    public void setUp() {
        for (int i = 0; i < LEN; i++) {
            x[i] = i * 1e-3f;
        }
        for (int r = 0; r < ROWS; r++) {
            a[r] = 1e-4f * r;
        }
    }

    @Benchmark
    @OperationsPerInvocation(ROWS * LEN)
    public float[][] axpyL1() {
        for (int r = 0; r < ROWS; r++) {
            Rows.axpy(y[r], a[r], x);
        }
        return y;
    }
}
