package io.glimpse.pruner.select;

import io.glimpse.common.tokens.TokenSet;
import io.glimpse.pruner.query.ProbedPrompt;
import io.glimpse.pruner.query.QueryModel;

import java.util.List;

/** One pruning step's view of the request: question, every image, and the LM probe run at most once. */
public final class QueryContext {
    private final String question;
    private final List<TokenSet> images;
    private final QueryModel model;
    private ProbedPrompt probed;

    public QueryContext(String question, List<TokenSet> images, QueryModel model) {
        this.question = question;
        this.images = images;
        this.model = model;
    }

    public String question() {
        return question;
    }

    public List<TokenSet> images() {
        return images;
    }

    public QueryModel model() {
        return model;
    }

    /** The probe over the full prompt; the first caller pays for it and reports its FLOPs. */
    public synchronized ProbedPrompt probe(String feature) {
        if (probed == null) {
            probed = model.probePrompt(question, images, feature);
        }
        return probed;
    }
}
