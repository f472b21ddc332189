package io.glimpse.lm;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.model.onnx.OrtTensors;
import io.glimpse.common.tensor.FloatTensor;

import java.util.Arrays;
import java.util.Map;

/**
 * {@code lm_probe.onnx}: the first decoder layers over a whole prompt, exposing the FFN
 * activations and the attention of the probe layer (CoreMatching, FastV, QuoTA relevance).
 */
public final class LmProbe implements AutoCloseable {
    private final OrtSessionFactory sessions;
    private final OrtSession probe;
    private final int hidden;

    public LmProbe(ModelBundle bundle, OrtSessionFactory sessions, String feature) {
        this.sessions = sessions;
        this.hidden = bundle.config().hiddenSize();
        this.probe = sessions.open(bundle.require(ModelBundle.LM_PROBE, feature));
    }

    /**
     * @param ffn       [S, F] input of the probe layer's down projection
     * @param attention [heads, S, S] post-softmax attention of the probe layer
     */
    public record Output(FloatTensor ffn, FloatTensor attention) {
    }

    public Output run(float[] embeds, long[] positions) {
        int s = positions.length;
        long[] mask = new long[s];
        Arrays.fill(mask, 1L);
        try (OnnxTensor e = OrtTensors.floats(sessions.environment(), embeds, 1, s, hidden);
             OnnxTensor m = OrtTensors.longs(sessions.environment(), mask, 1, s);
             OnnxTensor p = OrtTensors.longs(sessions.environment(), positions, 1, s);
             OrtSession.Result r = probe.run(Map.of("inputs_embeds", e, "attention_mask", m, "position_ids", p))) {
            FloatTensor ffn = OrtTensors.read(r.get("ffn_activations").orElseThrow(
                    () -> GlimpseException.precondition(ModelBundle.LM_PROBE + " has no output ffn_activations")));
            FloatTensor att = OrtTensors.read(r.get("attentions").orElseThrow(
                    () -> GlimpseException.precondition(ModelBundle.LM_PROBE + " has no output attentions")));
            return new Output(FloatTensor.of(ffn.data(), s, ffn.dim(2)),
                    FloatTensor.of(att.data(), att.dim(1), s, s));
        } catch (OrtException ex) {
            throw new GlimpseException(GlimpseException.Kind.INTERNAL, "lm_probe failed: " + ex.getMessage(), ex);
        }
    }

    @Override
    public void close() throws OrtException {
        probe.close();
    }
}
