package io.glimpse.lm;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import io.glimpse.model.bundle.BundleConfig;
import io.glimpse.model.bundle.Idefics3Spec;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.common.tokens.Tiles;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The prompt of an Idefics3 / SmolVLM bundle as its processor builds it: the chat template
 * rendered (Jinjava) for one user turn holding the images and the question, then every image's
 * {@code <image>} marker expanded the way Idefics3Processor does — per tile {@code <fake_token_around_image>
 * <row_r_col_c>} and its visual tokens, a newline after each row of tiles, then
 * {@code <fake_token_around_image><global-img>}, the global image's tokens and a closing
 * {@code <fake_token_around_image>}.
 *
 * <p>A tile brings only the tokens pruning kept (in their original order); positions count every
 * prompt row from 0, so pruned tokens free positions as well as compute — the renumbering
 * LLaVA-style pruning does when it drops tokens before the language model. The tile markers stay
 * even for a tile whose tokens were all dropped, so the model still sees the image's layout.
 */
public final class Idefics3Prompt {
    private final Idefics3Spec spec;
    private final BundleConfig config;
    private final TextTokenizer tokenizer;
    private final Jinjava jinja;
    private final long[] forbidden;

    public Idefics3Prompt(Idefics3Spec spec, BundleConfig config, TextTokenizer tokenizer) {
        this.spec = spec;
        this.config = config;
        this.tokenizer = tokenizer;
        this.jinja = new Jinjava(JinjavaConfig.newBuilder().withFailOnUnknownTokens(false).build());
        long[] wrappers = tokenizer.encode(Idefics3Spec.FAKE_TOKEN_AROUND_IMAGE + Idefics3Spec.GLOBAL_IMAGE_TOKEN);
        this.forbidden = new long[]{spec.imageTokenId(), wrappers[0], wrappers[wrappers.length - 1]};
        render(1, "check");   // a template Jinjava cannot render fails at start-up, not at the first request
    }

    /** The chat template for one user turn: {@code images} image markers, then the question. */
    String render(int images, String question) {
        List<Map<String, Object>> content = new ArrayList<>();
        for (int i = 0; i < images; i++) {
            content.add(Map.of("type", "image"));
        }
        content.add(Map.of("type", "text", "text", question));
        try {
            return jinja.render(spec.chatTemplate(), Map.of(
                    "messages", List.of(Map.of("role", "user", "content", content)),
                    "add_generation_prompt", true,
                    "bos_token", "", "eos_token", ""));
        } catch (RuntimeException e) {
            throw GlimpseException.precondition("the bundle's chat template cannot be rendered: " + e.getMessage());
        }
    }

    public PromptLayout build(String question, List<TokenSet> images) {
        for (long id : tokenizer.encode(question)) {
            if (Arrays.stream(forbidden).anyMatch(f -> f == id)) {
                throw GlimpseException.invalid("the question may not contain the image tokens "
                        + Idefics3Spec.IMAGE_TOKEN + ", " + Idefics3Spec.FAKE_TOKEN_AROUND_IMAGE + " or "
                        + Idefics3Spec.GLOBAL_IMAGE_TOKEN);
            }
        }
        String[] parts = render(images.size(), question).split(java.util.regex.Pattern.quote(Idefics3Spec.IMAGE_TOKEN), -1);
        if (parts.length != images.size() + 1) {
            throw GlimpseException.precondition("the chat template placed " + (parts.length - 1) + " image tokens for "
                    + images.size() + " images");
        }
        StringBuilder text = new StringBuilder(parts[0]);
        List<Integer> order = new ArrayList<>();   // set rows in prompt order, all images
        int[] offsets = new int[images.size()];
        for (int i = 0; i < images.size(); i++) {
            TokenSet set = images.get(i);
            offsets[i] = i == 0 ? 0 : offsets[i - 1] + images.get(i - 1).count();
            text.append(expand(set, offsets[i], order)).append(parts[i + 1]);
        }
        long[] ids = tokenizer.encode(text.toString());
        int[] imageRows = new int[order.size()];
        int k = 0;
        for (int row = 0; row < ids.length; row++) {
            if (ids[row] == spec.imageTokenId()) {
                if (k == order.size()) {
                    throw new IllegalStateException("more image tokens in the prompt than visual tokens");
                }
                imageRows[order.get(k++)] = row;
            }
        }
        if (k != order.size()) {
            throw new IllegalStateException("the prompt has " + k + " image tokens for " + order.size() + " visual tokens");
        }
        long[] positions = IntStream.range(0, ids.length).asLongStream().toArray();
        return new PromptLayout(ids, positions, imageRows, order.size(), ids.length);
    }

    /** One image's expanded text; appends its tokens' indices (offset into all images) in prompt order. */
    private String expand(TokenSet set, int offset, List<Integer> order) {
        Tiles tiles = set.tiles() != null ? set.tiles() : new Tiles(0, 0, Math.max(1, set.span()));
        List<List<Integer>> byTile = new ArrayList<>();
        for (int t = 0; t < tiles.count(); t++) {
            byTile.add(new ArrayList<>());
        }
        for (int j = 0; j < set.count(); j++) {
            byTile.get(Math.min(tiles.tileOf(set.origin()[j]), tiles.count() - 1)).add(j);
        }
        for (List<Integer> rows : byTile) {
            rows.sort(Comparator.comparingInt(j -> set.origin()[j]));
        }
        StringBuilder s = new StringBuilder();
        for (int r = 0; r < tiles.rows(); r++) {
            for (int c = 0; c < tiles.cols(); c++) {
                s.append(Idefics3Spec.FAKE_TOKEN_AROUND_IMAGE).append("<row_").append(r + 1).append("_col_").append(c + 1).append('>');
                appendTile(s, byTile.get(r * tiles.cols() + c), offset, order);
            }
            s.append('\n');
        }
        if (tiles.rows() > 0) {
            s.append('\n');
        }
        s.append(Idefics3Spec.FAKE_TOKEN_AROUND_IMAGE).append(Idefics3Spec.GLOBAL_IMAGE_TOKEN);
        appendTile(s, byTile.get(tiles.count() - 1), offset, order);
        return s.append(Idefics3Spec.FAKE_TOKEN_AROUND_IMAGE).toString();
    }

    private static void appendTile(StringBuilder s, List<Integer> rows, int offset, List<Integer> order) {
        for (int j : rows) {
            s.append(Idefics3Spec.IMAGE_TOKEN);
            order.add(offset + j);
        }
    }

    public BundleConfig config() {
        return config;
    }
}
