package io.glimpse.lm;

import io.glimpse.common.tokens.TokenSet;
import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.model.bundle.ModelFamily;

import java.util.List;

/**
 * The prompt side of a model family: a question and its images laid out as the language model
 * takes them. The runner and the pruner's query model build the same prompt through it.
 */
public interface PromptBuilder {
    PromptLayout build(String question, List<TokenSet> images);

    /** Whether a text-only prompt (no image) is a valid warm-up for this family. */
    boolean takesTextOnly();

    static PromptBuilder of(ModelBundle bundle, TextTokenizer tokenizer) {
        return bundle.family().accept(new ModelFamily.Visitor<PromptBuilder>() {
            @Override
            public PromptBuilder glimpse(ModelFamily.Glimpse family) {
                return new PromptBuilder() {
                    @Override
                    public PromptLayout build(String question, List<TokenSet> images) {
                        return PromptLayout.build(family.config(), tokenizer, question, images);
                    }

                    @Override
                    public boolean takesTextOnly() {
                        return true;
                    }
                };
            }

            @Override
            public PromptBuilder idefics3(ModelFamily.Idefics3 family) {
                Idefics3Prompt chat = new Idefics3Prompt(family.spec(), bundle.config(), tokenizer);
                return new PromptBuilder() {
                    @Override
                    public PromptLayout build(String question, List<TokenSet> images) {
                        return chat.build(question, images);
                    }

                    @Override
                    public boolean takesTextOnly() {
                        return false;   // its chat template warms on the first real call
                    }
                };
            }
        });
    }
}
