package io.glimpse.lm;

import io.glimpse.model.bundle.BundleConfig;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.tokens.TokenSet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The prompt as the LM sees it: token ids (one image token per visual token), position ids, and
 * which rows the visual embeddings overwrite. The template's {@code {image}} is expanded per image,
 * each image after its prefix (e.g. {@code frame two}) when the bundle names them. With compact
 * positions every token takes the next position, so tokens pruned or pooled away free their positions;
 * otherwise a visual token sits at {@code start + origin} and the text after an image continues at
 * {@code start + span}, so pruned tokens keep their original positions.
 */
public record PromptLayout(long[] ids, long[] positions, int[] imageRows, int visualTokens, long nextPosition) {

    public int length() {
        return ids.length;
    }

    public static PromptLayout build(BundleConfig config, TextTokenizer tokenizer, String question,
                                     List<TokenSet> images) {
        String template = config.promptTemplate();
        int at = template.indexOf("{image}");
        // {question} may come before the images (query-aware visual tokens) or after them
        String before = template.substring(0, at).replace("{question}", question);
        String after = template.substring(at + "{image}".length()).replace("{question}", question);
        List<Long> ids = new ArrayList<>();
        List<Long> positions = new ArrayList<>();
        List<Integer> rows = new ArrayList<>();
        long cursor = 0;
        for (long id : tokenizer.encode(before)) {
            if (id == config.imageTokenId()) {
                throw GlimpseException.invalid("the question may not contain the image token " + config.imageToken());
            }
            ids.add(id);
            positions.add(cursor++);
        }
        List<String> prefixes = config.imagePrefixes();
        if (!prefixes.isEmpty() && images.size() > prefixes.size()) {
            throw GlimpseException.invalid("the model takes at most " + prefixes.size() + " images per request, got "
                    + images.size());
        }
        int visual = 0;
        for (int i = 0; i < images.size(); i++) {
            if (!prefixes.isEmpty()) {
                for (long id : tokenizer.encode(prefixes.get(i))) {
                    ids.add(id);
                    positions.add(cursor++);
                }
            }
            TokenSet set = images.get(i);
            for (int j = 0; j < set.count(); j++) {
                rows.add(ids.size());
                ids.add((long) config.imageTokenId());
                positions.add(config.compactPositions() ? cursor + j : cursor + set.origin()[j]);
            }
            visual += set.count();
            cursor += config.compactPositions() ? set.count() : set.span();
        }
        long[] text = tokenizer.encode(after);
        for (long id : text) {
            if (id == config.imageTokenId()) {
                throw GlimpseException.invalid("the question may not contain the image token " + config.imageToken());
            }
            ids.add(id);
            positions.add(cursor++);
        }
        return new PromptLayout(ids.stream().mapToLong(Long::longValue).toArray(),
                positions.stream().mapToLong(Long::longValue).toArray(),
                rows.stream().mapToInt(Integer::intValue).toArray(), visual, cursor);
    }

    @Override
    public String toString() {
        return "PromptLayout" + Arrays.toString(ids);
    }
}
