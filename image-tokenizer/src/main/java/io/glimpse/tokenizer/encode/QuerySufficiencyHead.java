package io.glimpse.tokenizer.encode;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.tensor.FloatTensor;
import io.glimpse.lm.TextTokenizer;
import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.model.onnx.OrtTensors;

import java.util.Map;

/**
 * ADAPTIVE that sees the question: the bundle's optional {@code sufficiency_query.onnx} reads one image's
 * grid features and the question's words in one pass and predicts, per candidate count of
 * {@code sufficiency.candidates}, the probability that it reproduces the full grid's answer to that
 * question. It runs here, beside the encoder, because the grid features are here and the count decides
 * what the tokenizer sends on; the gateway passes the question along with the images.
 */
final class QuerySufficiencyHead implements AutoCloseable {
    private final OrtSessionFactory sessions;
    private final OrtSession session;
    private final TextTokenizer words;

    QuerySufficiencyHead(ModelBundle bundle, OrtSessionFactory sessions) {
        this.sessions = sessions;
        this.session = sessions.open(bundle.require(ModelBundle.SUFFICIENCY_QUERY, "ADAPTIVE with the question-aware head"));
        this.words = new TextTokenizer(bundle.require(ModelBundle.TOKENIZER, "ADAPTIVE with the question-aware head"));
    }

    /** Each candidate's predicted fidelity for {@code question} on one image's grid features [N, H]. */
    float[] predict(FloatTensor grid, String question) {
        long[] ids = words.encode(question.trim());
        if (ids.length == 0) {
            throw GlimpseException.invalid("ADAPTIVE with the question-aware head needs the question; it is empty");
        }
        long[] mask = new long[ids.length];
        java.util.Arrays.fill(mask, 1L);
        try (OnnxTensor f = OrtTensors.floats(sessions.environment(), grid.data(), 1, grid.dim(0), grid.dim(1));
             OnnxTensor q = OrtTensors.longs(sessions.environment(), ids, 1, ids.length);
             OnnxTensor m = OrtTensors.longs(sessions.environment(), mask, 1, ids.length);
             OrtSession.Result r = session.run(Map.of("image_features", f, "question_ids", q, "question_mask", m))) {
            return OrtTensors.read(r.get("sufficiency").orElseThrow()).data();
        } catch (OrtException e) {
            throw new GlimpseException(GlimpseException.Kind.INTERNAL, "question-aware sufficiency head failed: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws OrtException {
        session.close();
        words.close();
    }
}
