package io.glimpse.lm;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtSession;

import java.util.Map;

/**
 * The decoder's past keys/values. It keeps the previous run's result open and feeds its
 * {@code present.*} tensors straight back as {@code past_key_values.*}: no copy between steps
 * on CPU (the Java API has no IOBinding, so on CUDA they cross host<->device every step).
 */
public final class KvCache implements AutoCloseable {
    private final int layers;
    private OrtSession.Result last;     // owns the present tensors
    private OnnxTensor[] empty;         // zero-length past for the first run
    private long length;

    KvCache(int layers, OnnxTensor[] emptyPast) {
        this.layers = layers;
        this.empty = emptyPast;
    }

    /** Tokens cached so far. */
    public long length() {
        return length;
    }

    void addPastTo(Map<String, OnnxTensor> inputs) {
        for (int i = 0; i < layers; i++) {
            inputs.put("past_key_values." + i + ".key", tensor(2 * i, "present." + i + ".key"));
            inputs.put("past_key_values." + i + ".value", tensor(2 * i + 1, "present." + i + ".value"));
        }
    }

    private OnnxTensor tensor(int emptyIndex, String presentName) {
        if (last == null) {
            return empty[emptyIndex];
        }
        OnnxValue v = last.get(presentName).orElseThrow(() -> new IllegalStateException("decoder has no " + presentName));
        return (OnnxTensor) v;
    }

    /** This sequence's past as arrays ({@link PaddedPast}'s row form), to continue it in a batch. */
    public float[][] export(io.glimpse.model.bundle.BundleConfig c) {
        if (last == null) {
            int n = 2 * layers;
            float[][] empty = new float[n][];
            for (int i = 0; i < n; i++) {
                empty[i] = new float[0];
            }
            return empty;
        }
        return PaddedPast.row(last, c, 0, (int) length, (int) length);
    }

    /** Takes ownership of a new run's result; the previous one is released. */
    void advance(OrtSession.Result result, long added) {
        if (last != null) {
            last.close();
        }
        last = result;
        length += added;
    }

    @Override
    public void close() {
        if (last != null) {
            last.close();
            last = null;
        }
        if (empty != null) {
            for (OnnxTensor t : empty) {
                t.close();
            }
            empty = null;
        }
    }
}
