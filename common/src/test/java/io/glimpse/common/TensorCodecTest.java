package io.glimpse.common;

import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.grpc.TensorCodec;
import io.glimpse.common.tensor.FloatTensor;
import io.glimpse.common.tensor.Half;
import io.glimpse.proto.v1.DType;
import io.glimpse.proto.v1.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TensorCodecTest {
    @Test
    void fp32RoundTripIsExactAndLittleEndian() {
        FloatTensor t = FloatTensor.of(new float[]{1f, -2.5f, 3.25f, Float.MIN_VALUE, 1e30f, 0f}, 2, 3);
        Tensor wire = TensorCodec.encode(t);
        assertEquals(24, wire.getData().size());
        // 1.0f = 0x3F800000, little-endian: 00 00 80 3F
        assertEquals((byte) 0x80, wire.getData().byteAt(2));
        assertEquals((byte) 0x3F, wire.getData().byteAt(3));
        FloatTensor back = TensorCodec.decode(wire, "t");
        assertArrayEquals(t.shape(), back.shape());
        assertArrayEquals(t.data(), back.data());
    }

    @Test
    void halfMatchesKnownEncodings() {
        assertEquals((short) 0x3C00, Half.fromFloat(1f));
        assertEquals((short) 0xC000, Half.fromFloat(-2f));
        assertEquals((short) 0x7BFF, Half.fromFloat(65504f));
        assertEquals((short) 0x7C00, Half.fromFloat(1e6f));
        assertEquals((short) 0x0001, Half.fromFloat(5.9604645e-8f));
        assertEquals(65504f, Half.toFloat((short) 0x7BFF));
        assertEquals(5.9604645e-8f, Half.toFloat((short) 0x0001));
        assertTrue(Float.isNaN(Half.toFloat(Half.fromFloat(Float.NaN))));
    }

    @Test
    void fp16RoundTripWithinHalfPrecision() {
        Random r = new Random(3);
        float[] data = new float[1000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (r.nextGaussian() * 10);
        }
        FloatTensor back = TensorCodec.decode(TensorCodec.encode(FloatTensor.of(data, 10, 100), DType.FP16), "t");
        for (int i = 0; i < data.length; i++) {
            assertEquals(data[i], back.data()[i], Math.abs(data[i]) * 1e-3 + 1e-6);
        }
    }

    @Test
    void byteLengthMustMatchShape() {
        Tensor bad = TensorCodec.encode(FloatTensor.of(new float[6], 2, 3)).toBuilder().setShape(1, 4).build();
        GlimpseException e = assertThrows(GlimpseException.class, () -> TensorCodec.decode(bad, "images[0].embeddings"));
        assertEquals(GlimpseException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().contains("images[0].embeddings") && e.getMessage().contains("needs 32 bytes, got 24"),
                e.getMessage());
    }

    @Test
    void nonFloatDtypeIsRefused() {
        Tensor bad = TensorCodec.encode(FloatTensor.of(new float[2], 2)).toBuilder().setDtype(DType.INT64).build();
        assertThrows(GlimpseException.class, () -> TensorCodec.decode(bad, "x"));
    }

    /** A 20-byte tensor claiming a huge shape costs nothing: refused from shape and length, before allocation. */
    @Test
    void hugeClaimedShapesAreRefusedBeforeAllocating() {
        Tensor huge = Tensor.newBuilder().setDtype(DType.FP32).addShape(1_070_000_000L).addShape(2)
                .setData(com.google.protobuf.ByteString.copyFrom(new byte[20])).build();
        GlimpseException e = assertThrows(GlimpseException.class, () -> TensorCodec.decode(huge, "x"));
        assertTrue(e.getMessage().contains("more than the limit of 16777216 elements"), e.getMessage());
        Tensor tall = Tensor.newBuilder().setDtype(DType.FP32).addShape(4_000_000).addShape(1)
                .setData(com.google.protobuf.ByteString.copyFrom(new byte[20])).build();
        long before = usedHeap();
        GlimpseException e2 = assertThrows(GlimpseException.class, () -> TensorCodec.decode(tall, "x"));
        assertTrue(e2.getMessage().contains("needs 16000000 bytes, got 20"), e2.getMessage());
        assertTrue(usedHeap() - before < 8_000_000, "nothing of the claimed 16 MB was allocated");
        Tensor overflow = Tensor.newBuilder().setDtype(DType.FP16).addShape(1L << 40).addShape(1L << 40)
                .setData(com.google.protobuf.ByteString.copyFrom(new byte[20])).build();
        assertThrows(GlimpseException.class, () -> TensorCodec.decode(overflow, "x"));
    }

    private static long usedHeap() {
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }
}
