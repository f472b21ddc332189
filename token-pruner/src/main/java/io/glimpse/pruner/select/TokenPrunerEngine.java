package io.glimpse.pruner.select;

import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.tokens.TokenSet;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Resolves the budget of each image and runs the chosen selector on it. */
public final class TokenPrunerEngine {
    private final Map<PruningMethod, TokenSelector> selectors = new EnumMap<>(PruningMethod.class);

    public TokenPrunerEngine() {
        selectors.put(PruningMethod.RANDOM, new RandomSelector());
        selectors.put(PruningMethod.UNIFORM, new UniformSelector());
    }

    public List<TokenSet> prune(List<TokenSet> images, PruningSpec spec, String question) {
        if (images.isEmpty()) {
            throw GlimpseException.invalid("no images to prune");
        }
        TokenSelector selector = null;
        if (spec.method() != PruningMethod.NONE) {
            selector = selectors.get(spec.method());
            if (selector == null) {
                throw new GlimpseException(GlimpseException.Kind.UNIMPLEMENTED, "pruning method " + spec.method()
                        + " is not available in this build; use NONE, RANDOM or UNIFORM");
            }
        }
        int[] budgets = Budget.perImage(images.stream().mapToInt(TokenSet::count).toArray(), spec);
        List<TokenSet> out = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            TokenSet set = images.get(i);
            if (selector == null || budgets[i] >= set.count()) {
                out.add(set.keep(all(set.count()), null));
                continue;
            }
            Selection s = selector.select(set, budgets[i], spec, i);
            out.add(set.keep(s.kept(), s.scores()));
        }
        return out;
    }

    private static int[] all(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }
}
