package io.glimpse.runner.engine;

import io.glimpse.lm.TextTokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * One generation, token by token: end-of-sequence suppressed until {@code min_new_tokens}, the
 * request's own sampler, the text streamed as it grows (a piece only once it decodes to more
 * text), and why it ended — the same whether it decodes alone or in a batch.
 */
final class GenerationProgress {
    private final Sampler sampler;
    private final int maxNew;
    private final int minNew;
    private final TokenStream stream;
    private final TextTokenizer tokenizer;
    private final int eos;
    private final List<Long> generated = new ArrayList<>();
    private String emitted = "";
    private String finish = "length";

    GenerationProgress(Sampler sampler, int maxNew, int minNew, TokenStream stream, TextTokenizer tokenizer, int eos) {
        this.sampler = sampler;
        this.maxNew = maxNew;
        this.minNew = minNew;
        this.stream = stream;
        this.tokenizer = tokenizer;
        this.eos = eos;
    }

    /** Takes the next token from {@code logits} (end-of-sequence may be masked in place); false when the generation ends here. */
    boolean next(float[] logits) {
        if (generated.size() >= maxNew) {
            return false;
        }
        if (generated.size() < minNew) {
            logits[eos] = Float.NEGATIVE_INFINITY;
        }
        int next = sampler.next(logits, 0, logits.length);
        if (next == eos) {
            finish = "eos";
            return false;
        }
        generated.add((long) next);
        String text = tokenizer.decode(ids());
        if (text.startsWith(emitted) && text.length() > emitted.length()) {
            stream.onDelta(text.substring(emitted.length()));
            emitted = text;
        }
        return generated.size() < maxNew;
    }

    /** The token just taken: the next decoder input. */
    long last() {
        return generated.get(generated.size() - 1);
    }

    /** The text generated so far. */
    String text() {
        return tokenizer.decode(ids()).trim();
    }

    long[] ids() {
        return generated.stream().mapToLong(Long::longValue).toArray();
    }

    List<Long> generated() {
        return List.copyOf(generated);
    }

    String finish() {
        return finish;
    }
}
