package io.glimpse.lm;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.model.onnx.OrtTensors;

import java.util.Map;

/**
 * The bundle's {@code embed_tokens.onnx}: token ids to the language model's input embeddings. The decoder
 * embeds its prompts with it; the image-tokenizer embeds a question with it to score tiles before encoding.
 */
public final class TokenEmbeddings implements AutoCloseable {
    private final OrtSessionFactory sessions;
    private final OrtSession session;

    public TokenEmbeddings(ModelBundle bundle, OrtSessionFactory sessions, String feature) {
        this.sessions = sessions;
        this.session = sessions.open(bundle.require(ModelBundle.EMBED_TOKENS, feature));
    }

    /** Embeddings of {@code ids}: [ids.length, hidden] row-major. */
    public float[] embed(long[] ids) {
        try (OnnxTensor in = OrtTensors.longs(sessions.environment(), ids, 1, ids.length);
             OrtSession.Result r = session.run(Map.of("input_ids", in))) {
            return OrtTensors.read(r.get(0)).data();
        } catch (OrtException e) {
            throw new GlimpseException(GlimpseException.Kind.INTERNAL, "embed_tokens failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
