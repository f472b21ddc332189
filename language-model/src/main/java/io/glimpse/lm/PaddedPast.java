package io.glimpse.lm;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.glimpse.common.bundle.BundleConfig;
import io.glimpse.common.onnx.OrtTensors;

import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The decoder past of several sequences run as one batch: each row's keys and values left-padded
 * with zeros to a common length (the attention mask hides the padding, and each row's positions
 * are its own), and a row's own part copied back out of a batch's {@code present.*} outputs.
 * A sequence's past is {@code 2 * layers} arrays, layer i's keys then values, each
 * [kv heads, length, head_dim].
 */
public final class PaddedPast {
    private PaddedPast() {
    }

    /** {@code past_key_values.*} tensors [rows, kv heads, total, head_dim]; the caller closes them. */
    public static Map<String, OnnxTensor> tensors(OrtEnvironment env, BundleConfig c, List<float[][]> rows, int[] lengths,
                                                 int total) {
        int kv = c.numKvHeads();
        int hd = c.headDim();
        Map<String, OnnxTensor> out = new HashMap<>();
        for (int i = 0; i < 2 * c.numLayers(); i++) {
            float[] data = new float[rows.size() * kv * total * hd];
            for (int b = 0; b < rows.size(); b++) {
                float[] src = rows.get(b)[i];
                int len = lengths[b];
                for (int h = 0; h < kv; h++) {
                    System.arraycopy(src, h * len * hd, data, ((b * kv + h) * total + total - len) * hd, len * hd);
                }
            }
            out.put(name(i), OrtTensors.floats(env, data, rows.size(), kv, total, hd));
        }
        return out;
    }

    /** Row {@code b}'s own past (its last {@code length} positions) out of a batch run's presents. */
    public static float[][] row(OrtSession.Result result, BundleConfig c, int b, int total, int length) {
        int kv = c.numKvHeads();
        int hd = c.headDim();
        float[][] out = new float[2 * c.numLayers()][];
        for (int i = 0; i < out.length; i++) {
            FloatBuffer all = present(result, i);
            float[] dst = new float[kv * length * hd];
            for (int h = 0; h < kv; h++) {
                all.position(((b * kv + h) * total + total - length) * hd);
                all.get(dst, h * length * hd, length * hd);
            }
            out[i] = dst;
        }
        return out;
    }

    /** The presents of a run as the next run's past, without a copy. */
    public static Map<String, OnnxTensor> asPast(OrtSession.Result result, BundleConfig c) {
        Map<String, OnnxTensor> out = new HashMap<>();
        for (int i = 0; i < 2 * c.numLayers(); i++) {
            String present = "present." + (i / 2) + (i % 2 == 0 ? ".key" : ".value");
            OnnxValue v = result.get(present).orElseThrow(() -> new IllegalStateException("decoder has no " + present));
            out.put(name(i), (OnnxTensor) v);
        }
        return out;
    }

    private static FloatBuffer present(OrtSession.Result result, int i) {
        String present = "present." + (i / 2) + (i % 2 == 0 ? ".key" : ".value");
        return ((OnnxTensor) result.get(present).orElseThrow(() -> new IllegalStateException("decoder has no " + present)))
                .getFloatBuffer();
    }

    static String name(int i) {
        return "past_key_values." + (i / 2) + (i % 2 == 0 ? ".key" : ".value");
    }
}
