package io.glimpse.pruner.select;

import io.glimpse.common.tokens.TokenSet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Another method's selection inside the unit ({@code within=<method>}), with the request's parameters. */
final class MethodShrinker implements UnitShrinker {
    private final TokenSelector selector;
    private final PruningSpec spec;
    private final QueryContext query;

    MethodShrinker(TokenSelector selector, PruningSpec spec, QueryContext query) {
        this.selector = selector;
        this.spec = spec;
        this.query = query;
    }

    @Override
    public List<Piece> shrink(TokenSet t, QuotaAssignment.Unit unit, float[] x, int k, long[] flops) {
        int d = t.hidden();
        TokenSet part = t.keep(unit.rows(), null);
        PruningMethod m = PruningMethod.valueOf(spec.params().getOrDefault("within", "").trim().toUpperCase(java.util.Locale.ROOT));
        Selection sel = selector.select(part, k, spec.withMethod(m, k), new QueryContext(query.question(), List.of(part),
                query.model()), 0);
        flops[0] += sel.flops();
        float[] px = sel.merged() != null ? sel.merged().data() : part.embeddings().selectRows(sel.kept()).data();
        List<Piece> out = new ArrayList<>();
        for (int i = 0; i < sel.kept().length; i++) {
            out.add(new Piece(unit.rows()[sel.kept()[i]], Arrays.copyOfRange(px, i * d, (i + 1) * d)));
        }
        return out;
    }
}
