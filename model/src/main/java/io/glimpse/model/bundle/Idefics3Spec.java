package io.glimpse.model.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import io.glimpse.common.error.GlimpseException;

import java.util.ArrayList;
import java.util.List;

/**
 * What an Idefics3 / SmolVLM bundle in the onnx-community layout says about its images and prompt
 * (docs/bring-your-own-model.md names the source of each field):
 * {@code config.json} (vision_config, scale_factor, image_token_id), {@code preprocessor_config.json}
 * (Idefics3ImageProcessor), {@code processor_config.json} (image_seq_len) and the chat template
 * ({@code tokenizer_config.json}, {@code chat_template.json} or {@code chat_template.jinja}).
 *
 * @param tileSize        {@code max_image_size.longest_edge}: the side of a tile and of the global image
 * @param longestEdge     {@code size.longest_edge}: the image's longest edge before splitting
 * @param imageSeqLen     visual tokens per tile after the connector's pixel shuffle
 * @param resample        PIL's resample code (1 = LANCZOS, the processor's default)
 */
public record Idefics3Spec(int imageTokenId, int scaleFactor, int imageSeqLen,
                           int visionImageSize, int visionPatchSize, int visionHidden, int visionHeads, int visionLayers,
                           boolean doResize, int longestEdge, boolean doImageSplitting, int tileSize, int resample,
                           boolean doRescale, double rescaleFactor, boolean doNormalize, float[] mean, float[] std,
                           String chatTemplate) {
    public static final String IMAGE_TOKEN = "<image>";
    public static final String FAKE_TOKEN_AROUND_IMAGE = "<fake_token_around_image>";
    public static final String GLOBAL_IMAGE_TOKEN = "<global-img>";
    /** The processor's cap on the longest edge before splitting (transformers' max_image_size argument). */
    public static final int MAX_LONGEST_EDGE = 1820;

    /** The longest edge an image has when it is split: {@code size.longest_edge}, capped. */
    public int splitEdge() {
        return Math.min(longestEdge, MAX_LONGEST_EDGE);
    }

    /** Side of a tile's token grid after the pixel shuffle (8 for SmolVLM's 64 tokens). */
    public int tileGridSide() {
        return (int) Math.round(Math.sqrt(imageSeqLen));
    }

    static boolean describes(JsonNode config) {
        String type = config.path("model_type").asText("");
        return type.equals("idefics3") || type.equals("smolvlm");
    }

    static Idefics3Spec parse(JsonNode config, JsonNode preprocessor, JsonNode processor, String chatTemplate) {
        List<String> missing = new ArrayList<>();
        JsonNode vision = config.path("vision_config");
        int imageToken = req(config, "image_token_id", missing, "config.json ");
        int scale = config.path("scale_factor").asInt(2);
        int visionSize = req(vision, "image_size", missing, "config.json vision_config.");
        int patch = req(vision, "patch_size", missing, "config.json vision_config.");
        int hidden = req(vision, "hidden_size", missing, "config.json vision_config.");
        int tile = preprocessor.path("max_image_size").path("longest_edge").asInt(visionSize);
        int longest = preprocessor.path("size").path("longest_edge").asInt(4 * tile);
        if (!preprocessor.path("size").path("longest_edge").isInt() && preprocessor.path("do_resize").asBoolean(true)) {
            missing.add("preprocessor_config.json size.longest_edge");
        }
        if (chatTemplate == null) {
            missing.add("a chat template (tokenizer_config.json chat_template, chat_template.json or chat_template.jinja)");
        }
        if (!missing.isEmpty()) {
            throw GlimpseException.precondition("Idefics3 bundle is missing " + String.join(", ", missing));
        }
        int seq = processor.path("image_seq_len").asInt((visionSize / patch) * (visionSize / patch) / (scale * scale));
        Idefics3Spec s = new Idefics3Spec(imageToken, scale, seq, visionSize, patch, hidden,
                vision.path("num_attention_heads").asInt(0), vision.path("num_hidden_layers").asInt(0),
                preprocessor.path("do_resize").asBoolean(true), longest,
                preprocessor.path("do_image_splitting").asBoolean(true), tile, preprocessor.path("resample").asInt(1),
                preprocessor.path("do_rescale").asBoolean(true), preprocessor.path("rescale_factor").asDouble(1 / 255.0),
                preprocessor.path("do_normalize").asBoolean(true),
                floats(preprocessor.path("image_mean"), 0.5f), floats(preprocessor.path("image_std"), 0.5f), chatTemplate);
        if (tile != visionSize) {
            throw GlimpseException.precondition("preprocessor_config.json max_image_size.longest_edge is " + tile
                    + " but the vision encoder takes " + visionSize + " x " + visionSize + " (config.json vision_config.image_size)");
        }
        if (visionSize % patch != 0 || (visionSize / patch) % scale != 0) {
            throw GlimpseException.precondition("vision_config image_size " + visionSize + " / patch_size " + patch
                    + " is not a multiple of scale_factor " + scale);
        }
        int side = s.tileGridSide();
        if (side * side != seq || seq != (visionSize / patch) * (visionSize / patch) / (scale * scale)) {
            throw GlimpseException.precondition("processor_config.json image_seq_len " + seq + " does not match the"
                    + " vision encoder: (" + visionSize + " / " + patch + ")^2 / " + scale + "^2 = "
                    + (visionSize / patch) * (visionSize / patch) / (scale * scale));
        }
        if (longest < tile && s.doImageSplitting()) {
            throw GlimpseException.precondition("preprocessor_config.json size.longest_edge " + longest
                    + " is smaller than max_image_size.longest_edge " + tile);
        }
        return s;
    }

    private static int req(JsonNode n, String field, List<String> missing, String prefix) {
        if (!n.path(field).isInt()) {
            missing.add(prefix + field);
            return 0;
        }
        return n.get(field).asInt();
    }

    private static float[] floats(JsonNode a, float fallback) {
        if (!a.isArray() || a.size() != 3) {
            return new float[]{fallback, fallback, fallback};
        }
        return new float[]{(float) a.get(0).asDouble(), (float) a.get(1).asDouble(), (float) a.get(2).asDouble()};
    }
}
