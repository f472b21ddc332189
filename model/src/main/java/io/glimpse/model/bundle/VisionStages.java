package io.glimpse.model.bundle;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * A vision encoder declared as stages ({@code config.json} {@code vision.stages}, {@code vision.head}): stage 0
 * takes the pixels, each later one the tokens kept or merged so far and their size bias, each returns its
 * tokens with its last block's attention and keys; the head maps the last stage's tokens to the LM width.
 * The image-tokenizer reduces tokens between stages (encoder_reduction). Layout: docs/design/model.md.
 *
 * @param width  the ViT's hidden size every stage reads and writes ({@code vision.hidden_size})
 * @param layers the ViT's block count ({@code vision.num_layers}); the stages' blocks must add up to it
 */
public record VisionStages(List<Stage> stages, String head, int width, int layers) {
    public record Stage(String graph, int blocks) {
    }

    /** The stages {@code vision} declares, or null when it declares none. */
    public static VisionStages parse(JsonNode vision) {
        JsonNode list = vision.path("stages");
        if (!list.isArray() || list.isEmpty()) {
            return null;
        }
        List<Stage> stages = new ArrayList<>();
        for (JsonNode s : list) {
            stages.add(new Stage(s.path("graph").asText(""), s.path("blocks").asInt(0)));
        }
        return new VisionStages(List.copyOf(stages), vision.path("head").asText(""), vision.path("hidden_size").asInt(0),
                vision.path("num_layers").asInt(0));
    }

    public int count() {
        return stages.size();
    }

    /** The bundle-relative path of a graph the config names. */
    public static String path(String graph) {
        return "onnx/" + graph;
    }

    /** What is wrong with the declaration itself (before any graph is opened). */
    public List<String> problems() {
        List<String> p = new ArrayList<>();
        int blocks = 0;
        for (int i = 0; i < stages.size(); i++) {
            Stage s = stages.get(i);
            if (s.graph().isBlank()) {
                p.add("vision.stages[" + i + "] names no graph");
            }
            if (s.blocks() < 1) {
                p.add("vision.stages[" + i + "] has " + s.blocks() + " blocks (at least 1)");
            }
            blocks += s.blocks();
        }
        if (layers > 0 && blocks != layers) {
            p.add("vision.stages hold " + blocks + " blocks in all but vision.num_layers is " + layers);
        }
        if (head.isBlank()) {
            p.add("vision.stages has no vision.head graph");
        }
        if (width < 1) {
            p.add("vision.stages needs vision.hidden_size (the width every stage reads and writes)");
        }
        return p;
    }
}
