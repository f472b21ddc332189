package io.glimpse.bench;

import io.glimpse.common.tensor.FloatTensor;
import io.glimpse.common.tokens.TokenKind;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.lm.CoreNeurons;
import io.glimpse.kernel.GridResize;
import io.glimpse.kernel.WaterFilling;
import io.glimpse.pruner.query.QueryModel;
import io.glimpse.pruner.select.DivPruneSelector;
import io.glimpse.pruner.select.PruningMethod;
import io.glimpse.pruner.select.PruningSpec;
import io.glimpse.pruner.select.QueryContext;
import io.glimpse.pruner.select.Selection;
import io.glimpse.pruner.select.TomeSelector;
import io.glimpse.pruner.select.ZeroTPruneSelector;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The pruning kernels at LLaVA-1.5 scale: N = 576 visual tokens, 16 heads, head dim 64, width 1024,
 * FFN 4096. One thread. Multiply-add counts per call are printed by {@link FlopCounts}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
public class PruningBenchmarks {
    static final int N = 576;
    static final int HEADS = 16;
    static final int HEAD_DIM = 64;
    static final int WIDTH = 1024;
    static final int FFN = 4096;
    static final int PROMPT_TEXT = 32;

    TokenSet tokens;
    float[] activations;
    int[] imageRows;
    QueryContext query;

    @Setup(Level.Trial)
    public void setUp() {
        State s = State.create(7);
        tokens = s.tokens;
        activations = s.activations;
        imageRows = s.imageRows;
        query = new QueryContext("q", List.of(tokens), QueryModel.none());
    }

    /** Shared by the benchmarks and {@link FlopCounts}. */
    static final class State {
        TokenSet tokens;
        float[] activations;
        int[] imageRows;

        static State create(long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            State s = new State();
            int g = N + 1;
            float[] att = new float[HEADS * g * g];
            for (int h = 0; h < HEADS; h++) {
                for (int i = 0; i < g; i++) {
                    double sum = 0;
                    for (int j = 0; j < g; j++) {
                        float v = (float) Math.exp(3 * r.nextDouble());
                        att[(h * g + i) * g + j] = v;
                        sum += v;
                    }
                    for (int j = 0; j < g; j++) {
                        att[(h * g + i) * g + j] /= (float) sum;
                    }
                }
            }
            s.tokens = new TokenSet(FloatTensor.of(gaussian(r, N * WIDTH), N, WIDTH), TokenKind.GRID, range(N), N, 24, 24,
                    0, FloatTensor.of(att, HEADS, g, g), FloatTensor.of(gaussian(r, HEADS * g * HEAD_DIM), HEADS, g, HEAD_DIM),
                    null, null);
            int rows = N + PROMPT_TEXT;
            s.activations = gaussian(r, rows * FFN);
            s.imageRows = new int[N];
            Arrays.setAll(s.imageRows, i -> i + 1);
            return s;
        }
    }

    static float[] gaussian(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble()));
        }
        return x;
    }

    static int[] range(int n) {
        int[] o = new int[n];
        Arrays.setAll(o, i -> i);
        return o;
    }

    static PruningSpec spec(PruningMethod m, int keep, Map<String, String> params) {
        return new PruningSpec(m, keep, 0f, false, 0L, params);
    }

    /** 30 full WPR iterations (tolerance 0 so none stops early), keep 64. */
    @Benchmark
    public Selection zeroTPrune30Iterations() {
        return new ZeroTPruneSelector().select(tokens, 64, spec(PruningMethod.ZERO_TPRUNE, 64,
                Map.of("iterations", "30", "tolerance", "0")), query, 0);
    }

    /** One round of bipartite soft matching, r = N/4. */
    @Benchmark
    public Selection tomeQuarter() {
        return new TomeSelector().select(tokens, N - N / 4, spec(PruningMethod.TOME, N - N / 4, Map.of()), query, 0);
    }

    /** k = 64, first pick as the released code (most isolated token: all pairs). */
    @Benchmark
    public Selection divPrune64() {
        return new DivPruneSelector().select(tokens, 64, spec(PruningMethod.DIVPRUNE, 64, Map.of("first", "isolated")), query, 0);
    }

    /** k = 64, first pick farthest from the mean direction: O(kNd) overall. */
    @Benchmark
    public Selection divPrune64Mean() {
        return new DivPruneSelector().select(tokens, 64, spec(PruningMethod.DIVPRUNE, 64, Map.of("first", "mean")), query, 0);
    }

    /** Core neurons over N + 32 prompt tokens of F = 4096 activations, then the N visual tokens' scores. */
    @Benchmark
    public float[] coreMatchingScores() {
        boolean[] core = CoreNeurons.select(activations, N + PROMPT_TEXT, FFN, 0.2, 0.4);
        return CoreNeurons.tokenScores(activations, imageRows, FFN, core);
    }

    /** QuoTA over 16 frames of 24x24 tokens: water-filling 1,024 tokens, then bilinear resize of every frame. */
    @Benchmark
    public int quotaAssignAndResize() {
        double[] w = new double[16];
        int[] cap = new int[16];
        for (int i = 0; i < 16; i++) {
            w[i] = (i + 1) * (i + 1);
            cap[i] = N;
        }
        int[] n = WaterFilling.assign(w, new int[16], cap, 1024);
        int out = 0;
        float[] frame = tokens.embeddings().data();
        for (int k : n) {
            int side = Math.max(1, (int) Math.sqrt(k));
            out += GridResize.bilinear(frame, 24, 24, WIDTH, side, side).x().length;
        }
        return out;
    }
}
