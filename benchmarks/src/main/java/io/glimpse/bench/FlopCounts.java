package io.glimpse.bench;

import io.glimpse.pruner.query.QueryModel;
import io.glimpse.pruner.select.DivPruneSelector;
import io.glimpse.pruner.select.PruningMethod;
import io.glimpse.pruner.select.QueryContext;
import io.glimpse.pruner.select.TomeSelector;
import io.glimpse.pruner.select.ZeroTPruneSelector;

import java.util.List;
import java.util.Map;

/** Multiply-adds per call of each benchmark, as the selectors count them (GFLOP/s = 2 x this / time). */
public final class FlopCounts {
    private FlopCounts() {
    }

    public static void main(String[] args) {
        PruningBenchmarks.State s = PruningBenchmarks.State.create(7);
        QueryContext q = new QueryContext("q", List.of(s.tokens), QueryModel.none());
        int n = PruningBenchmarks.N;
        System.out.println("zeroTPrune30Iterations " + new ZeroTPruneSelector().select(s.tokens, 64,
                PruningBenchmarks.spec(PruningMethod.ZERO_TPRUNE, 64, Map.of("iterations", "30", "tolerance", "0")), q, 0).flops());
        System.out.println("tomeQuarter " + new TomeSelector().select(s.tokens, n - n / 4,
                PruningBenchmarks.spec(PruningMethod.TOME, n - n / 4, Map.of()), q, 0).flops());
        System.out.println("divPrune64 " + new DivPruneSelector().select(s.tokens, 64,
                PruningBenchmarks.spec(PruningMethod.DIVPRUNE, 64, Map.of()), q, 0).flops());
        System.out.println("divPrune64Mean " + new DivPruneSelector().select(s.tokens, 64,
                PruningBenchmarks.spec(PruningMethod.DIVPRUNE, 64, Map.of("first", "mean")), q, 0).flops());
        System.out.println("coreMatchingScores " + ((long) (n + PruningBenchmarks.PROMPT_TEXT) * PruningBenchmarks.FFN
                + (long) n * PruningBenchmarks.FFN) + " comparisons (no multiply-adds)");
    }
}
