package io.glimpse.lm;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.glimpse.model.bundle.BundleConfig;
import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.model.onnx.OrtTensors;
import io.glimpse.common.tensor.FloatTensor;

import io.glimpse.common.tokens.TokenSet;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@code embed_tokens.onnx} plus {@code decoder_model_merged.onnx} with its KV cache (batch 1). */
public final class LanguageModel implements AutoCloseable {
    private final OrtSessionFactory sessions;
    private final BundleConfig config;
    private final TokenEmbeddings embed;
    private final OrtSession decoder;
    private final boolean cacheBranch;
    private final ModelBundle bundle;
    private final boolean hasCore;
    // the core-neuron decoder and its weights, opened on the first request for them: a pruner's query model
    // or a runner that never decodes over core neurons holds neither
    private volatile OrtSession core;
    private volatile CoreFfn ffn;
    private final OrtSession staticDecoder;   // null: the bundle has no static-cache decoder

    public LanguageModel(ModelBundle bundle, OrtSessionFactory sessions) {
        this.sessions = sessions;
        this.config = bundle.config();
        this.embed = new TokenEmbeddings(bundle, sessions, "the VLM runner");
        this.decoder = sessions.open(bundle.require(ModelBundle.DECODER, "the VLM runner"));
        // optimum's older merged decoders pick the with-past branch from a flag input
        this.cacheBranch = decoder.getInputNames().contains("use_cache_branch");
        this.bundle = bundle;
        this.hasCore = bundle.has(ModelBundle.CORE_DECODER) && bundle.has(ModelBundle.FFN_WEIGHTS);
        this.staticDecoder = bundle.has(ModelBundle.STATIC_DECODER)
                ? sessions.open(bundle.dir().resolve(ModelBundle.STATIC_DECODER)) : null;
    }

    /** Whether decode batches can keep their keys and values in place ({@code decoder_model_static.onnx}). */
    public boolean hasStaticCache() {
        return staticDecoder != null;
    }

    /**
     * One decode step of {@code batch} rows over a {@link KvSlab}'s past: {@code mask} [batch, capacity + 1]
     * marks each row's filled slots and (last) its new token. The caller owns the result: {@code logits}
     * and the new keys and values {@code new.{i}.key/value} [batch, kv heads, 1, head_dim].
     */
    public OrtSession.Result stepInPlace(float[] embeds, int batch, long[] mask, long[] positions,
                                         Map<String, OnnxTensor> past, OrtSession.RunOptions options) {
        return run(staticDecoder, embeds, batch, 1, mask, positions, past, options);
    }

    /** Whether the bundle can decode over core neurons ({@code decoder_model_core.onnx} + {@code ffn_weights.bin}). */
    public boolean hasCoreNeurons() {
        return hasCore;
    }

    /** The FFN weights the core decoder takes (opened on first use). */
    public CoreFfn ffn() {
        openCore();
        return ffn;
    }

    private void openCore() {
        if (core != null) {
            return;
        }
        synchronized (this) {
            if (core == null) {
                if (!hasCore) {
                    throw GlimpseException.precondition("the bundle has no " + ModelBundle.CORE_DECODER + " and "
                            + ModelBundle.FFN_WEIGHTS);
                }
                ffn = new CoreFfn(bundle.dir().resolve(ModelBundle.FFN_WEIGHTS), config.numLayers(), config.hiddenSize(),
                        config.intermediateSize(), sessions.environment());
                core = sessions.open(bundle.dir().resolve(ModelBundle.CORE_DECODER));
            }
        }
    }

    /** Logits of the new rows [n, vocab] and, when asked for, each layer's FFN activations [n, neurons]. */
    public record CoreStep(FloatTensor logits, FloatTensor[] activations) {
    }

    /**
     * {@link #forward} through the core decoder with the FFN given by {@code weights} (every neuron,
     * {@link CoreFfn#full}, for the prefill; the core neurons' rows, {@link CoreFfn#gather}, after it).
     */
    public CoreStep forwardCore(float[] embeds, long[] positions, KvCache cache, Map<String, OnnxTensor> weights,
                                boolean activations, OrtSession.RunOptions options) {
        openCore();
        return onCache(core, embeds, positions, cache, weights, options, r -> {
            FloatTensor[] act = null;
            if (activations) {
                act = new FloatTensor[config.numLayers()];
                for (int l = 0; l < act.length; l++) {
                    FloatTensor a = OrtTensors.read(r.get("ffn_activations." + l).orElseThrow());   // [1, n, k]
                    act[l] = FloatTensor.of(a.data(), a.dim(1), a.dim(2));
                }
            }
            return new CoreStep(logitsOf(r, positions.length), act);
        });
    }

    /** Full FFN weights of every layer for {@link #forwardCore}'s prefill. */
    public Map<String, OnnxTensor> fullFfn() {
        return ffn().full();
    }

    public BundleConfig config() {
        return config;
    }

    /** Embeddings of {@code ids}: [ids.length, hidden] row-major. */
    public float[] embed(long[] ids) {
        return embed.embed(ids);
    }

    /** Token embeddings of the prompt with every image-token row replaced by its visual embedding. */
    public float[] embedPrompt(PromptLayout layout, List<TokenSet> images) {
        float[] embeds = embed(layout.ids());
        int h = config.hiddenSize();
        int row = 0;
        for (TokenSet set : images) {
            float[] v = set.embeddings().data();
            for (int j = 0; j < set.count(); j++) {
                System.arraycopy(v, j * h, embeds, layout.imageRows()[row++] * h, h);
            }
        }
        return embeds;
    }

    public KvCache newCache() {
        OnnxTensor[] empty = new OnnxTensor[2 * config.numLayers()];
        for (int i = 0; i < empty.length; i++) {
            empty[i] = OrtTensors.floats(sessions.environment(), new float[0], 1, config.numKvHeads(), 0, config.headDim());
        }
        return new KvCache(config.numLayers(), empty);
    }

    /**
     * Runs {@code n} new rows through the decoder after what {@code cache} holds, appends them to
     * the cache, and returns the logits of all new rows: [n, vocab].
     */
    public FloatTensor forward(float[] embeds, long[] positions, KvCache cache, OrtSession.RunOptions options) {
        return onCache(decoder, embeds, positions, cache, Map.of(), options, r -> logitsOf(r, positions.length));
    }

    /**
     * One run of {@code session} for the new rows after what {@code cache} holds (plus {@code extra}
     * inputs); {@code read} takes what the caller needs from the result before the cache keeps it.
     */
    private <T> T onCache(OrtSession session, float[] embeds, long[] positions, KvCache cache, Map<String, OnnxTensor> extra,
                          OrtSession.RunOptions options, java.util.function.Function<OrtSession.Result, T> read) {
        int n = positions.length;
        long[] mask = new long[(int) cache.length() + n];
        java.util.Arrays.fill(mask, 1L);
        Map<String, OnnxTensor> inputs = new HashMap<>(extra);
        cache.addPastTo(inputs);
        OrtSession.Result r = run(session, embeds, 1, n, mask, positions, inputs, options);
        T out;
        try {
            out = read.apply(r);
        } catch (RuntimeException ex) {
            r.close();
            throw ex;
        }
        cache.advance(r, n);
        return out;
    }

    /** The logits of a run's {@code n} new rows: [n, vocab]. */
    private static FloatTensor logitsOf(OrtSession.Result r, int n) {
        FloatTensor logits = OrtTensors.read(r.get("logits").orElseThrow());
        return FloatTensor.of(logits.data(), n, logits.dim(2));
    }

    /**
     * One decode step for {@code batch} sequences: each row one new token ({@code embeds}
     * [batch, hidden]) after its own past, padded to {@code total - 1}; {@code mask} [batch, total]
     * marks each row's real positions. The caller owns the result (logits and presents) and closes it.
     */
    public OrtSession.Result step(float[] embeds, int batch, long[] mask, long[] positions, Map<String, OnnxTensor> past,
                                  OrtSession.RunOptions options) {
        return run(decoder, embeds, batch, 1, mask, positions, past, options);
    }

    /** One decoder run: {@code batch} rows of {@code len} new tokens after {@code past}; the caller owns the result. */
    private OrtSession.Result run(OrtSession session, float[] embeds, int batch, int len, long[] mask, long[] positions,
                                  Map<String, OnnxTensor> past, OrtSession.RunOptions options) {
        int total = mask.length / batch;
        Map<String, OnnxTensor> inputs = new HashMap<>(past);
        try (OnnxTensor e = OrtTensors.floats(sessions.environment(), embeds, batch, len, config.hiddenSize());
             OnnxTensor m = OrtTensors.longs(sessions.environment(), mask, batch, total);
             OnnxTensor p = OrtTensors.longs(sessions.environment(), positions, batch, len)) {
            inputs.put("inputs_embeds", e);
            inputs.put("attention_mask", m);
            inputs.put("position_ids", p);
            OnnxTensor branch = cacheBranch && session == decoder ? OrtTensors.bools(sessions.environment(), new boolean[]{total > len}, 1) : null;
            if (branch != null) {
                inputs.put("use_cache_branch", branch);
            }
            try {
                return options == null ? session.run(inputs) : session.run(inputs, options);
            } finally {
                if (branch != null) {
                    branch.close();
                }
            }
        } catch (OrtException ex) {
            if (options != null && String.valueOf(ex.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("terminat")) {
                throw GlimpseException.cancelled("generation aborted: the call was cancelled");
            }
            throw new GlimpseException(GlimpseException.Kind.INTERNAL, "decoder failed: " + ex.getMessage(), ex);
        }
    }

    public ai.onnxruntime.OrtEnvironment environment() {
        return sessions.environment();
    }

    @Override
    public void close() throws OrtException {
        embed.close();
        decoder.close();
        if (staticDecoder != null) {
            staticDecoder.close();
        }
        synchronized (this) {
            if (core != null) {
                core.close();
                ffn.close();
            }
        }
    }
}
