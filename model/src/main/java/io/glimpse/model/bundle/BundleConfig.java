package io.glimpse.model.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import io.glimpse.common.error.GlimpseException;

import java.util.ArrayList;
import java.util.List;

/**
 * The model facts of a bundle's {@code config.json}.
 *
 * @param promptTemplate   text with {@code {image}} (expanded to one image token per visual token)
 *                         and {@code {question}}
 * @param sufficiency      ADAPTIVE's candidates in the order of the resampler's {@code sufficiency} output
 *                         (old bundles list register prefixes as {@code resampler.sufficiency_ks})
 * @param compactPositions every token takes the next position ({@code "positions": "compact"}); otherwise a
 *                         visual token sits at its image's start + origin and the text after it at start + span
 * @param imagePrefixes    text put before image i (e.g. {@code "frame two"}); empty = none. Its size bounds
 *                         the images of one request
 * @param selection        the threshold on the sufficiency head's predictions that meets each quality target
 */
public record BundleConfig(String modelType, int hiddenSize, int numLayers, int numHeads, int numKvHeads,
                           int headDim, int intermediateSize, int vocabSize, int maxPositions,
                           int imageTokenId, String imageToken, int bosTokenId, int eosTokenId, int padTokenId,
                           String promptTemplate,
                           int imageSize, int patchSize, int gridH, int gridW, int visionHeads, int attentionLayer,
                           int registers, List<SufficiencyCandidate> sufficiency, SufficiencySelection selection,
                           int probeLayers, int[] pooledSides,
                           boolean compactPositions, List<String> imagePrefixes,
                           JsonNode complexityCalibration, JsonNode raw) {

    public int gridTokens() {
        return gridH * gridW;
    }

    /**
     * The side a clip's frames are pooled to when a request carries several images at full resolution
     * ({@code video.frame_pool_side}; 0 = none, every frame keeps its grid, as does a side that is not below
     * the grid, which would pool nothing). LLaVA-OneVision pools video frames the same way, so that many frames
     * fit the language model's positions.
     */
    public int framePoolSide() {
        int side = raw.path("video").path("frame_pool_side").asInt(0);
        return side > 0 && side < Math.min(gridH, gridW) ? side : 0;
    }

    /**
     * The question-aware head's thresholds per quality target ({@code sufficiency.query.selection}; the
     * head is fitted and its thresholds set per question, so they differ from the image-only head's).
     */
    public SufficiencySelection querySelection() {
        return SufficiencySelection.parse(raw.path("sufficiency").path("query").path("selection"));
    }

    /** The ViT's width and block count ({@code vision.hidden_size}, {@code vision.num_layers}; 0 when not given). */
    public int[] visionShape() {
        return new int[]{raw.path("vision").path("hidden_size").asInt(0), raw.path("vision").path("num_layers").asInt(0)};
    }

    /** The vision encoder's stages ({@code vision.stages}), or null when the bundle declares none. */
    public VisionStages visionStages() {
        return VisionStages.parse(raw.path("vision"));
    }

    /** The register prefix lengths the head scores (what ADAPTIVE and FLEX_PREFIX were trained on). */
    public int[] prefixLengths() {
        return sufficiency.stream().filter(c -> c.kind() == SufficiencyCandidate.Kind.PREFIX)
                .mapToInt(SufficiencyCandidate::param).toArray();
    }

    /**
     * The same facts read from an Idefics3 / SmolVLM config: the text model's shape from
     * {@code text_config}, one tile's token grid as the vision grid (a tile of {@code tileSize}
     * pixels gives {@code image_seq_len} tokens), any pooled side up to that grid.
     *
     * @param eosTokenId the id that ends generation ({@code generation_config.json} when present)
     */
    static BundleConfig ofIdefics3(JsonNode n, Idefics3Spec s, int eosTokenId) {
        JsonNode t = n.path("text_config");
        List<String> missing = new ArrayList<>();
        int hidden = req(t, "hidden_size", missing, "text_config.");
        int heads = req(t, "num_attention_heads", missing, "text_config.");
        int layers = req(t, "num_hidden_layers", missing, "text_config.");
        int vocab = req(t, "vocab_size", missing, "text_config.");
        int inter = req(t, "intermediate_size", missing, "text_config.");
        if (!missing.isEmpty()) {
            throw GlimpseException.precondition("config.json is missing " + String.join(", ", missing));
        }
        int side = s.tileGridSide();
        int[] pooled = new int[side];
        for (int i = 0; i < side; i++) {
            pooled[i] = i + 1;
        }
        return new BundleConfig(n.path("model_type").asText("idefics3"), hidden, layers, heads,
                t.path("num_key_value_heads").asInt(heads), t.path("head_dim").asInt(hidden / Math.max(1, heads)), inter,
                vocab, t.path("max_position_embeddings").asInt(8192), s.imageTokenId(), Idefics3Spec.IMAGE_TOKEN,
                t.path("bos_token_id").asInt(n.path("bos_token_id").asInt(1)), eosTokenId,
                t.path("pad_token_id").asInt(n.path("pad_token_id").asInt(0)), "{image}{question}",
                s.tileSize(), s.visionPatchSize() * s.scaleFactor(), side, side, 0, -1, 0, List.of(),
                SufficiencySelection.IDENTITY, 0, pooled,
                false, List.of(), com.fasterxml.jackson.databind.node.MissingNode.getInstance(), n);
    }

    /** Reads a Glimpse-layout {@code config.json}; refuses it naming every missing field. */
    public static BundleConfig parse(JsonNode n) {
        List<String> missing = new ArrayList<>();
        JsonNode vision = n.path("vision");
        JsonNode resampler = n.path("resampler");
        JsonNode probe = n.path("probe");
        BundleConfig c = new BundleConfig(
                n.path("model_type").asText("unknown"),
                req(n, "hidden_size", missing), req(n, "num_hidden_layers", missing),
                req(n, "num_attention_heads", missing),
                n.path("num_key_value_heads").asInt(n.path("num_attention_heads").asInt()),
                n.path("head_dim").asInt(n.path("hidden_size").asInt() / Math.max(1, n.path("num_attention_heads").asInt())),
                req(n, "intermediate_size", missing), req(n, "vocab_size", missing),
                n.path("max_position_embeddings").asInt(2048),
                req(n, "image_token_id", missing), n.path("image_token").asText("<image>"),
                req(n, "bos_token_id", missing), req(n, "eos_token_id", missing), n.path("pad_token_id").asInt(0),
                reqText(n, "prompt_template", missing),
                req(vision, "image_size", missing, "vision."), req(vision, "patch_size", missing, "vision."),
                req(vision, "grid_h", missing, "vision."), req(vision, "grid_w", missing, "vision."),
                vision.path("num_heads").asInt(0), vision.path("attention_layer").asInt(-1),
                resampler.path("registers").asInt(0), candidates(n, missing),
                SufficiencySelection.parse(n.path("sufficiency").path("selection")),
                probe.path("layers").asInt(0), ints(n.path("pooled_sides")),
                n.path("positions").asText("origin").equals("compact"), texts(n.path("image_prefixes")),
                n.path("complexity_calibration"), n);
        if (!missing.isEmpty()) {
            throw GlimpseException.precondition("config.json is missing " + String.join(", ", missing));
        }
        if (!c.promptTemplate.contains("{image}") || !c.promptTemplate.contains("{question}")) {
            throw GlimpseException.precondition("config.json prompt_template must contain {image} and {question}");
        }
        return c;
    }

    private static int req(JsonNode n, String field, List<String> missing) {
        return req(n, field, missing, "");
    }

    private static int req(JsonNode n, String field, List<String> missing, String prefix) {
        if (!n.path(field).isInt()) {
            missing.add(prefix + field);
            return 0;
        }
        return n.get(field).asInt();
    }

    private static String reqText(JsonNode n, String field, List<String> missing) {
        if (!n.path(field).isTextual()) {
            missing.add(field);
            return "";
        }
        return n.get(field).asText();
    }

    private static List<SufficiencyCandidate> candidates(JsonNode n, List<String> missing) {
        List<SufficiencyCandidate> out = new ArrayList<>();
        for (JsonNode c : n.path("sufficiency").path("candidates")) {
            String kind = c.path("kind").asText("");
            int param = c.path("param").asInt(0);
            if (!(kind.equals("prefix") || kind.equals("pool")) || param < 1) {
                missing.add("a valid sufficiency.candidates entry (kind prefix|pool, param >= 1), got " + c);
                continue;
            }
            out.add(kind.equals("prefix") ? SufficiencyCandidate.prefix(param)
                    : new SufficiencyCandidate(SufficiencyCandidate.Kind.POOLED, param, param * param));
        }
        for (int k : ints(n.path("resampler").path("sufficiency_ks"))) {
            out.add(SufficiencyCandidate.prefix(k));
        }
        return List.copyOf(out);
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(t -> out.add(t.asText()));
        return List.copyOf(out);
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
