package io.glimpse.common.grpc;

import com.google.protobuf.UnsafeByteOperations;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.tensor.FloatTensor;
import io.glimpse.common.tensor.Half;
import io.glimpse.proto.v1.DType;
import io.glimpse.proto.v1.Tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Proto {@link Tensor} <-> {@link FloatTensor}; little-endian, row-major, FP32 or FP16 on the wire. */
public final class TensorCodec {
    /** 2^24 floats (64 MiB decoded): above any tensor a request of the message-size limit can carry. */
    public static final long MAX_TENSOR_ELEMENTS = 1L << 24;

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
        byte[] bytes;
        switch (dtype) {
            case FP32 -> {
                bytes = new byte[data.length * 4];
                ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(data);
            }
            case FP16 -> {
                bytes = new byte[data.length * 2];
                for (int i = 0; i < data.length; i++) {
                    short h = Half.fromFloat(data[i]);
                    bytes[2 * i] = (byte) h;
                    bytes[2 * i + 1] = (byte) (h >>> 8);
                }
            }
            default -> throw new IllegalArgumentException("float tensors encode as FP32 or FP16, not " + dtype);
        }
        // the array is ours alone and never written again: the message may own it without a copy
        return b.setData(UnsafeByteOperations.unsafeWrap(bytes)).build();
    }

    /**
     * Decodes a FP32/FP16 tensor; {@code what} names it in errors. The shape, the element count and
     * the byte length are all checked before anything is allocated, so a tiny message claiming a
     * huge shape costs nothing.
     */
    public static FloatTensor decode(Tensor t, String what) {
        return decode(t, what, MAX_TENSOR_ELEMENTS);
    }

    /** As {@link #decode(Tensor, String)} with a caller's cap on the element count. */
    public static FloatTensor decode(Tensor t, String what, long maxElements) {
        if (t.getShapeCount() == 0) {
            throw GlimpseException.invalid(what + ": tensor has no shape");
        }
        int elementBytes = switch (t.getDtype()) {
            case FP32 -> 4;
            case FP16 -> 2;
            default -> throw GlimpseException.invalid(what + ": dtype " + t.getDtype() + " is not a float type (FP32 or FP16)");
        };
        int[] shape = new int[t.getShapeCount()];
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            long d = t.getShape(i);
            if (d < 0 || d > Integer.MAX_VALUE) {
                throw GlimpseException.invalid(what + ": bad dimension " + d + " in shape " + t.getShapeList());
            }
            n = d == 0 ? 0 : (n > maxElements / d + 1 ? maxElements + 1 : n * d);
            if (n > maxElements) {
                throw GlimpseException.invalid(what + ": shape " + t.getShapeList() + " has more than the limit of "
                        + maxElements + " elements");
            }
            shape[i] = (int) d;
        }
        expectBytes(what, t, n * elementBytes, t.getData().size());
        ByteBuffer buf = t.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        float[] data = new float[(int) n];
        if (elementBytes == 4) {
            buf.asFloatBuffer().get(data);
        } else {
            short[] halves = new short[(int) n];
            buf.asShortBuffer().get(halves);
            for (int i = 0; i < halves.length; i++) {
                data[i] = Half.toFloat(halves[i]);
            }
        }
        return new FloatTensor(shape, data);
    }

    private static void expectBytes(String what, Tensor t, long expected, int actual) {
        if (expected != actual) {
            throw GlimpseException.invalid(what + ": shape " + t.getShapeList() + " of " + t.getDtype() + " needs "
                    + expected + " bytes, got " + actual);
        }
    }
}
