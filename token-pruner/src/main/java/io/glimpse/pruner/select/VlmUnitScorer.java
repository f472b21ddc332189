package io.glimpse.pruner.select;

import io.glimpse.common.cost.PrefillCost;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.pruner.query.QueryDecoupler;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** QuoTA's own scorer: the VLM answers a yes/no question about the entities the query names, from one unit's tokens; relevance = P(yes). */
final class VlmUnitScorer implements UnitScorer {
    @Override
    public float[] score(List<QuotaAssignment.Unit> units, List<TokenSet> images, QueryContext query, long[] flops) {
        float[] s = new float[units.size()];
        QueryDecoupler d = QueryDecoupler.of(query.model().config("QUOTA scorer=vlm")).orElseThrow(() ->
                GlimpseException.precondition("QUOTA scorer=vlm needs query_decoupling in the bundle's config.json "
                        + "(entity words and a yes/no relevance prompt); use scorer=attention or similarity"));
        Optional<QueryDecoupler.RelevancePrompt> prompt = d.relevancePrompt(query.question());
        if (prompt.isEmpty()) {
            Arrays.fill(s, 1f);   // the question names no entity: every unit is equally relevant
            return s;
        }
        QueryDecoupler.RelevancePrompt p = prompt.get();
        long yes = p.yes() == null ? -1 : query.model().tokenId(p.yes(), "QUOTA");
        long no = query.model().tokenId(p.no(), "QUOTA");
        var cfg = query.model().config("QUOTA");
        for (int u = 0; u < units.size(); u++) {
            QuotaAssignment.Unit unit = units.get(u);
            TokenSet part = images.get(unit.image()).keep(unit.rows(), null);
            float[] dist = query.model().firstAnswerDistribution(p.prompt(), part, "QUOTA");
            s[u] = yes >= 0 ? dist[(int) yes] / Math.max(1e-12f, dist[(int) yes] + dist[(int) no]) : 1f - dist[(int) no];
            // the unit's tokens plus the relevance prompt, through every layer (one cost model: PrefillCost)
            flops[0] += (long) PrefillCost.prefillFlops(part.count() + 8L, cfg.hiddenSize(), cfg.intermediateSize(),
                    cfg.numLayers());
        }
        return s;
    }
}
