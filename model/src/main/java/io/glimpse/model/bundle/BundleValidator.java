package io.glimpse.model.bundle;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.model.onnx.OrtSessionFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Checks a bundle against docs/design/model.md: every required file present, every ONNX graph with the named
 * inputs/outputs of the right rank and of the sizes config.json promises (-1 = dynamic, accepted).
 * Lists every problem, not just the first.
 */
public final class BundleValidator {

    public record Report(Path dir, List<String> problems, List<String> notes) {
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    private BundleValidator() {
    }

    /** The parts of a bundle a service uses; each service checks its own at start-up. */
    public enum Part { VISION, LANGUAGE, PROBE }

    public static Report check(Path dir) {
        return check(dir, "fp32");
    }

    /** Every part of the bundle at {@code dir}, in the weight variant {@code dtype}: what {@code glimpse bundle check} prints. */
    public static Report check(Path dir, String dtype) {
        ModelBundle bundle;
        try {
            bundle = ModelBundle.open(dir, dtype);
        } catch (GlimpseException e) {
            return new Report(dir, List.of(e.getMessage()), List.of());
        }
        return check(bundle, java.util.EnumSet.allOf(Part.class));
    }

    /**
     * The service's start-up check: the parts it uses, or FAILED_PRECONDITION listing every
     * problem — instead of failing at the first request.
     */
    public static void require(ModelBundle bundle, Part... parts) {
        Report r = check(bundle, java.util.EnumSet.copyOf(Arrays.asList(parts)));
        if (!r.ok()) {
            throw GlimpseException.precondition("model bundle " + bundle.dir() + " cannot serve this service ("
                    + r.problems().size() + " problem(s)): " + String.join("; ", r.problems()));
        }
    }

    public static Report check(ModelBundle bundle, java.util.Set<Part> parts) {
        List<String> problems = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        Path dir = bundle.dir();
        BundleConfig c = bundle.config();
        OrtSessionFactory sessions = OrtSessionFactory.cpu();
        notes.add("layout: " + bundle.family().describe());
        if (parts.contains(Part.LANGUAGE)) {
            tokenizer(dir, problems);
        }
        long h = c.hiddenSize();
        if (parts.contains(Part.VISION)) {
            bundle.family().accept(new ModelFamily.Visitor<Void>() {
                @Override
                public Void idefics3(ModelFamily.Idefics3 family) {
                    Idefics3Spec s = family.spec();
                    graph(bundle, sessions, ModelBundle.VISION_ENCODER, true, problems, notes, (in, out, p) -> {
                        expect(in, "pixel_values", new long[]{-1, -1, 3, s.tileSize(), s.tileSize()}, p);
                        floats(in, "pixel_values", p);
                        expect(in, "pixel_attention_mask", new long[]{-1, -1, s.tileSize(), s.tileSize()}, p);
                        expect(out, "image_features", new long[]{-1, s.imageSeqLen(), h}, p);
                    });
                    return null;
                }

                @Override
                public Void glimpse(ModelFamily.Glimpse family) {
                    PreprocessorConfig pre = bundle.preprocessor();
                    if (pre.height() != c.imageSize() || pre.width() != c.imageSize()) {
                        problems.add(ModelBundle.PREPROCESSOR + " resizes to " + pre.height() + " x " + pre.width()
                                + " but the vision encoder takes " + c.imageSize() + " x " + c.imageSize()
                                + " (config.json vision.image_size)");
                    }
                    graph(bundle, sessions, ModelBundle.VISION_ENCODER, true, problems, notes, (in, out, p) -> {
                        expect(in, "pixel_values", new long[]{-1, 3, c.imageSize(), c.imageSize()}, p);
                        floats(in, "pixel_values", p);
                        expect(out, "image_features", new long[]{-1, c.gridTokens(), h}, p);
                        if (out.containsKey("attentions")) {
                            expect(out, "attentions", new long[]{-1, c.visionHeads(), c.gridTokens() + 1, c.gridTokens() + 1}, p);
                            notes.add("vision encoder exports attentions of ViT layer " + c.attentionLayer());
                        }
                        if (out.containsKey("keys")) {
                            expect(out, "keys", new long[]{-1, c.visionHeads(), c.gridTokens() + 1, -1}, p);
                        }
                    });
                    stages(bundle, sessions, c, problems, notes);
                    graph(bundle, sessions, ModelBundle.RESAMPLER, false, problems, notes, (in, out, p) -> {
                        expect(in, "image_features", new long[]{-1, c.gridTokens(), h}, p);
                        expect(out, "registers", new long[]{-1, c.registers(), h}, p);
                        expect(out, "sufficiency", new long[]{-1, c.sufficiency().size()}, p);
                    });
                    graph(bundle, sessions, ModelBundle.SUFFICIENCY_QUERY, false, problems, notes, (in, out, p) -> {
                        expect(in, "image_features", new long[]{-1, c.gridTokens(), h}, p);
                        expect(in, "question_ids", new long[]{-1, -1}, p);
                        expect(in, "question_mask", new long[]{-1, -1}, p);
                        expect(out, "sufficiency", new long[]{-1, c.sufficiency().size()}, p);
                    });
                    return null;
                }
            });
        }
        if (parts.contains(Part.LANGUAGE)) {
            graph(bundle, sessions, ModelBundle.EMBED_TOKENS, true, problems, notes, (in, out, p) -> {
                expect(in, "input_ids", new long[]{-1, -1}, p);
                expect(out, "inputs_embeds", new long[]{-1, -1, h}, p);
            });
            graph(bundle, sessions, ModelBundle.DECODER, true, problems, notes, (in, out, p) -> {
                expect(in, "inputs_embeds", new long[]{-1, -1, h}, p);
                floats(in, "inputs_embeds", p);
                expect(in, "attention_mask", new long[]{-1, -1}, p);
                expect(in, "position_ids", new long[]{-1, -1}, p);
                expect(out, "logits", new long[]{-1, -1, c.vocabSize()}, p);
                for (int i = 0; i < c.numLayers(); i++) {
                    for (String kv : new String[]{"key", "value"}) {
                        expect(in, "past_key_values." + i + "." + kv, new long[]{-1, c.numKvHeads(), -1, c.headDim()}, p);
                        floats(in, "past_key_values." + i + "." + kv, p);
                        expect(out, "present." + i + "." + kv, new long[]{-1, c.numKvHeads(), -1, c.headDim()}, p);
                    }
                }
            });
        }
        if (parts.contains(Part.LANGUAGE)) {
            coreDecoder(bundle, sessions, c, problems, notes);
            graph(bundle, sessions, ModelBundle.STATIC_DECODER, false, problems, notes, (in, out, p) -> {
                expect(in, "inputs_embeds", new long[]{-1, 1, h}, p);
                expect(out, "logits", new long[]{-1, 1, c.vocabSize()}, p);
                for (int i = 0; i < c.numLayers(); i++) {
                    for (String kv : new String[]{"key", "value"}) {
                        expect(in, "past_key_values." + i + "." + kv, new long[]{-1, c.numKvHeads(), -1, c.headDim()}, p);
                        expect(out, "new." + i + "." + kv, new long[]{-1, c.numKvHeads(), 1, c.headDim()}, p);
                    }
                }
            });
            if (bundle.has(ModelBundle.STATIC_DECODER)) {
                notes.add("decode batches keep their keys and values in place (" + ModelBundle.STATIC_DECODER + ")");
            }
        }
        if (parts.contains(Part.PROBE)) {
            graph(bundle, sessions, ModelBundle.LM_PROBE, false, problems, notes, (in, out, p) -> {
                expect(in, "inputs_embeds", new long[]{-1, -1, h}, p);
                expect(in, "attention_mask", new long[]{-1, -1}, p);
                expect(in, "position_ids", new long[]{-1, -1}, p);
                expect(out, "ffn_activations", new long[]{-1, -1, c.intermediateSize()}, p);
                expect(out, "attentions", new long[]{-1, c.numHeads(), -1, -1}, p);
            });
        }
        return new Report(dir, problems, notes);
    }

    /** The optional core-neuron decoder and its weights: both or neither, shapes as docs/design/model.md. */
    private static void coreDecoder(ModelBundle bundle, OrtSessionFactory sessions, BundleConfig c, List<String> problems,
                                    List<String> notes) {
        boolean graph = bundle.has(ModelBundle.CORE_DECODER);
        boolean weights = bundle.has(ModelBundle.FFN_WEIGHTS);
        if (graph != weights) {
            problems.add((graph ? ModelBundle.CORE_DECODER : ModelBundle.FFN_WEIGHTS) + " without "
                    + (graph ? ModelBundle.FFN_WEIGHTS : ModelBundle.CORE_DECODER) + ": decoding over core neurons needs both");
            return;
        }
        if (!graph) {
            return;
        }
        long h = c.hiddenSize();
        long want = (long) c.numLayers() * (2L * c.intermediateSize() * h + c.intermediateSize()) * Float.BYTES;
        try {
            long size = Files.size(bundle.dir().resolve(ModelBundle.FFN_WEIGHTS));
            if (size != want) {
                problems.add(ModelBundle.FFN_WEIGHTS + " has " + size + " bytes; " + c.numLayers() + " layers of FFN "
                        + c.intermediateSize() + " x " + h + " need " + want);
            }
        } catch (java.io.IOException e) {
            problems.add("cannot read " + ModelBundle.FFN_WEIGHTS + ": " + e.getMessage());
        }
        graph(bundle, sessions, ModelBundle.CORE_DECODER, false, problems, notes, (in, out, p) -> {
            expect(out, "logits", new long[]{-1, -1, c.vocabSize()}, p);
            for (int i = 0; i < c.numLayers(); i++) {
                expect(in, "ffn." + i + ".up_weight", new long[]{-1, h}, p);
                expect(in, "ffn." + i + ".up_bias", new long[]{-1}, p);
                expect(in, "ffn." + i + ".down_weight_t", new long[]{-1, h}, p);
                expect(out, "ffn_activations." + i, new long[]{-1, -1, -1}, p);
            }
        });
        notes.add("decodes over core neurons on request (" + ModelBundle.CORE_DECODER + ")");
    }

    private static void tokenizer(Path dir, List<String> problems) {
        if (!Files.isRegularFile(dir.resolve(ModelBundle.TOKENIZER))) {
            problems.add("missing " + ModelBundle.TOKENIZER);
            return;
        }
        try {
            if (!new ObjectMapper().readTree(dir.resolve(ModelBundle.TOKENIZER).toFile()).has("model")) {
                problems.add(ModelBundle.TOKENIZER + " has no 'model' section (not a Hugging Face tokenizers file)");
            }
        } catch (Exception e) {
            problems.add(ModelBundle.TOKENIZER + " is not valid JSON: " + e.getMessage());
        }
    }

    /** Glimpse feeds float32: a variant whose graph takes float16 here is refused by name. */
    private static void floats(Map<String, NodeInfo> nodes, String name, List<String> problems) {
        NodeInfo node = nodes.get(name);
        if (node != null && node.getInfo() instanceof TensorInfo info && info.type != ai.onnxruntime.OnnxJavaType.FLOAT) {
            problems.add("'" + name + "' takes " + info.type + "; Glimpse feeds float32 (use the fp32, q8, int8, uint8,"
                    + " q4 or bnb4 weights, whose inputs stay float32)");
        }
    }

    private interface GraphCheck {
        void check(Map<String, NodeInfo> inputs, Map<String, NodeInfo> outputs, List<String> problems);
    }

    /** A staged encoder: its declaration, and every stage reading and writing the declared width. */
    private static void stages(ModelBundle bundle, OrtSessionFactory sessions, BundleConfig c, List<String> problems,
                               List<String> notes) {
        VisionStages st = c.visionStages();
        if (st == null) {
            notes.add("no staged vision encoder (vision.stages): encoder_reduction answers FAILED_PRECONDITION");
            return;
        }
        List<String> declared = st.problems();
        problems.addAll(declared);
        if (!declared.isEmpty()) {
            return;
        }
        long w = st.width();
        long heads = c.visionHeads() > 0 ? c.visionHeads() : -1;
        for (int i = 0; i < st.count(); i++) {
            boolean first = i == 0;
            graph(bundle, sessions, VisionStages.path(st.stages().get(i).graph()), true, problems, notes, (in, out, p) -> {
                if (first) {
                    expect(in, "pixel_values", new long[]{-1, 3, c.imageSize(), c.imageSize()}, p);
                } else {
                    expect(in, "hidden_in", new long[]{-1, -1, w}, p);
                    expect(in, "size_bias", new long[]{-1, -1}, p);
                }
                expect(out, "hidden", new long[]{-1, first ? c.gridTokens() + 1 : -1, w}, p);
                expect(out, "attentions", new long[]{-1, heads, -1, -1}, p);
                expect(out, "keys", new long[]{-1, heads, -1, -1}, p);
            });
        }
        graph(bundle, sessions, VisionStages.path(st.head()), true, problems, notes, (in, out, p) -> {
            expect(in, "hidden", new long[]{-1, -1, w}, p);
            expect(out, "image_features", new long[]{-1, -1, c.hiddenSize()}, p);
        });
        notes.add("staged vision encoder: " + st.count() + " stages of " + st.stages().stream()
                .map(s -> Integer.toString(s.blocks())).collect(java.util.stream.Collectors.joining("+")) + " blocks");
    }

    private static void graph(ModelBundle bundle, OrtSessionFactory sessions, String name, boolean required,
                              List<String> problems, List<String> notes, GraphCheck check) {
        String file = bundle.variant(name);
        Path p = bundle.dir().resolve(file);
        if (!Files.isRegularFile(p)) {
            if (required) {
                problems.add("missing " + file);
            } else {
                notes.add("optional " + file + " absent: the features that need it answer FAILED_PRECONDITION");
            }
            return;
        }
        try (OrtSession s = sessions.open(p)) {
            List<String> found = new ArrayList<>();
            check.check(s.getInputInfo(), s.getOutputInfo(), found);
            found.forEach(f -> problems.add(file + ": " + f));
        } catch (GlimpseException | OrtException e) {
            problems.add(file + ": " + e.getMessage());
        }
    }

    private static void expect(Map<String, NodeInfo> nodes, String name, long[] dims, List<String> problems) {
        NodeInfo node = nodes.get(name);
        if (node == null) {
            problems.add("no tensor '" + name + "' (has " + nodes.keySet() + ")");
            return;
        }
        if (!(node.getInfo() instanceof TensorInfo info)) {
            problems.add("'" + name + "' is not a tensor");
            return;
        }
        long[] shape = info.getShape();
        if (shape.length != dims.length) {
            problems.add("'" + name + "' has rank " + shape.length + ", expected " + dims.length
                    + " " + Arrays.toString(dims));
            return;
        }
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] >= 0 && shape[i] >= 0 && shape[i] != dims[i]) {
                problems.add("'" + name + "' has shape " + Arrays.toString(shape) + ", expected "
                        + Arrays.toString(dims) + " (-1 = any)");
                return;
            }
        }
    }
}
