package io.glimpse.tokenizer.encode;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.glimpse.common.cancel.Cancellation;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.tensor.FloatTensor;
import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.model.bundle.VisionStages;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.model.onnx.OrtTensors;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The bundle's vision encoder as stages ({@link VisionStages}), run one image at a time with a reduction
 * between stages ({@link StageReducer}): the later blocks and the projector run on the tokens kept. With no
 * reduction it computes what {@code vision_encoder.onnx} does.
 */
public final class StagedVisionEncoder implements AutoCloseable {
    private final OrtSessionFactory sessions;
    private final List<OrtSession> stages = new ArrayList<>();
    private final OrtSession head;
    private final int size;
    private final int width;
    private final int patches;

    /**
     * @param tokens      the patch tokens that leave the encoder, ascending by origin
     * @param origin      per token, its patch (a merged token: the patch it was merged into)
     * @param merged      whether tokens were merged (ToMe) rather than only dropped
     * @param sizes       per token, the patches it stands for
     * @param attention   the last stage's attention over CLS + tokens [heads, k+1, k+1]
     * @param keys        the last stage's keys [heads, k+1, dh]
     * @param encoderNanos the stages' and the head's time; {@code reductionNanos} the reductions' between them
     * @param flops       multiply-adds the reductions spent
     */
    public record Output(FloatTensor tokens, int[] origin, boolean merged, float[] sizes, FloatTensor attention,
                         FloatTensor keys, long encoderNanos, long reductionNanos, long flops) {
    }

    StagedVisionEncoder(ModelBundle bundle, VisionStages declared, OrtSessionFactory sessions) {
        this.sessions = sessions;
        for (VisionStages.Stage s : declared.stages()) {
            stages.add(sessions.open(bundle.require(VisionStages.path(s.graph()), "the staged vision encoder")));
        }
        this.head = sessions.open(bundle.require(VisionStages.path(declared.head()), "the staged vision encoder"));
        this.size = bundle.preprocessor().height();
        this.width = declared.width();
        this.patches = bundle.config().gridTokens();
    }

    public int stageCount() {
        return stages.size();
    }

    /** One image's pixel values [3, S, S], reduced after stage i to {@code schedule[i]} patch tokens. */
    public Output encode(float[] pixelValues, EncoderReduction.Method method, int[] schedule) {
        long encoder = 0;
        long reduction = 0;
        long flops = 0;
        StageReducer.Tokens t = null;
        try {
            for (int i = 0; i < stages.size(); i++) {
                Cancellation.checkpoint();
                long start = System.nanoTime();
                try (OrtSession.Result r = i == 0 ? run0(pixelValues) : runNext(stages.get(i), t)) {
                    FloatTensor hidden = OrtTensors.read(r.get("hidden").orElseThrow());
                    FloatTensor attention = OrtTensors.read(r.get("attentions").orElseThrow());
                    FloatTensor keys = OrtTensors.read(r.get("keys").orElseThrow());
                    t = i == 0 ? StageReducer.Tokens.first(hidden, attention, keys)
                            : t.after(hidden, attention, keys);
                }
                encoder += System.nanoTime() - start;
                if (i < schedule.length && schedule[i] < t.count()) {
                    start = System.nanoTime();
                    StageReducer.Step step = StageReducer.reduce(t, method, schedule[i]);
                    t = step.tokens();
                    flops += step.flops();
                    reduction += System.nanoTime() - start;
                }
            }
            long start = System.nanoTime();
            FloatTensor features;
            try (OnnxTensor h = OrtTensors.floats(sessions.environment(), t.hidden().data(), 1, t.count() + 1, width);
                 OrtSession.Result r = head.run(Map.of("hidden", h), java.util.Set.of("image_features"))) {
                FloatTensor f = OrtTensors.read(r.get("image_features").orElseThrow());
                features = new FloatTensor(new int[]{f.dim(1), f.dim(2)}, f.data());
            }
            encoder += System.nanoTime() - start;
            return new Output(features, t.origin(), t.merged(), t.sizes(), t.attention(), t.keys(), encoder, reduction, flops);
        } catch (OrtException e) {
            throw new GlimpseException(GlimpseException.Kind.INTERNAL, "staged vision encoder failed: " + e.getMessage(), e);
        }
    }

    /** Patch tokens of the grid this encoder starts from. */
    public int patches() {
        return patches;
    }

    private OrtSession.Result run0(float[] px) throws OrtException {
        try (OnnxTensor in = OrtTensors.floats(sessions.environment(), px, 1, 3, size, size)) {
            return stages.get(0).run(Map.of("pixel_values", in));
        }
    }

    private OrtSession.Result runNext(OrtSession stage, StageReducer.Tokens t) throws OrtException {
        int n = t.count() + 1;
        float[] bias = new float[n];
        float[] sizes = t.sizes();
        for (int i = 0; i < sizes.length; i++) {
            bias[i + 1] = (float) Math.log(sizes[i]);    // ToMe's proportional attention; 0 for an unmerged token
        }
        try (OnnxTensor h = OrtTensors.floats(sessions.environment(), t.hidden().data(), 1, n, width);
             OnnxTensor b = OrtTensors.floats(sessions.environment(), bias, 1, n)) {
            return stage.run(Map.of("hidden_in", h, "size_bias", b));
        }
    }

    @Override
    public void close() throws OrtException {
        for (OrtSession s : stages) {
            s.close();
        }
        head.close();
    }
}
