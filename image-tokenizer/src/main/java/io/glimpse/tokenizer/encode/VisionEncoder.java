package io.glimpse.tokenizer.encode;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.model.onnx.OrtTensors;

import java.util.Map;
import java.util.Optional;

/** The bundle's {@code vision_encoder.onnx}: pixel_values [B,3,S,S] -> image features (+ attention, keys). */
public final class VisionEncoder implements AutoCloseable {
    private final OrtSessionFactory sessions;
    private final OrtSession session;
    private final boolean hasAttention;
    private final boolean hasKeys;
    private final int size;

    public VisionEncoder(ModelBundle bundle, OrtSessionFactory sessions) {
        this.sessions = sessions;
        this.session = sessions.open(bundle.require(ModelBundle.VISION_ENCODER, "the image tokenizer"));
        this.hasAttention = session.getOutputNames().contains("attentions");
        this.hasKeys = session.getOutputNames().contains("keys");
        this.size = bundle.preprocessor().height();
    }

    public boolean hasAttention() {
        return hasAttention;
    }

    public boolean hasKeys() {
        return hasKeys;
    }

    public VisionOutputs encode(float[] pixelValues, int batch, boolean withAttention) {
        try (OnnxTensor px = OrtTensors.floats(sessions.environment(), pixelValues, batch, 3, size, size);
             OrtSession.Result r = session.run(Map.of("pixel_values", px), outputs(withAttention))) {
            var features = OrtTensors.read(r.get("image_features").orElseThrow());
            var attn = withAttention && hasAttention ? read(r.get("attentions")) : null;
            var keys = withAttention && hasKeys ? read(r.get("keys")) : null;
            return new VisionOutputs(features, attn, keys);
        } catch (OrtException e) {
            throw new GlimpseException(GlimpseException.Kind.INTERNAL, "vision encoder failed: " + e.getMessage(), e);
        }
    }

    /** Only what the request reads: the attention output alone is heads × (N+1)² floats per image. */
    private java.util.Set<String> outputs(boolean withAttention) {
        java.util.Set<String> names = new java.util.HashSet<>(java.util.Set.of("image_features"));
        if (withAttention && hasAttention) {
            names.add("attentions");
        }
        if (withAttention && hasKeys) {
            names.add("keys");
        }
        return names;
    }

    private static io.glimpse.common.tensor.FloatTensor read(Optional<ai.onnxruntime.OnnxValue> v) {
        return v.map(OrtTensors::read).orElse(null);
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
