package io.glimpse.lm;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.glimpse.common.error.GlimpseException;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The bundle's {@code tokenizer.json} through DJL's Hugging Face tokenizers binding: offline, no
 * truncation, no padding, no special tokens added (the prompt template spells them out).
 */
public final class TextTokenizer implements AutoCloseable {
    static {
        // Never let DJL try to download a native build (it does on hosts with a GPU).
        if (System.getProperty("DJL_OFFLINE") == null) {
            System.setProperty("DJL_OFFLINE", "true");
        }
        if (System.getProperty("offline") == null) {
            System.setProperty("offline", "true");
        }
    }

    private final HuggingFaceTokenizer tokenizer;

    public TextTokenizer(Path tokenizerJson) {
        try {
            this.tokenizer = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(tokenizerJson)
                    .optAddSpecialTokens(false)
                    .optTruncation(false)
                    .optPadding(false)
                    .optMaxLength(1 << 20)
                    .build();
        } catch (IOException | RuntimeException e) {
            throw GlimpseException.precondition("cannot load tokenizer " + tokenizerJson + ": " + e.getMessage());
        }
    }

    public long[] encode(String text) {
        return tokenizer.encode(text, false, false).getIds();
    }

    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
