package io.glimpse.model.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.tensor.FloatTensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;

/** ONNX Runtime tensors from and to Java arrays; inputs go through direct native-order buffers (zero-copy). */
public final class OrtTensors {
    private OrtTensors() {
    }

    public static OnnxTensor floats(OrtEnvironment env, float[] data, long... shape) {
        FloatBuffer buf = ByteBuffer.allocateDirect(data.length * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        buf.put(data).rewind();
        try {
            return OnnxTensor.createTensor(env, buf, shape);
        } catch (OrtException e) {
            throw new GlimpseException(GlimpseException.Kind.INTERNAL, "cannot create float tensor: " + e.getMessage(), e);
        }
    }

    public static OnnxTensor bools(OrtEnvironment env, boolean[] data, long... shape) {
        ByteBuffer buf = ByteBuffer.allocateDirect(Math.max(1, data.length)).order(ByteOrder.nativeOrder());
        for (boolean b : data) {
            buf.put((byte) (b ? 1 : 0));
        }
        buf.rewind();
        try {
            return OnnxTensor.createTensor(env, buf, shape, ai.onnxruntime.OnnxJavaType.BOOL);
        } catch (OrtException e) {
            throw new GlimpseException(GlimpseException.Kind.INTERNAL, "cannot create bool tensor: " + e.getMessage(), e);
        }
    }

    public static OnnxTensor longs(OrtEnvironment env, long[] data, long... shape) {
        LongBuffer buf = ByteBuffer.allocateDirect(Math.max(8, data.length * 8)).order(ByteOrder.nativeOrder()).asLongBuffer();
        buf.put(data).rewind();
        if (data.length == 0) {
            buf.limit(0);
        }
        try {
            return OnnxTensor.createTensor(env, buf, shape);
        } catch (OrtException e) {
            throw new GlimpseException(GlimpseException.Kind.INTERNAL, "cannot create int64 tensor: " + e.getMessage(), e);
        }
    }

    /** Copies a float output into a {@link FloatTensor} with the output's shape. */
    public static FloatTensor read(OnnxValue value) {
        OnnxTensor t = (OnnxTensor) value;
        long[] s = t.getInfo().getShape();
        int[] shape = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            shape[i] = (int) s[i];
        }
        FloatBuffer fb = t.getFloatBuffer();
        float[] data = new float[fb.remaining()];
        fb.get(data);
        return new FloatTensor(shape, data);
    }
}
