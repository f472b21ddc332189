package io.glimpse.common.methods;

/** What a pruning method reads besides the visual tokens themselves. */
public enum MethodNeed {
    /** the ViT attention map of the bundle's exported layer (the tokenizer forwards it on request) */
    VISION_ATTENTION,
    /** the ViT keys of that layer */
    VISION_KEYS,
    /** the bundle's LM probe (first K decoder layers: attention, FFN activations) */
    LM_PROBE,
    /** the bundle's decoder, to let the model answer a relevance question */
    LM_DECODER;

    /** Its name among a bundle's features in the metadata call ({@code vision_attention}, ...). */
    public String feature() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
