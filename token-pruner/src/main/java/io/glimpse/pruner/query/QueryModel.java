package io.glimpse.pruner.query;

import io.glimpse.model.bundle.BundleConfig;
import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.lm.PromptBuilder;
import io.glimpse.lm.KvCache;
import io.glimpse.lm.LanguageModel;
import io.glimpse.lm.LmProbe;
import io.glimpse.lm.PromptLayout;
import io.glimpse.lm.TextTokenizer;

import java.util.List;

/**
 * The language-model side the query-aware methods need (FastV, CoreMatching, QuoTA): the bundle's
 * tokenizer, embeddings, probe and, for QuoTA's yes/no scorer, the decoder. Each part opens on first
 * use, so a pruner serving only attention or diversity methods never loads the decoder; a missing
 * part answers FAILED_PRECONDITION naming the file.
 */
public final class QueryModel implements AutoCloseable {
    private final ModelBundle bundle;
    private final OrtSessionFactory sessions;
    private TextTokenizer tokenizer;
    private LanguageModel lm;
    private LmProbe probe;
    private PromptBuilder prompts;

    public QueryModel(ModelBundle bundle, OrtSessionFactory sessions) {
        this.bundle = bundle;
        this.sessions = sessions;
    }

    /** A pruner without a bundle: query-aware methods answer FAILED_PRECONDITION. */
    public static QueryModel none() {
        return new QueryModel(null, null);
    }

    public boolean available() {
        return bundle != null;
    }

    /** Whether the bundle has the LM probe (the attention-based scorers' input). */
    public boolean hasProbe() {
        return bundle != null && bundle.has(ModelBundle.LM_PROBE);
    }

    public BundleConfig config(String feature) {
        return bundle(feature).config();
    }

    private ModelBundle bundle(String feature) {
        if (bundle == null) {
            throw GlimpseException.precondition(feature + " needs the model bundle's language model, but this "
                    + "token-pruner was started without one (start it with --bundle DIR)");
        }
        return bundle;
    }

    private synchronized TextTokenizer tokenizer(String feature) {
        if (tokenizer == null) {
            tokenizer = new TextTokenizer(bundle(feature).require(ModelBundle.TOKENIZER, feature));
        }
        return tokenizer;
    }

    private synchronized LanguageModel lm(String feature) {
        if (lm == null) {
            lm = new LanguageModel(bundle(feature), sessions);
        }
        return lm;
    }

    private synchronized LmProbe probe(String feature) {
        if (probe == null) {
            probe = new LmProbe(bundle(feature), sessions, feature);
        }
        return probe;
    }

    /** The prompt exactly as the runner lays it out (the family's own prompt side). */
    private synchronized PromptLayout layout(String question, List<TokenSet> images, String feature) {
        ModelBundle b = bundle(feature);
        if (prompts == null) {
            prompts = PromptBuilder.of(b, tokenizer(feature));
        }
        return fits(prompts.build(question, images), b, feature);
    }

    /** A prompt longer than the model's positions is the request's fault, said before the model runs. */
    private static PromptLayout fits(PromptLayout layout, ModelBundle b, String feature) {
        if (layout.nextPosition() > b.config().maxPositions()) {
            throw GlimpseException.invalid(feature + ": the prompt needs positions up to " + layout.nextPosition() + " ("
                    + layout.length() + " tokens incl. " + layout.visualTokens() + " visual) but the model has "
                    + b.config().maxPositions() + "; send fewer images or fewer visual tokens per image");
        }
        return layout;
    }

    /** The request's prompt (question and every image's tokens, as the runner lays it out) through the probe. */
    public ProbedPrompt probePrompt(String question, List<TokenSet> images, String feature) {
        ModelBundle b = bundle(feature);
        LmProbe p = probe(feature);
        PromptLayout layout = layout(question, images, feature);
        float[] embeds = lm(feature).embedPrompt(layout, images);
        return new ProbedPrompt(layout, images, p.run(embeds, layout.positions()), b.config());
    }

    /** Embeddings [words, hidden] of a piece of text, row-major. */
    public float[] embedText(String text, String feature) {
        return lm(feature).embed(tokenizer(feature).encode(text));
    }

    public long tokenId(String word, String feature) {
        long[] ids = tokenizer(feature).encode(word);
        if (ids.length != 1) {
            throw GlimpseException.precondition(feature + ": \"" + word + "\" is not one token of the bundle's tokenizer");
        }
        return ids[0];
    }

    /** Probabilities of the first answer token for {@code prompt} over one image's tokens. */
    public float[] firstAnswerDistribution(String prompt, TokenSet tokens, String feature) {
        LanguageModel model = lm(feature);
        PromptLayout layout = layout(prompt, List.of(tokens), feature);
        float[] embeds = model.embedPrompt(layout, List.of(tokens));
        try (KvCache cache = model.newCache()) {
            var logits = model.forward(embeds, layout.positions(), cache, null);
            int vocab = logits.dim(1);
            float[] last = java.util.Arrays.copyOfRange(logits.data(), (layout.length() - 1) * vocab, layout.length() * vocab);
            float max = Float.NEGATIVE_INFINITY;
            for (float v : last) {
                max = Math.max(max, v);
            }
            double sum = 0;
            for (int i = 0; i < vocab; i++) {
                last[i] = (float) Math.exp(last[i] - max);
                sum += last[i];
            }
            for (int i = 0; i < vocab; i++) {
                last[i] /= (float) sum;
            }
            return last;
        }
    }

    @Override
    public synchronized void close() throws Exception {
        if (probe != null) {
            probe.close();
        }
        if (lm != null) {
            lm.close();
        }
        if (tokenizer != null) {
            tokenizer.close();
        }
    }
}
