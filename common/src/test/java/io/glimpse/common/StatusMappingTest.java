package io.glimpse.common;

import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.grpc.StatusMapping;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StatusMappingTest {
    /** Unexpected failures reach the caller as a generic INTERNAL with an error id; the detail stays in the log. */
    @Test
    void internalErrorsLeakNoDetail() {
        StatusRuntimeException s = StatusMapping.toStatus(new OutOfMemoryError("Java heap space"));
        assertEquals(Status.Code.INTERNAL, s.getStatus().getCode());
        assertFalse(s.getStatus().getDescription().contains("OutOfMemoryError"), s.getStatus().getDescription());
        assertTrue(s.getStatus().getDescription().matches("internal error \\(id [0-9a-f]{8}\\).*"), s.getStatus().getDescription());
        StatusRuntimeException ort = StatusMapping.toStatus(new GlimpseException(GlimpseException.Kind.INTERNAL,
                "ONNX Runtime: /onnxruntime_src/onnxruntime/core/providers/cpu/tensor/gather.cc:123 index out of range"));
        assertFalse(ort.getStatus().getDescription().contains("onnxruntime_src"), ort.getStatus().getDescription());
    }

    /** A load refusal's retry-after travels as grpc-retry-pushback-ms and survives the gateway's stage prefix. */
    @Test
    void retryAfterTravelsInTheTrailers() {
        StatusRuntimeException s = StatusMapping.toStatus(GlimpseException.exhausted("busy", Duration.ofMillis(250)));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, s.getStatus().getCode());
        assertEquals("250", s.getTrailers().get(StatusMapping.RETRY_PUSHBACK));
        StatusRuntimeException staged = StatusMapping.fromStage("vlm-runner", s);
        assertEquals("vlm-runner: busy", staged.getStatus().getDescription());
        assertEquals(Duration.ofMillis(250), StatusMapping.retryAfter(staged));
    }
}
