package io.glimpse.tokenizer.grpc;

import io.glimpse.common.error.GlimpseException;
import io.glimpse.proto.v1.EncoderReduction;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The wire's encoder-reduction methods are the domain's, both ways, and a schedule crosses unchanged. */
class EncoderReductionMappingTest {
    @Test
    void everyWireMethodMapsToTheDomainMethodOfItsName() {
        var domain = Arrays.stream(io.glimpse.tokenizer.encode.EncoderReduction.Method.values()).map(Enum::name).sorted().toList();
        var wire = Arrays.stream(EncoderReduction.Method.values())
                .filter(m -> m != EncoderReduction.Method.UNRECOGNIZED && m != EncoderReduction.Method.METHOD_UNSPECIFIED)
                .map(Enum::name).sorted().toList();
        assertEquals(domain, wire);
        for (EncoderReduction.Method m : EncoderReduction.Method.values()) {
            if (m == EncoderReduction.Method.UNRECOGNIZED) {
                continue;
            }
            var mapped = ImageTokenizerService.reduction(EncoderReduction.newBuilder().setMethod(m).build()).method();
            assertEquals(m == EncoderReduction.Method.METHOD_UNSPECIFIED ? "NONE" : m.name(), mapped.name());
        }
        var r = ImageTokenizerService.reduction(EncoderReduction.newBuilder().setMethod(EncoderReduction.Method.TOME)
                .addKeepPerStage(100).addKeepPerStage(36).setR(0).build());
        assertArrayEquals(new int[]{100, 36}, r.keepPerStage());
        var e = assertThrows(GlimpseException.class, () -> ImageTokenizerService.reduction(
                EncoderReduction.newBuilder().setMethodValue(99).build()));
        assertEquals(GlimpseException.Kind.INVALID_ARGUMENT, e.kind());
    }
}
