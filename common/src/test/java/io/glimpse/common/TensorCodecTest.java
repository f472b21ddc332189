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
}
