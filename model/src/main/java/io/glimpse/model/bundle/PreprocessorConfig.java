package io.glimpse.model.bundle;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code preprocessor_config.json}: resize to {@code height x width} ("bilinear", "bicubic" or
 * "nearest"; PIL's integer codes are accepted), multiply by {@code rescaleFactor}, then
 * {@code (x - mean) / std} per RGB channel.
 */
public record PreprocessorConfig(int height, int width, String resample, boolean doRescale, double rescaleFactor,
                                 boolean doNormalize, float[] mean, float[] std) {

    static PreprocessorConfig parse(JsonNode n, int fallbackSize) {
        JsonNode size = n.path("size");
        int h = size.path("height").asInt(size.path("shortest_edge").asInt(fallbackSize));
        int w = size.path("width").asInt(size.path("shortest_edge").asInt(fallbackSize));
        JsonNode r = n.path("resample");
        String resample = r.isInt() ? switch (r.asInt()) {
            case 0 -> "nearest";
            case 3 -> "bicubic";
            default -> "bilinear";
        } : r.asText("bilinear");
        return new PreprocessorConfig(h, w, resample,
                n.path("do_rescale").asBoolean(true), n.path("rescale_factor").asDouble(1 / 255.0),
                n.path("do_normalize").asBoolean(true),
                floats(n.path("image_mean"), 0.5f), floats(n.path("image_std"), 0.5f));
    }

    private static float[] floats(JsonNode a, float fallback) {
        if (!a.isArray() || a.size() != 3) {
            return new float[]{fallback, fallback, fallback};
        }
        return new float[]{(float) a.get(0).asDouble(), (float) a.get(1).asDouble(), (float) a.get(2).asDouble()};
    }
}
