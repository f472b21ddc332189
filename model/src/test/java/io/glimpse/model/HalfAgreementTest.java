package io.glimpse.model;

import ai.onnxruntime.platform.Fp16Conversions;
import io.glimpse.common.tensor.Half;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The codec's own binary16 conversion (kept in common so the gateway needs no ONNX Runtime)
 * agrees bit for bit with ONNX Runtime's on every half value, and on floats across the range.
 */
class HalfAgreementTest {
    @Test
    void everyHalfValueDecodesAsOnnxRuntimeDecodesIt() {
        for (int h = 0; h < 1 << 16; h++) {
            float ours = Half.toFloat((short) h);
            float ort = Fp16Conversions.fp16ToFloat((short) h);
            if (Float.isNaN(ort)) {
                assertEquals(true, Float.isNaN(ours), "half " + h);
            } else {
                assertEquals(Float.floatToIntBits(ort), Float.floatToIntBits(ours), "half " + h);
            }
        }
    }

    @Test
    void floatsEncodeAsOnnxRuntimeEncodesThem() {
        SplittableRandom r = new SplittableRandom(11);
        for (int i = 0; i < 2_000_000; i++) {
            float f = Float.intBitsToFloat(r.nextInt());
            if (Float.isNaN(f)) {
                continue;
            }
            assertEquals(Fp16Conversions.floatToFp16(f), Half.fromFloat(f), "float " + f);
        }
        for (int h = 0; h < 1 << 16; h++) {   // every half survives the round trip
            float f = Half.toFloat((short) h);
            if (!Float.isNaN(f)) {
                assertEquals(Fp16Conversions.floatToFp16(f), Half.fromFloat(f), "half " + h);
            }
        }
    }
}
