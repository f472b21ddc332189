package io.glimpse.tokenizer.encode;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.model.onnx.OrtTensors;
import io.glimpse.common.tensor.FloatTensor;

import java.util.Map;

/**
 * The bundle's optional {@code resampler.onnx}: grid features -> K ordered registers (FlexTok-style,
 * causal, so any prefix is valid) and the KARL-style sufficiency per prefix length.
 */
public final class RegisterResampler implements AutoCloseable {
    /** @param registers [B, K, H]; @param sufficiency [B, |ks|] predicted fidelity per prefix length */
    public record Output(FloatTensor registers, FloatTensor sufficiency) {
    }

    private final OrtSessionFactory sessions;
    private final OrtSession session;

    public RegisterResampler(ModelBundle bundle, OrtSessionFactory sessions) {
        this.sessions = sessions;
        this.session = sessions.open(bundle.require(ModelBundle.RESAMPLER, "FLEX_PREFIX and ADAPTIVE tokenization"));
    }

    public Output run(FloatTensor features) {
        long[] shape = {features.dim(0), features.dim(1), features.dim(2)};
        try (OnnxTensor in = OrtTensors.floats(sessions.environment(), features.data(), shape);
             OrtSession.Result r = session.run(Map.of("image_features", in))) {
            return new Output(OrtTensors.read(r.get("registers").orElseThrow()),
                    OrtTensors.read(r.get("sufficiency").orElseThrow()));
        } catch (OrtException e) {
            throw new GlimpseException(GlimpseException.Kind.INTERNAL, "resampler failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
