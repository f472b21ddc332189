package io.glimpse.pruner.select;

import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.methods.PruningMethods;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.pruner.query.QueryModel;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a request's pruning steps in order. Per-image methods get each image's budget; QUOTA
 * assigns the budget over the request's units itself. Scores reported per input token are those of
 * the first step (later steps score tokens that are no longer the input's).
 */
public final class TokenPrunerEngine {
    private final Map<PruningMethod, TokenSelector> selectors = new EnumMap<>(PruningMethod.class);
    private final QuotaAssignment quota;
    private final QueryModel model;

    /** The kept images and the multiply-adds the pruning itself spent. */
    public record Result(List<TokenSet> images, long flops) {
    }

    public TokenPrunerEngine() {
        this(QueryModel.none());
    }

    public TokenPrunerEngine(QueryModel model) {
        this.model = model;
        selectors.put(PruningMethod.RANDOM, new RandomSelector());
        selectors.put(PruningMethod.UNIFORM, new UniformSelector());
        selectors.put(PruningMethod.ZERO_TPRUNE, new ZeroTPruneSelector());
        selectors.put(PruningMethod.TOME, new TomeSelector());
        selectors.put(PruningMethod.VISIONZIP, new VisionZipSelector());
        selectors.put(PruningMethod.DIVPRUNE, new DivPruneSelector());
        selectors.put(PruningMethod.FASTV, new FastVSelector());
        selectors.put(PruningMethod.CORE_MATCHING, new CoreMatchingSelector());
        // the catalog is the list of methods: each one runs here (NONE and QUOTA are the engine's own)
        for (String name : io.glimpse.common.methods.PruningMethods.names()) {
            PruningMethod m = PruningMethod.valueOf(name);   // the enum must name every catalog method
            if (m != PruningMethod.NONE && m != PruningMethod.QUOTA && !selectors.containsKey(m)) {
                throw new IllegalStateException("the method catalog lists " + name + " but the pruner has no selector for it");
            }
        }
        this.quota = new QuotaAssignment(selectors);
    }

    public Result prune(List<TokenSet> images, PruningSpec spec, String question) {
        if (images.isEmpty()) {
            throw GlimpseException.invalid("no images to prune");
        }
        List<TokenSet> current = images;
        long flops = 0;
        float[][] firstScores = null;
        for (PruningSpec step : spec.steps()) {
            Result r = step(current, step, question);
            if (firstScores == null) {
                firstScores = r.images().stream().map(TokenSet::scores).toArray(float[][]::new);
            }
            current = r.images();
            flops += r.flops();
        }
        List<TokenSet> out = new ArrayList<>();
        for (int i = 0; i < current.size(); i++) {
            out.add(current.get(i).withScores(firstScores[i]));
        }
        return new Result(out, flops);
    }

    private Result step(List<TokenSet> images, PruningSpec spec, String question) {
        QueryContext query = new QueryContext(question, images, model);
        if (spec.method() == PruningMethod.QUOTA) {
            QuotaAssignment.Outcome o = quota.reduce(images, spec, query);
            return new Result(o.images(), o.flops());
        }
        TokenSelector selector = null;
        if (spec.method() != PruningMethod.NONE) {
            selector = selectors.get(spec.method());
            if (selector == null) {
                throw new GlimpseException(GlimpseException.Kind.UNIMPLEMENTED, "pruning method " + spec.method()
                        + " is not available in this build");
            }
        }
        spec.checkParams(PruningMethods.of(spec.method().name()).paramNames());
        int[] budgets = Budget.perImage(images.stream().mapToInt(TokenSet::count).toArray(), spec);
        boolean adaptive = selector != null && selector.decidesCount() && !spec.hasBudget();
        List<TokenSet> out = new ArrayList<>();
        long flops = 0;
        for (int i = 0; i < images.size(); i++) {
            TokenSet set = images.get(i);
            if (selector == null) {
                out.add(set.keep(all(set.count()), null));
                continue;
            }
            if (!adaptive && budgets[i] >= set.count()) {
                // nothing to drop, but the API promises one score per input token: score as if one
                // token went, keep them all
                float[] scores = null;
                if (set.count() > 1) {
                    Selection s = selector.select(set, set.count() - 1, spec, query, i);
                    flops += s.flops();
                    scores = s.scores();
                }
                out.add(set.keep(all(set.count()), scores));
                continue;
            }
            Selection s = selector.select(set, adaptive ? 0 : budgets[i], spec, query, i);
            flops += s.flops();
            out.add(s.merged() == null ? set.keep(s.kept(), s.scores()) : set.merge(s.kept(), s.merged(), s.scores()));
        }
        return new Result(out, flops);
    }

    static int[] all(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }
}
