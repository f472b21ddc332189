package io.glimpse.lm;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.glimpse.model.bundle.BundleConfig;

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

    /** Where a row of a new batch takes its past from: a row of the previous batch, or arrays of its own. */
    public record Source(int oldRow, float[][] own, int length) {
        public static Source of(int oldRow, int length) {
            return new Source(oldRow, null, length);
        }

        public static Source of(float[][] own, int length) {
            return new Source(-1, own, length);
        }
    }

    /**
     * The past of a new batch, left-padded to {@code total}, written straight into the tensors'
     * buffers: each row from the previous batch's presents ({@code old}, padded to {@code oldTotal};
     * each present read once) or from its own arrays. The caller closes the tensors.
     */
    public static Map<String, OnnxTensor> rebuild(OrtEnvironment env, BundleConfig c, OrtSession.Result old, int oldTotal,
                                                  List<Source> rows, int total) {
        int kv = c.numKvHeads();
        int hd = c.headDim();
        Map<String, OnnxTensor> out = new HashMap<>();
        try {
            for (int i = 0; i < 2 * c.numLayers(); i++) {
                FloatBuffer prev = old == null || rows.stream().allMatch(r -> r.oldRow() < 0) ? null : present(old, i);
                FloatBuffer dst = java.nio.ByteBuffer.allocateDirect(rows.size() * kv * total * hd * 4)
                        .order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
                float[] chunk = new float[0];
                for (int b = 0; b < rows.size(); b++) {
                    Source r = rows.get(b);
                    int len = r.length();
                    for (int h = 0; h < kv; h++) {
                        dst.position(((b * kv + h) * total + total - len) * hd);
                        if (r.oldRow() >= 0) {
                            if (chunk.length < len * hd) {
                                chunk = new float[len * hd];
                            }
                            prev.position(((r.oldRow() * kv + h) * oldTotal + oldTotal - len) * hd);
                            prev.get(chunk, 0, len * hd);
                            dst.put(chunk, 0, len * hd);
                        } else {
                            dst.put(r.own()[i], h * len * hd, len * hd);
                        }
                    }
                }
                dst.rewind();
                out.put(name(i), OnnxTensor.createTensor(env, dst, new long[]{rows.size(), kv, total, hd}));
            }
            return out;
        } catch (ai.onnxruntime.OrtException e) {
            out.values().forEach(OnnxTensor::close);
            throw new io.glimpse.common.error.GlimpseException(io.glimpse.common.error.GlimpseException.Kind.INTERNAL,
                    "cannot build the decode batch's past: " + e.getMessage(), e);
        }
    }

    /** Row {@code b}'s own past (its last {@code length} positions) out of a batch run's presents. */
    public static float[][] row(OrtSession.Result result, BundleConfig c, int b, int total, int length) {
        return rows(result, c, new int[]{b}, total, new int[]{length}).get(0);
    }

    /**
     * Several rows' own pasts out of a batch run's presents, reading each present once: row
     * {@code rows[j]} keeps its last {@code lengths[j]} positions.
     */
    public static List<float[][]> rows(OrtSession.Result result, BundleConfig c, int[] rows, int total, int[] lengths) {
        int kv = c.numKvHeads();
        int hd = c.headDim();
        List<float[][]> out = new java.util.ArrayList<>();
        for (int j = 0; j < rows.length; j++) {
            out.add(new float[2 * c.numLayers()][]);
        }
        for (int i = 0; i < 2 * c.numLayers(); i++) {
            FloatBuffer all = present(result, i);
            for (int j = 0; j < rows.length; j++) {
                int length = lengths[j];
                float[] dst = new float[kv * length * hd];
                for (int h = 0; h < kv; h++) {
                    all.position(((rows[j] * kv + h) * total + total - length) * hd);
                    all.get(dst, h * length * hd, length * hd);
                }
                out.get(j)[i] = dst;
            }
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
