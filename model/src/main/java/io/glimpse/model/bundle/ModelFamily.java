package io.glimpse.model.bundle;

/**
 * Which model family a bundle holds, resolved once when it opens: how its vision side turns images
 * into tokens, how its prompt is laid out, which decoder inputs it takes. Each service asks the
 * family (through a {@link Visitor}) for its own side; nothing tests for a missing part to learn
 * the family.
 */
public sealed interface ModelFamily permits ModelFamily.Glimpse, ModelFamily.Idefics3 {
    /** What a service builds for each family; adding a family adds a method here, so every service must answer it. */
    interface Visitor<R> {
        R glimpse(Glimpse family);

        R idefics3(Idefics3 family);
    }

    <R> R accept(Visitor<R> visitor);

    /** The family's name as {@code Describe} reports it. */
    String name();

    /** The most visual tokens one image can bring. */
    int maxVisualTokensPerImage();

    /** One line for {@code glimpse bundle check}. */
    String describe();

    /**
     * Glimpse's own layout: one image at the encoder's size, a grid of patch tokens, optionally a
     * FlexTok-style register resampler; the prompt template of config.json.
     */
    record Glimpse(BundleConfig config) implements ModelFamily {
        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.glimpse(this);
        }

        @Override
        public String name() {
            return "glimpse";
        }

        @Override
        public int maxVisualTokensPerImage() {
            return Math.max(config.gridTokens(), config.registers());
        }

        @Override
        public String describe() {
            return "Glimpse (" + config.gridH() + " x " + config.gridW() + " grid)";
        }
    }

    /**
     * Idefics3 / SmolVLM in the onnx-community layout: images split into tiles plus a global image,
     * each tile's patches pixel-shuffled into a fixed number of tokens; a chat-template prompt.
     */
    record Idefics3(Idefics3Spec spec) implements ModelFamily {
        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.idefics3(this);
        }

        @Override
        public String name() {
            return "idefics3";
        }

        /** The tiles the largest image splits into, plus the global image, times the tokens per tile. */
        @Override
        public int maxVisualTokensPerImage() {
            int perSide = spec.doImageSplitting() ? (int) Math.ceil((double) spec.splitEdge() / spec.tileSize()) : 0;
            return (perSide * perSide + 1) * spec.imageSeqLen();
        }

        @Override
        public String describe() {
            return "Idefics3 / SmolVLM (onnx-community), " + spec.imageSeqLen() + " tokens per " + spec.tileSize()
                    + " px tile, images split up to " + spec.longestEdge() + " px";
        }
    }
}
