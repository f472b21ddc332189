package io.glimpse.pruner.select;

import io.glimpse.common.tokens.TokenSet;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Seeded uniform random subset; each image of a request draws from its own stream of the seed. */
public final class RandomSelector implements TokenSelector {
    @Override
    public Selection select(TokenSet tokens, int keep, PruningSpec spec, QueryContext query, int imageIndex) {
        int n = tokens.count();
        SplittableRandom random = new SplittableRandom(spec.seed() * 0x9E3779B97F4A7C15L + imageIndex);
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = 0; i < keep; i++) {   // partial Fisher-Yates: the first keep slots are the sample
            int j = i + random.nextInt(n - i);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int[] kept = Arrays.copyOf(order, keep);
        Arrays.sort(kept);
        return new Selection(kept, SelectionScores.indicator(n, kept));
    }
}
