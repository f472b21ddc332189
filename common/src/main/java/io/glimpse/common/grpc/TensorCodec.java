package io.glimpse.common.grpc;

import com.google.protobuf.ByteString;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.tensor.FloatTensor;
import io.glimpse.common.tensor.Half;
import io.glimpse.proto.v1.DType;
import io.glimpse.proto.v1.Tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/** Proto {@link Tensor} <-> {@link FloatTensor}; little-endian, row-major, FP32 or FP16 on the wire. */
public final class TensorCodec {
    private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private TensorCodec() {
    }

    public static Tensor encode(FloatTensor t) {
        return encode(t, DType.FP32);
    }

    public static Tensor encode(FloatTensor t, DType dtype) {
        Tensor.Builder b = Tensor.newBuilder().setDtype(dtype);
        for (int d : t.shape()) {
            b.addShape(d);
        }
        float[] data = t.data();
        switch (dtype) {
            case FP32 -> {
                ByteBuffer buf = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                buf.asFloatBuffer().put(data);
                b.setData(ByteString.copyFrom(buf.array()));
            }
            case FP16 -> {
                ByteBuffer buf = ByteBuffer.allocate(data.length * 2).order(ByteOrder.LITTLE_ENDIAN);
                for (float v : data) {
                    buf.putShort(Half.fromFloat(v));
                }
                b.setData(ByteString.copyFrom(buf.array()));
            }
            default -> throw new IllegalArgumentException("float tensors encode as FP32 or FP16, not " + dtype);
        }
        return b.build();
    }

    /** Decodes a FP32/FP16 tensor, validating shape against byte length; {@code what} names it in errors. */
    public static FloatTensor decode(Tensor t, String what) {
        if (t.getShapeCount() == 0) {
            throw GlimpseException.invalid(what + ": tensor has no shape");
        }
        int[] shape = new int[t.getShapeCount()];
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            long d = t.getShape(i);
            if (d < 0 || d > MAX_ELEMENTS) {
                throw GlimpseException.invalid(what + ": bad dimension " + d);
            }
            shape[i] = (int) d;
            n *= d;
            if (n > MAX_ELEMENTS) {
                throw GlimpseException.invalid(what + ": too many elements");
            }
        }
        ByteBuffer buf = t.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        float[] data = new float[(int) n];
        switch (t.getDtype()) {
            case FP32 -> {
                expectBytes(what, shape, n * 4, buf.remaining());
                buf.asFloatBuffer().get(data);
            }
            case FP16 -> {
                expectBytes(what, shape, n * 2, buf.remaining());
                for (int i = 0; i < n; i++) {
                    data[i] = Half.toFloat(buf.getShort());
                }
            }
            default -> throw GlimpseException.invalid(what + ": dtype " + t.getDtype() + " is not a float type (FP32 or FP16)");
        }
        return new FloatTensor(shape, data);
    }

    private static void expectBytes(String what, int[] shape, long expected, int actual) {
        if (expected != actual) {
            throw GlimpseException.invalid(what + ": shape " + Arrays.toString(shape) + " needs " + expected
                    + " bytes, got " + actual);
        }
    }
}
